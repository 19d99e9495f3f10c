#pragma once
/// Bot: the conversation. One call per inbound message: load the person's dialog state, expire
/// it when idle too long, route the message (command, flow step, event, media), save the new
/// state, and return the passive reply. Runs inside the caller's write transaction, so the
/// state change, ticket change and queued notifications of one message commit together.
/// Knows nothing of HTTP, XML or SQLite; sees InboundMessage and the domain services.

#include <memory>
#include <string>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/follow_up.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/wecom/callback.hpp"
#include "wedesk/wecom/message.hpp"

namespace wedesk::store {
class Database;
}
namespace wedesk::tickets {
class TicketService;
}
namespace wedesk::kb {
class KnowledgeBase;
}
namespace wedesk::reset {
class ResetService;
}

namespace wedesk::bot {

struct BotReply {
    wecom::PassiveReply passive;
    bool sensitive = false;  ///< carries a reset link or temporary password: stored sealed
    /// `passive` is an interim answer; the final one may replace it (a directory call runs
    /// after commit, see FollowUp). Only text replies have one.
    std::shared_ptr<FollowUp> follow_up;
};

/// What the bot talks to. Null services are "not available here" and answered politely.
struct BotDeps {
    store::Database& db;
    const config::Config& config;
    const Clock& clock;
    tickets::TicketService* tickets = nullptr;
    kb::KnowledgeBase* kb = nullptr;
    reset::ResetService* reset = nullptr;
    Notifier* notifier = nullptr;  ///< for prompts that cannot go in a passive reply
};

class Bot final {
public:
    explicit Bot(BotDeps deps);
    ~Bot();
    Bot(const Bot&) = delete;
    Bot& operator=(const Bot&) = delete;

    BotReply Handle(const wecom::InboundMessage& message);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The help text (what the bot can do), also the welcome message.
std::string HelpText(bool engineer);

}  // namespace wedesk::bot
