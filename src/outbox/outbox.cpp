#include "wedesk/outbox/outbox.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/sql.hpp"
#include "wedesk/wecom/card.hpp"

namespace wedesk::outbox {

namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

OutboxEntry ReadEntry(store::Query& q) {
    OutboxEntry e;
    e.id = q.getColumn(0).getInt64();
    e.userid = q.getColumn(1).getString();
    e.kind = q.getColumn(2).getString();
    e.msgtype = q.getColumn(3).getString();
    e.body = q.getColumn(4).getString();
    e.task_id = q.getColumn(5).getString();
    e.status = q.getColumn(6).getString();
    e.attempts = q.getColumn(7).getInt();
    e.next_attempt_at = q.getColumn(8).getInt64();
    e.first_attempt_at = q.getColumn(9).getInt64();
    e.created_at = q.getColumn(10).getInt64();
    e.sent_at = q.getColumn(11).getInt64();
    e.msgid = q.getColumn(12).getString();
    e.response_code = q.getColumn(13).getString();
    e.last_error = q.getColumn(14).getString();
    if (q.getColumn(15).getInt() != 0) {
        e.body = "(sealed)";
    }
    return e;
}

constexpr const char* kColumns =
    "id, userid, kind, msgtype, body, task_id, status, attempts, next_attempt_at, "
    "first_attempt_at, created_at, sent_at, msgid, response_code, last_error, sealed";

}  // namespace

Outbox::Outbox(store::Database& db, Clock& clock, const Sealer* sealer, Random* random)
    : db_(db), clock_(clock), sealer_(sealer), random_(random) {}

void Outbox::SetOnEnqueue(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    on_enqueue_ = std::move(fn);
}

void Outbox::Notify() {
    std::function<void()> fn;
    {
        std::lock_guard lock(mu_);
        fn = on_enqueue_;
    }
    if (fn) {
        fn();
    }
}

void Outbox::Insert(const std::string& userid, const std::string& kind, const std::string& msgtype,
                    const std::string& body, const std::string& task_id, const std::string& status,
                    const std::string& last_error, bool sealed) {
    const auto now = clock_.NowSeconds();
    // No BEGIN here: the statement joins whatever transaction the caller has open on this
    // thread's connection, so the message exists exactly when the caller's change does.
    store::StepTx write(db_);
    store::Query q(write.Conn(),
                   "INSERT INTO outbox (userid, kind, msgtype, body, task_id, status, "
                   "next_attempt_at, created_at, last_error, sealed) VALUES (?,?,?,?,?,?,?,?,?,?)");
    // WeCom UserIDs are case-insensitive: one spelling keeps per-user order and pacing right.
    q.bind(1, text::AsciiLower(userid));
    q.bind(2, kind);
    q.bind(3, msgtype);
    if (sealed) {
        q.bind(4, body.data(), static_cast<int>(body.size()));  // a blob: nonce, cipher, tag
    } else {
        q.bind(4, body);
    }
    q.bind(5, task_id);
    q.bind(6, status);
    q.bind(7, now);
    q.bind(8, now);
    q.bind(9, last_error);
    q.bind(10, sealed ? 1 : 0);
    q.exec();
    write.Commit();
    Notify();
}

void Outbox::SendText(const std::string& userid, const std::string& text) {
    Insert(userid, "send", "text", Dump({{"msgtype", "text"}, {"text", {{"content", text}}}}), "",
           "pending", "");
}

void Outbox::SendSecretText(const std::string& userid, const std::string& text) {
    if (sealer_ == nullptr || random_ == nullptr) {
        throw std::logic_error("outbox: a secret text needs a sealer");
    }
    std::string body = Dump({{"msgtype", "text"}, {"text", {{"content", text}}}});
    const std::string sealed = sealer_->Seal(body, *random_);
    WipeString(body);
    Insert(userid, "send", "text", sealed, "", "pending", "", true);
}

void Outbox::SendMarkdown(const std::string& userid, const std::string& markdown) {
    Insert(userid, "send", "markdown",
           Dump({{"msgtype", "markdown"}, {"markdown", {{"content", markdown}}}}), "", "pending",
           "");
}

void Outbox::SendCard(const std::string& userid, const Card& card) {
    const std::string body =
        Dump({{"msgtype", "template_card"}, {"template_card", wecom::TemplateCard(card)}});
    if (card.id.empty()) {
        log::Get("outbox")->error("card for {} has no id; stored parked", userid);
        Insert(userid, "send", "template_card", body, "", "parked",
               "bad_request: card without an id");
        return;
    }
    Insert(userid, "send", "template_card", body, card.id, "pending", "");
}

void Outbox::SendFile(const std::string& userid, const FileMessage& file) {
    // The media_id is filled in by the worker once it has uploaded the file.
    Insert(
        userid, "send", file.type,
        Dump({{"msgtype", file.type},
              {file.type, {{"media_id", ""}}},
              {kUploadField,
               {{"path", file.path}, {"name", file.name}, {"content_type", file.content_type}}}}),
        "", "pending", "");
}

void Outbox::UpdateCard(const std::string& userid, const std::string& task_id,
                        const std::string& replace_name, const std::string& response_code) {
    const auto now = clock_.NowSeconds();
    store::StepTx write(db_);
    store::Query q(write.Conn(),
                   "INSERT INTO outbox (userid, kind, msgtype, body, task_id, "
                   "response_code, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)");
    q.bind(1, text::AsciiLower(userid));
    q.bind(2, "update_card");
    q.bind(3, "update_template_card");
    q.bind(4, Dump({{"button", {{"replace_name", replace_name}}}}));
    q.bind(5, task_id);
    q.bind(6, response_code);
    q.bind(7, now);
    q.bind(8, now);
    q.exec();
    write.Commit();
    Notify();
}

void Outbox::RetireCard(const std::string& task_id, const std::string& replace_name) {
    constexpr std::int64_t kResponseCodeLifeS = 71 * 3600;  // WeCom: 72 h, minus a margin
    store::Query q(db_.Conn(),
                   "SELECT userid, status, sent_at, response_code FROM outbox WHERE "
                   "task_id = ? AND kind = 'send' ORDER BY id DESC LIMIT 1");
    q.bind(1, task_id);
    if (!q.executeStep()) {
        return;
    }
    const std::string userid = q.getColumn(0).getString();
    const std::string status = q.getColumn(1).getString();
    const bool updatable = status == "pending" ||
                           (status == "sent" && !q.getColumn(3).getString().empty() &&
                            clock_.NowSeconds() - q.getColumn(2).getInt64() < kResponseCodeLifeS);
    if (updatable) {
        UpdateCard(userid, task_id, replace_name);
    }
}

OutboxStats Outbox::Stats() {
    OutboxStats s;
    store::Query q(db_.Conn(), "SELECT status, COUNT(*) FROM outbox GROUP BY status");
    while (q.executeStep()) {
        const auto status = q.getColumn(0).getString();
        const auto n = q.getColumn(1).getInt64();
        if (status == "pending") {
            s.pending = n;
        } else if (status == "parked") {
            s.parked = n;
        } else if (status == "sent") {
            s.sent = n;
        }
    }
    return s;
}

std::vector<OutboxEntry> Outbox::List(const std::string& status, int limit) {
    std::vector<OutboxEntry> out;
    store::Query q(db_.Conn(), std::string("SELECT ") + kColumns +
                                   " FROM outbox WHERE (?1 = '' OR status = ?1) "
                                   "ORDER BY id DESC LIMIT ?2");
    q.bind(1, status);
    q.bind(2, limit);
    while (q.executeStep()) {
        out.push_back(ReadEntry(q));
    }
    return out;
}

Result<OutboxEntry> Outbox::Get(std::int64_t id) {
    store::Query q(db_.Conn(), std::string("SELECT ") + kColumns + " FROM outbox WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) {
        return Fail(Errc::kNotFound, "no outbox message " + std::to_string(id));
    }
    return ReadEntry(q);
}

Result<void> Outbox::Retry(std::int64_t id) {
    // attempts stays > 0 when it was, so the retry still carries the duplicate check.
    store::StepTx write(db_);
    store::Query q(write.Conn(),
                   "UPDATE outbox SET status = 'pending', next_attempt_at = ?, "
                   "attempts = MIN(attempts, 1), last_error = '' "
                   "WHERE id = ? AND status = 'parked'");
    q.bind(1, clock_.NowSeconds());
    q.bind(2, id);
    const int changed = q.exec();
    write.Commit();
    if (changed == 0) {
        auto row = Get(id);
        if (!row) {
            return row.error();
        }
        return Fail(Errc::kNotParked,
                    "outbox message " + std::to_string(id) + " is " + row->status);
    }
    Notify();
    return {};
}

int Outbox::RetryParked() {
    store::WriteTx tx(db_);
    store::Query q(tx.Conn(),
                   "UPDATE outbox SET status = 'pending', next_attempt_at = ?, "
                   "attempts = MIN(attempts, 1), last_error = '' WHERE status = 'parked'");
    q.bind(1, clock_.NowSeconds());
    const int n = q.exec();
    tx.Commit();
    if (n > 0) {
        Notify();
    }
    return n;
}

std::string Outbox::ResponseCode(const std::string& task_id, const std::string& userid) {
    store::Query q(db_.Conn(),
                   "SELECT response_code FROM outbox WHERE task_id = ? AND userid = ? AND "
                   "kind = 'send' AND status = 'sent' ORDER BY id DESC LIMIT 1");
    q.bind(1, task_id);
    q.bind(2, text::AsciiLower(userid));
    if (!q.executeStep()) {
        return {};
    }
    return q.getColumn(0).getString();
}

void RegisterMetrics(Outbox& outbox, metrics::Registry& registry) {
    registry.AddGaugeCallback(
        "wedesk_outbox_messages", "Outbox messages by status (parked = needs an operator)",
        [&outbox]() -> std::vector<std::pair<metrics::Labels, double>> {
            try {
                const auto s = outbox.Stats();
                return {{{{"status", "pending"}}, static_cast<double>(s.pending)},
                        {{{"status", "parked"}}, static_cast<double>(s.parked)},
                        {{{"status", "sent"}}, static_cast<double>(s.sent)}};
            } catch (const std::exception&) {
                return {};
            }
        });
}

}  // namespace wedesk::outbox
