#include "wedesk/outbox/outbox_worker.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"

namespace wedesk::outbox {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxDuplicateInterval = 4 * 3600;  // WeCom's maximum
constexpr std::int64_t kDuplicateMargin = 300;
constexpr std::size_t kMaxErrorText = 300;

std::shared_ptr<spdlog::logger> Log() { return log::Get("outbox"); }

metrics::Counter& Sends(const char* result) {
    return metrics::Global().GetCounter("wedesk_outbox_sends_total",
                                        "Outbox send attempts by result", {{"result", result}});
}

struct Row {
    std::int64_t id = 0;
    std::string userid;
    std::string kind;
    std::string body;
    std::string task_id;
    int attempts = 0;
    std::int64_t next_attempt_at = 0;
    std::int64_t first_attempt_at = 0;
    std::string response_code;
};

std::string ErrorText(const Error& e) {
    auto s = e.code + ": " + e.message;
    if (s.size() > kMaxErrorText) {
        s.resize(kMaxErrorText);
    }
    return s;
}

/// The unix second from which one more message to `userid` stays within the per-user limits
/// (<= now when it already does). A sliding window over what was actually acknowledged.
std::int64_t PacingRelease(SQLite::Database& conn, const std::string& userid, std::int64_t now,
                           int limit, std::int64_t window) {
    if (limit <= 0) {
        return now;
    }
    SQLite::Statement q(conn,
                        "SELECT sent_at FROM outbox WHERE status = 'sent' AND userid = ? AND "
                        "kind = 'send' AND sent_at > ? ORDER BY sent_at DESC LIMIT 1 OFFSET ?");
    q.bind(1, userid);
    q.bind(2, now - window);
    q.bind(3, limit - 1);
    if (!q.executeStep()) {
        return now;
    }
    // `limit` messages within the window: wait until the oldest of them leaves it.
    return q.getColumn(0).getInt64() + window;
}

bool Unreachable(const Error& e) {
    return e.code == "network" || e.code == "timeout" || e.code.rfind("http_5", 0) == 0;
}

}  // namespace

OutboxWorker::OutboxWorker(store::Database& db, wecom::ApiClient& api, Clock& clock, Random& random,
                           WorkerOptions options)
    : db_(db), api_(api), clock_(clock), random_(random), opts_(std::move(options)) {}

OutboxWorker::~OutboxWorker() { Stop(); }

void OutboxWorker::Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stop_ = false;
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
}

void OutboxWorker::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    stopping_ = true;
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    stopping_ = false;
}

void OutboxWorker::Kick() {
    {
        std::lock_guard lock(mu_);
        kicked_ = true;
    }
    cv_.notify_all();
}

std::int64_t OutboxWorker::Backoff(int attempts) {
    std::int64_t d = std::max(1, opts_.base_backoff_s);
    for (int i = 1; i < attempts && d < opts_.max_backoff_s; ++i) {
        d *= 2;
    }
    d = std::min<std::int64_t>(d, std::max(1, opts_.max_backoff_s));
    // Jitter in [d/2, d] so many failed messages do not retry in lockstep.
    const auto half = d / 2;
    return std::max<std::int64_t>(
        1,
        half + static_cast<std::int64_t>(random_.Below(static_cast<std::uint64_t>(d - half + 1))));
}

void OutboxWorker::Loop() {
    for (;;) {
        PassResult pass;
        try {
            pass = RunOnce();
        } catch (const std::exception& e) {
            Log()->error("outbox pass failed: {}", e.what());
        }
        std::unique_lock lock(mu_);
        if (stop_) {
            return;
        }
        if (kicked_) {
            kicked_ = false;
            continue;
        }
        auto wait = opts_.poll;
        if (pass.next_due) {
            const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                Clock::TimePoint(std::chrono::seconds(*pass.next_due)) - clock_.Now());
            wait = std::clamp(until, std::chrono::milliseconds(10), opts_.poll);
        }
        cv_.wait_for(lock, wait, [&] { return stop_ || kicked_; });
        kicked_ = false;
        if (stop_) {
            return;
        }
    }
}

PassResult OutboxWorker::RunOnce() {
    std::lock_guard run(run_mu_);
    PassResult out;
    auto& conn = db_.Conn();
    auto due_at = [&](std::int64_t t) {
        if (!out.next_due || t < *out.next_due) {
            out.next_due = t;
        }
    };

    std::vector<Row> rows;
    {
        SQLite::Statement q(conn,
                            "SELECT id, userid, kind, body, task_id, attempts, next_attempt_at, "
                            "first_attempt_at, response_code FROM outbox "
                            "WHERE status = 'pending' ORDER BY id LIMIT ?");
        q.bind(1, opts_.batch);
        while (q.executeStep()) {
            Row r;
            r.id = q.getColumn(0).getInt64();
            r.userid = q.getColumn(1).getString();
            r.kind = q.getColumn(2).getString();
            r.body = q.getColumn(3).getString();
            r.task_id = q.getColumn(4).getString();
            r.attempts = q.getColumn(5).getInt();
            r.next_attempt_at = q.getColumn(6).getInt64();
            r.first_attempt_at = q.getColumn(7).getInt64();
            r.response_code = q.getColumn(8).getString();
            rows.push_back(std::move(r));
        }
    }

    auto park = [&](const Row& r, const std::string& why) {
        SQLite::Statement q(conn,
                            "UPDATE outbox SET status = 'parked', last_error = ? WHERE id = ?");
        q.bind(1, why);
        q.bind(2, r.id);
        q.exec();
        ++out.parked;
        Sends("parked").Inc();
        Log()->warn("outbox message {} to {} parked: {}", r.id, r.userid, why);
    };

    // Users whose head message cannot go now: their later messages wait (order per user).
    std::set<std::string> blocked;
    for (const auto& r : rows) {
        if (stopping_.load()) {
            break;
        }
        if (blocked.count(r.userid) != 0) {
            continue;
        }
        const auto now = clock_.NowSeconds();
        if (r.next_attempt_at > now) {
            blocked.insert(r.userid);
            due_at(r.next_attempt_at);
            continue;
        }
        if (r.kind == "send") {
            const auto release = std::max(PacingRelease(conn, r.userid, now, opts_.per_minute, 60),
                                          PacingRelease(conn, r.userid, now, opts_.per_hour, 3600));
            if (release > now) {
                blocked.insert(r.userid);
                due_at(release);
                continue;
            }
        }

        auto body = json::parse(r.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            park(r, "bad_request: stored body is not a JSON object");
            continue;
        }
        std::string response_code = r.response_code;
        if (r.kind == "update_card" && response_code.empty()) {
            SQLite::Statement q(conn,
                                "SELECT response_code FROM outbox WHERE task_id = ? AND "
                                "userid = ? AND kind = 'send' AND status = 'sent' "
                                "ORDER BY id DESC LIMIT 1");
            q.bind(1, r.task_id);
            q.bind(2, r.userid);
            if (q.executeStep()) {
                response_code = q.getColumn(0).getString();
            }
            if (response_code.empty()) {
                park(r, "no_response_code: card " + r.task_id + " was not sent or already updated");
                continue;
            }
        }

        // Record the attempt before the request: if we die before the acknowledgement is
        // stored, the next attempt knows it may be a copy and asks WeCom to drop it.
        const auto first_attempt_at = r.first_attempt_at != 0 ? r.first_attempt_at : now;
        {
            SQLite::Statement q(conn,
                                "UPDATE outbox SET attempts = attempts + 1, first_attempt_at = ? "
                                "WHERE id = ? AND status = 'pending'");
            q.bind(1, first_attempt_at);
            q.bind(2, r.id);
            if (q.exec() == 0) {
                continue;  // changed meanwhile (admin)
            }
        }

        Result<wecom::SendResult> sent = wecom::SendResult{};
        if (r.kind == "send") {
            body["touser"] = r.userid;
            if (r.attempts > 0) {
                body["enable_duplicate_check"] = 1;
                body["duplicate_check_interval"] =
                    std::clamp<std::int64_t>(now - first_attempt_at + kDuplicateMargin,
                                             kDuplicateMargin, kMaxDuplicateInterval);
            }
            sent = api_.SendRaw(std::move(body));
        } else {
            body["userids"] = json::array({r.userid});
            body["response_code"] = response_code;
            auto updated = api_.UpdateTemplateCardRaw(std::move(body));
            if (!updated) {
                sent = updated.error();
            }
        }

        if (sent) {
            if (opts_.after_send_hook && !opts_.after_send_hook(r.id)) {
                return out;  // simulated crash: acknowledgement never stored
            }
            SQLite::Statement q(conn,
                                "UPDATE outbox SET status = 'sent', sent_at = ?, msgid = ?, "
                                "response_code = ?, last_error = ? WHERE id = ?");
            q.bind(1, clock_.NowSeconds());
            q.bind(2, sent->msgid);
            q.bind(3, r.kind == "send" ? sent->response_code : response_code);
            q.bind(4, sent->invaliduser.empty() ? "" : "invaliduser: " + sent->invaliduser);
            q.bind(5, r.id);
            q.exec();
            if (r.kind == "update_card") {
                // response_code is single-use: the card's stored one is spent now.
                SQLite::Statement spent(conn,
                                        "UPDATE outbox SET response_code = '' WHERE kind = 'send' "
                                        "AND task_id = ? AND userid = ? AND response_code = ?");
                spent.bind(1, r.task_id);
                spent.bind(2, r.userid);
                spent.bind(3, response_code);
                spent.exec();
            }
            ++out.sent;
            Sends("sent").Inc();
            continue;
        }

        const auto& err = sent.error();
        const int attempts = r.attempts + 1;
        blocked.insert(r.userid);
        if (!wecom::IsRetryable(err)) {
            park(r, ErrorText(err));
            continue;
        }
        if (attempts >= opts_.max_attempts) {
            park(r, "gave up after " + std::to_string(attempts) + " attempts: " + ErrorText(err));
            continue;
        }
        const auto next = clock_.NowSeconds() + Backoff(attempts);
        SQLite::Statement q(conn,
                            "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?");
        q.bind(1, next);
        q.bind(2, ErrorText(err));
        q.bind(3, r.id);
        q.exec();
        ++out.failed;
        Sends("retry").Inc();
        due_at(next);
        if (Unreachable(err)) {
            // WeCom itself is not answering: trying the other users now would only stack up
            // timeouts (and delay Stop); this row's backoff paces the whole queue.
            break;
        }
    }
    return out;
}

}  // namespace wedesk::outbox
