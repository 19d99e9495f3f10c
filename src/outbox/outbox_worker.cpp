#include "wedesk/outbox/outbox_worker.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <queue>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/common/thread_name.hpp"
#include "wedesk/outbox/outbox.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::outbox {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxDuplicateInterval = 4 * 3600;  // WeCom's maximum
constexpr std::int64_t kDuplicateMargin = 300;
constexpr std::int64_t kFirstSendDuplicateInterval = 60;
constexpr std::size_t kMaxErrorText = 300;
// Bound of the paced-member cache; dropping it only costs queries (the database is the truth).
constexpr std::size_t kMaxPacedUsers = 100000;

std::shared_ptr<spdlog::logger> Log() { return log::Get("outbox"); }

metrics::Counter& Sends(const char* result) {
    return metrics::Global().GetCounter("wedesk_outbox_sends_total",
                                        "Outbox send attempts by result", {{"result", result}});
}

/// A pending row without its body (read only for the row about to be sent).
struct Row {
    std::int64_t id = 0;
    std::string userid;
    std::string kind;
    std::string task_id;
    int attempts = 0;
    std::int64_t next_attempt_at = 0;
    std::int64_t first_attempt_at = 0;
    std::string response_code;
};

/// A query for one pending Row (columns in FirstRow's order), `where` ordered along the partial
/// index outbox_pending_user (userid, id). Named, as without ANALYZE statistics SQLite would
/// rather sort every pending row by outbox_pending.
std::string RowQuery(const char* where) {
    return std::string(
               "SELECT id, userid, kind, task_id, attempts, next_attempt_at, "
               "first_attempt_at, response_code FROM outbox INDEXED BY "
               "outbox_pending_user WHERE status = 'pending' AND ") +
           where + " LIMIT 1";
}

/// The first row of `q`, if any. The statement is reset at once: an active statement would keep
/// this connection's read snapshot open, and later reads must see the worker's own commits.
std::optional<Row> FirstRow(store::Query& q) {
    std::optional<Row> r;
    if (q.executeStep()) {
        r.emplace();
        r->id = q.getColumn(0).getInt64();
        r->userid = q.getColumn(1).getString();
        r->kind = q.getColumn(2).getString();
        r->task_id = q.getColumn(3).getString();
        r->attempts = q.getColumn(4).getInt();
        r->next_attempt_at = q.getColumn(5).getInt64();
        r->first_attempt_at = q.getColumn(6).getInt64();
        r->response_code = q.getColumn(7).getString();
    }
    q.reset();
    return r;
}

struct LaterId {
    bool operator()(const Row& a, const Row& b) const { return a.id > b.id; }
};

std::string ErrorText(const Error& e) {
    auto s = e.CodeText() + ": " + e.message;
    if (s.size() > kMaxErrorText) {
        s.resize(kMaxErrorText);
    }
    return s;
}

/// The unix second from which one more message to `userid` stays within `limit` per `window`
/// (<= now when it already does). A sliding window over what was actually acknowledged.
std::int64_t WindowRelease(store::Query& q, const std::string& userid, std::int64_t now, int limit,
                           std::int64_t window) {
    if (limit <= 0) {
        return now;
    }
    q.bind(1, userid);
    q.bind(2, now - window);
    q.bind(3, limit - 1);
    std::int64_t release = now;
    if (q.executeStep()) {
        // `limit` messages within the window: wait until the oldest of them leaves it.
        release = q.getColumn(0).getInt64() + window;
    }
    q.reset();
    return release;
}

bool Unreachable(const Error& e) {
    return e.code == Errc::kNetwork || e.code == Errc::kTimeout ||
           (e.code == Errc::kHttp && e.detail >= 500);
}

}  // namespace

std::string OutboxWorker::PausedReason() const {
    std::lock_guard lock(paused_mu_);
    return paused_;
}

void OutboxWorker::SetPaused(const std::string& reason) {
    std::lock_guard lock(paused_mu_);
    if (reason == paused_) {
        return;
    }
    if (!reason.empty()) {
        Log()->error(
            "outbox paused: WeCom refuses our configuration ({}) — IT: fix it (for 60020 add "
            "this server's egress IP to the app's 企业可信IP); messages wait and are sent once "
            "it works",
            reason);
    } else {
        Log()->info("outbox resumed: WeCom accepts our messages again");
    }
    paused_ = reason;
}

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
    thread_ = std::thread([this] {
        SetThreadName("wd-outbox");
        Loop();
    });
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
    // Called after every commit of the app: only the first kick since the last pass started
    // takes the lock; later ones find the flag set and return.
    if (kicked_.exchange(true)) {
        return;
    }
    {
        // The waiter checks the flag under mu_: passing through it here means the waiter is
        // either before its check (and sees the flag) or waiting (and gets the notification).
        std::lock_guard lock(mu_);
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
    using Steady = std::chrono::steady_clock;
    using std::chrono::milliseconds;
    for (;;) {
        kicked_ = false;  // a kick from now on asks for one more pass
        PassResult pass;
        try {
            pass = RunOnce();
        } catch (const std::exception& e) {
            Log()->error("outbox pass failed: {}", e.what());
        }
        const auto ended = Steady::now();
        auto wait = opts_.poll;
        if (pass.next_due) {
            const auto until = std::chrono::duration_cast<milliseconds>(
                Clock::TimePoint(std::chrono::seconds(*pass.next_due)) - clock_.Now());
            wait = std::clamp(until, std::min(milliseconds(10), opts_.poll), opts_.poll);
        }
        const auto due = ended + wait;
        // Kicks within min_pass_interval of the last pass are served together after it.
        const auto kicked_due = ended + opts_.min_pass_interval;
        std::unique_lock lock(mu_);
        for (;;) {
            if (stop_) {
                return;
            }
            const auto deadline = kicked_.load() ? std::min(due, kicked_due) : due;
            if (Steady::now() >= deadline) {
                break;
            }
            cv_.wait_until(lock, deadline);
        }
    }
}

/// One pass over the outbox (RunOnce): picks each user's head message, sends what is due in id
/// order, records each outcome in its own short write transaction. Reads go through the
/// worker thread's connection outside any transaction (statements from its cache, reset after
/// each use), so later reads see the pass's own commits.
class OutboxWorker::Pass {
public:
    explicit Pass(OutboxWorker& w)
        : w_(w),
          conn_(w.db_.Conn()),
          start_(w.clock_.NowSeconds()),
          budget_(static_cast<std::size_t>(std::max(1, w.opts_.batch))) {}

    PassResult Run() {
        for (auto it = w_.paced_until_.begin(); it != w_.paced_until_.end();) {
            it = it->second <= start_ ? w_.paced_until_.erase(it) : std::next(it);
        }
        queue_ = Queue(LaterId{}, PickHeads());
        while (!queue_.empty() && !w_.stopping_.load()) {
            const Row r = queue_.top();
            queue_.pop();
            if (!Deliver(r)) {
                break;
            }
        }
        if (crashed_) {
            return out_;
        }
        if (out_.next_due && *out_.next_due <= start_ &&
            out_.sent + out_.parked + out_.failed == 0 && !w_.stopping_.load()) {
            // Only the users beyond this pass's `batch` may be due, and nothing here moved:
            // look at them in a second rather than spin over blocked users.
            out_.next_due = start_ + 1;
        }
        return out_;
    }

private:
    using Queue = std::priority_queue<Row, std::vector<Row>, LaterId>;

    void DueAt(std::int64_t t) {
        if (!out_.next_due || t < *out_.next_due) {
            out_.next_due = t;
        }
    }

    /// 1. The head (oldest pending row) of each user, `batch` users at most, in userid order
    /// from where the last pass that hit the limit stopped, wrapping around once.
    std::vector<Row> PickHeads() {
        static const std::string kFirstUserSql = RowQuery("userid >= ? ORDER BY userid, id");
        static const std::string kNextUserSql = RowQuery("userid > ? ORDER BY userid, id");
        std::vector<Row> heads;
        const std::string cursor = w_.user_cursor_;
        bool wrapped = cursor.empty();
        std::optional<std::string> after =
            cursor.empty() ? std::nullopt : std::optional<std::string>(cursor);
        while (heads.size() < budget_) {
            store::Query q(conn_, after ? kNextUserSql : kFirstUserSql);
            q.bind(1, after ? *after : std::string());
            auto head = FirstRow(q);
            if (head && wrapped && !cursor.empty() && head->userid > cursor) {
                head.reset();  // back where this pass began
            }
            if (!head) {
                if (wrapped) {
                    break;
                }
                wrapped = true;
                after.reset();
                continue;
            }
            after = head->userid;
            heads.push_back(std::move(*head));
        }
        const bool cut = heads.size() >= budget_;
        w_.user_cursor_ = cut ? heads.back().userid : std::string();
        if (cut) {
            DueAt(start_);  // revised below when this pass makes no progress
        }
        return heads;
    }

    /// Pacing release of `userid`: from memory while it lies ahead (only this worker sends,
    /// and it sends nothing to a paced member), else from the acknowledged rows.
    std::int64_t ReleaseOf(const std::string& userid, std::int64_t now) {
        auto& paced = w_.paced_until_;
        if (auto it = paced.find(userid); it != paced.end()) {
            if (it->second > now) {
                return it->second;
            }
            paced.erase(it);
        }
        store::Query q(conn_,
                       "SELECT sent_at FROM outbox INDEXED BY outbox_user_sends "
                       "WHERE status = 'sent' AND userid = ? AND kind = 'send' AND "
                       "sent_at > ? ORDER BY sent_at DESC LIMIT 1 OFFSET ?");
        const auto release = std::max(WindowRelease(q, userid, now, w_.opts_.per_minute, 60),
                                      WindowRelease(q, userid, now, w_.opts_.per_hour, 3600));
        if (release > now) {
            if (paced.size() >= kMaxPacedUsers) {
                paced.clear();
            }
            paced[userid] = release;
        }
        return release;
    }

    /// 2. Heads go in id order; a user's next row joins only once the previous one is done.
    void Follow(const Row& r) {
        static const std::string kUserNextRowSql = RowQuery("userid = ? AND id > ? ORDER BY id");
        if (looked_ >= budget_) {
            DueAt(w_.clock_.NowSeconds());  // more may be due: the next pass goes on
            return;
        }
        ++looked_;
        store::Query q(conn_, kUserNextRowSql);
        q.bind(1, r.userid);
        q.bind(2, r.id);
        if (auto next = FirstRow(q)) {
            queue_.push(std::move(*next));
        }
    }

    /// A failed row tries again at `next`.
    void Reschedule(const Row& r, std::int64_t next, const Error& err) {
        store::WriteTx tx(w_.db_);
        store::Query q(tx.Conn(),
                       "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?");
        q.bind(1, next);
        q.bind(2, ErrorText(err));
        q.bind(3, r.id);
        q.exec();
        tx.Commit();
    }

    void Park(const Row& r, const std::string& why) {
        store::WriteTx tx(w_.db_);
        store::Query q(tx.Conn(),
                       "UPDATE outbox SET status = 'parked', last_error = ? WHERE id = ?");
        q.bind(1, why);
        q.bind(2, r.id);
        q.exec();
        tx.Commit();
        ++out_.parked;
        Sends("parked").Inc();
        Log()->warn("outbox message {} to {} parked: {}", r.id, r.userid, why);
    }

    /// The request body of a pending row, opened when sealed; nullopt (and the row dealt with)
    /// when it changed meanwhile or cannot be used.
    std::optional<json> Body(const Row& r) {
        std::string stored;
        bool sealed = false;
        {
            store::Query q(conn_,
                           "SELECT body, sealed FROM outbox WHERE id = ? AND status = 'pending'");
            q.bind(1, r.id);
            if (!q.executeStep()) {
                Follow(r);  // changed meanwhile (admin)
                return std::nullopt;
            }
            const auto col = q.getColumn(0);
            stored.assign(static_cast<const char*>(col.getBlob()),
                          static_cast<std::size_t>(col.getBytes()));
            sealed = q.getColumn(1).getInt() != 0;
        }
        if (sealed) {
            auto opened = w_.opts_.sealer != nullptr
                              ? w_.opts_.sealer->Open(stored)
                              : Result<std::string>(Fail(Errc::kSealed, "no key"));
            if (!opened) {
                Park(r, "sealed: the body cannot be opened with this server's key");
                Follow(r);
                return std::nullopt;
            }
            stored = std::move(opened.value());
        }
        auto body = json::parse(stored, nullptr, false);
        WipeString(stored);
        if (body.is_discarded() || !body.is_object()) {
            Park(r, "bad_request: stored body is not a JSON object");
            Follow(r);
            return std::nullopt;
        }
        return body;
    }

    /// The response_code an update_card needs: the row's own, else the one stored when the
    /// card was sent (single-use). Empty (and the row parked) when there is none.
    std::string ResponseCodeFor(const Row& r) {
        if (r.kind != "update_card" || !r.response_code.empty()) {
            return r.response_code;
        }
        std::string code;
        {
            store::Query q(conn_,
                           "SELECT response_code FROM outbox WHERE task_id = ? AND "
                           "userid = ? AND kind = 'send' AND status = 'sent' "
                           "ORDER BY id DESC LIMIT 1");
            q.bind(1, r.task_id);
            q.bind(2, r.userid);
            if (q.executeStep()) {
                code = q.getColumn(0).getString();
            }
        }
        if (code.empty()) {
            Park(r, "no_response_code: card " + r.task_id + " was not sent or already updated");
            Follow(r);
        }
        return code;
    }

    /// Records the attempt before the request: if we die before the acknowledgement is stored,
    /// the next attempt knows it may be a copy and asks WeCom to drop it. False when the row
    /// changed meanwhile.
    bool RecordAttempt(const Row& r, std::int64_t first_attempt_at) {
        store::WriteTx tx(w_.db_);
        store::Query q(tx.Conn(),
                       "UPDATE outbox SET attempts = attempts + 1, first_attempt_at = ? "
                       "WHERE id = ? AND status = 'pending'");
        q.bind(1, first_attempt_at);
        q.bind(2, r.id);
        const auto changed = q.exec();
        tx.Commit();
        if (changed == 0) {
            Follow(r);  // changed meanwhile (admin)
        }
        return changed != 0;
    }

    /// A file message: uploads the stored file and puts the new media_id into `body`.
    Result<void> Upload(json& body) {
        const auto spec = body[kUploadField];
        body.erase(kUploadField);
        const auto type = body.value("msgtype", "");
        const auto path = spec.value("path", "");
        std::ifstream in(path, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        if (!in || path.empty()) {
            return Fail(Errc::kNotFound, "the file to send is gone: " + path);
        }
        auto id = w_.api_.UploadMedia(type, spec.value("name", ""), bytes.str(),
                                      spec.value("content_type", ""));
        if (!id) {
            return id.error();
        }
        body[type] = {{"media_id", *id}};
        return {};
    }

    Result<wecom::SendResult> Send(const Row& r, json body, const std::string& response_code,
                                   std::int64_t now, std::int64_t first_attempt_at) {
        if (body.contains(kUploadField)) {
            if (auto up = Upload(body); !up) {
                return up.error();
            }
        }
        if (r.kind == "send") {
            body["touser"] = r.userid;
            // Every send asks WeCom to drop a copy. A resend (an earlier attempt may have
            // arrived) covers the time since the first attempt. A first send covers a short
            // window too: after a crash, the lost first attempt can still reach WeCom *after*
            // the resend, and then it is the copy that must be dropped.
            body["enable_duplicate_check"] = 1;
            body["duplicate_check_interval"] =
                r.attempts > 0 ? std::clamp<std::int64_t>(now - first_attempt_at + kDuplicateMargin,
                                                          kDuplicateMargin, kMaxDuplicateInterval)
                               : kFirstSendDuplicateInterval;
            return w_.api_.SendRaw(std::move(body));
        }
        body["userids"] = json::array({r.userid});
        body["response_code"] = response_code;
        auto updated = w_.api_.UpdateTemplateCardRaw(std::move(body));
        if (!updated) {
            return updated.error();
        }
        return wecom::SendResult{};
    }

    void MarkSent(const Row& r, const wecom::SendResult& sent, const std::string& response_code) {
        store::WriteTx tx(w_.db_);
        store::Query q(tx.Conn(),
                       "UPDATE outbox SET status = 'sent', sent_at = ?, msgid = ?, "
                       "response_code = ?, last_error = ?, body = CASE WHEN sealed = 1 "
                       "THEN '' ELSE body END WHERE id = ?");
        q.bind(1, w_.clock_.NowSeconds());
        q.bind(2, sent.msgid);
        q.bind(3, r.kind == "send" ? sent.response_code : response_code);
        q.bind(4, sent.invaliduser.empty() ? "" : "invaliduser: " + sent.invaliduser);
        q.bind(5, r.id);
        q.exec();
        if (r.kind == "update_card") {
            // response_code is single-use: the card's stored one is spent now.
            store::Query spent(tx.Conn(),
                               "UPDATE outbox SET response_code = '' WHERE kind = 'send' "
                               "AND task_id = ? AND userid = ? AND response_code = ?");
            spent.bind(1, r.task_id);
            spent.bind(2, r.userid);
            spent.bind(3, response_code);
            spent.exec();
        }
        tx.Commit();
        ++out_.sent;
        Sends("sent").Inc();
        w_.SetPaused("");
    }

    /// A failed user is done for this pass: their next message waits for this one. False when
    /// the pass should stop (configuration error, WeCom unreachable).
    bool Failed(const Row& r, const Error& err) {
        const int attempts = r.attempts + 1;
        if (wecom::IsConfigError(err)) {
            // Every message would fail alike until an administrator fixes the configuration:
            // park nothing, pause, and try this one message again later.
            const auto next = w_.clock_.NowSeconds() + w_.opts_.config_retry.count();
            Reschedule(r, next, err);
            w_.SetPaused(ErrorText(err));
            ++out_.failed;
            Sends("paused").Inc();
            out_.next_due = next;
            return false;
        }
        if (!wecom::IsRetryable(err)) {
            Park(r, ErrorText(err));
            return true;
        }
        if (attempts >= w_.opts_.max_attempts) {
            Park(r, "gave up after " + std::to_string(attempts) + " attempts: " + ErrorText(err));
            return true;
        }
        const auto next = w_.clock_.NowSeconds() + w_.Backoff(attempts);
        Reschedule(r, next, err);
        ++out_.failed;
        Sends("retry").Inc();
        DueAt(next);
        if (Unreachable(err)) {
            // WeCom itself is not answering: trying the other users now would only stack up
            // timeouts (and delay Stop); this row's backoff paces the whole queue.
            if (out_.next_due && *out_.next_due <= start_) {
                out_.next_due = next;  // not even for the users this pass did not look at
            }
            return false;
        }
        return true;
    }

    /// One row, from due check to recorded outcome. False when the pass should stop.
    bool Deliver(const Row& r) {
        const auto now = w_.clock_.NowSeconds();
        // A user whose head cannot go now: their later messages wait (order per user).
        if (r.next_attempt_at > now) {
            DueAt(r.next_attempt_at);
            return true;
        }
        if (r.kind == "send") {
            if (const auto release = ReleaseOf(r.userid, now); release > now) {
                DueAt(release);
                return true;
            }
        }
        auto body = Body(r);
        if (!body) {
            return true;
        }
        const std::string response_code = ResponseCodeFor(r);
        if (r.kind == "update_card" && response_code.empty()) {
            return true;
        }
        const auto first_attempt_at = r.first_attempt_at != 0 ? r.first_attempt_at : now;
        if (!RecordAttempt(r, first_attempt_at)) {
            return true;
        }
        auto sent = Send(r, std::move(*body), response_code, now, first_attempt_at);
        if (!sent) {
            return Failed(r, sent.error());
        }
        if (w_.opts_.after_send_hook && !w_.opts_.after_send_hook(r.id)) {
            crashed_ = true;  // simulated crash: acknowledgement never stored
            return false;
        }
        MarkSent(r, *sent, response_code);
        Follow(r);
        return true;
    }

    OutboxWorker& w_;
    store::Conn& conn_;
    const std::int64_t start_;
    const std::size_t budget_;
    PassResult out_;
    Queue queue_;
    std::size_t looked_ = 0;
    bool crashed_ = false;  // after_send_hook said stop: leave as a crash would
};

PassResult OutboxWorker::RunOnce() {
    std::lock_guard run(run_mu_);
    ++passes_;
    return Pass(*this).Run();
}

}  // namespace wedesk::outbox
