#pragma once
/// InboundLog: every callback wedesk has acknowledged, keyed by its dedupe key (MsgId, or
/// user+time+event for events), with the reply it got. A WeCom retry of the same delivery finds
/// its row and gets the same reply without being processed again — across restarts too.
/// Runs on the calling thread's connection, so it joins the caller's WriteTx.

#include <cstdint>
#include <optional>
#include <string>

namespace wedesk::store {

class Database;

struct LoggedReply {
    std::string kind;  ///< "" (no reply), "text", "update_button"
    std::string body;  ///< text, or sealed bytes when `sealed`
    bool sealed = false;
};

class InboundLog final {
public:
    explicit InboundLog(Database& db) : db_(db) {}
    std::optional<LoggedReply> Find(const std::string& dedupe_key);
    void Insert(const std::string& dedupe_key, const std::string& userid,
                const std::string& msg_type, std::int64_t received_at, const LoggedReply& reply);
    /// Deletes rows older than `before` (WeCom retries within seconds; a week is plenty).
    int Prune(std::int64_t before);

private:
    Database& db_;
};

}  // namespace wedesk::store
