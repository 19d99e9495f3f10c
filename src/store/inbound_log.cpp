#include "wedesk/store/inbound_log.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "wedesk/store/database.hpp"

namespace wedesk::store {

std::optional<LoggedReply> InboundLog::Find(const std::string& dedupe_key) {
    auto q = db_.Prepare(
        "SELECT reply_kind, reply_body, reply_sealed FROM inbound_messages "
        "WHERE dedupe_key = ?");
    q->bind(1, dedupe_key);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    LoggedReply r;
    r.kind = q->getColumn(0).getString();
    if (!q->getColumn(1).isNull()) {
        const auto col = q->getColumn(1);
        r.body.assign(static_cast<const char*>(col.getBlob()),
                      static_cast<std::size_t>(col.getBytes()));
    }
    r.sealed = q->getColumn(2).getInt() != 0;
    return r;
}

void InboundLog::Insert(const std::string& dedupe_key, const std::string& userid,
                        const std::string& msg_type, std::int64_t received_at,
                        const LoggedReply& reply) {
    auto q = db_.Prepare(
        "INSERT INTO inbound_messages (dedupe_key, userid, msg_type, received_at, "
        "reply_kind, reply_body, reply_sealed) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q->bind(1, dedupe_key);
    q->bind(2, userid);
    q->bind(3, msg_type);
    q->bind(4, received_at);
    q->bind(5, reply.kind);
    q->bind(6, reply.body.data(), static_cast<int>(reply.body.size()));
    q->bind(7, reply.sealed ? 1 : 0);
    q->exec();
}

int InboundLog::Prune(std::int64_t before) {
    auto q = db_.Prepare("DELETE FROM inbound_messages WHERE received_at < ?");
    q->bind(1, before);
    return q->exec();
}

}  // namespace wedesk::store
