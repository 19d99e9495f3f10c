#include "wedesk/store/inbound_log.hpp"

#include "wedesk/store/database.hpp"

namespace wedesk::store {

std::optional<LoggedReply> InboundLog::Find(const std::string& dedupe_key) {
    store::Query q(db_.Conn(),
                   "SELECT reply_kind, reply_body, reply_sealed FROM inbound_messages "
                   "WHERE dedupe_key = ?");
    q.bind(1, dedupe_key);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    LoggedReply r;
    r.kind = q.getColumn(0).getString();
    if (!q.getColumn(1).isNull()) {
        const auto col = q.getColumn(1);
        r.body.assign(static_cast<const char*>(col.getBlob()),
                      static_cast<std::size_t>(col.getBytes()));
    }
    r.sealed = q.getColumn(2).getInt() != 0;
    return r;
}

void InboundLog::Insert(const std::string& dedupe_key, const std::string& userid,
                        const std::string& msg_type, std::int64_t received_at,
                        const LoggedReply& reply) {
    store::StepTx write(db_);
    store::Query q(write.Conn(),
                   "INSERT INTO inbound_messages (dedupe_key, userid, msg_type, received_at, "
                   "reply_kind, reply_body, reply_sealed) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, dedupe_key);
    q.bind(2, userid);
    q.bind(3, msg_type);
    q.bind(4, received_at);
    q.bind(5, reply.kind);
    q.bind(6, reply.body.data(), static_cast<int>(reply.body.size()));
    q.bind(7, reply.sealed ? 1 : 0);
    q.exec();
    write.Commit();
}

int InboundLog::Prune(std::int64_t before) {
    store::StepTx write(db_);
    store::Query q(write.Conn(), "DELETE FROM inbound_messages WHERE received_at < ?");
    q.bind(1, before);
    const auto changed = q.exec();
    write.Commit();
    return changed;
}

}  // namespace wedesk::store
