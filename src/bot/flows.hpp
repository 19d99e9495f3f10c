#pragma once
// Private to bot/: the Bot's implementation, split across files by concern:
//   bot.cpp            routing, state load/expiry/save, events, menu
//   domain.cpp         tickets, knowledge base and reset flows

#include <string>

#include "wedesk/bot/bot.hpp"
#include "wedesk/bot/command.hpp"
#include "wedesk/store/dialog_repository.hpp"

namespace wedesk::bot {

/// One message being handled: who, their dialog state (mutated in place), flags for the reply.
struct Turn {
    std::string user;
    store::DialogState state;
    bool expired = false;
    bool sensitive = false;
};

struct Bot::Impl {
    explicit Impl(BotDeps d);
    BotReply Handle(const wecom::InboundMessage& m);

    // bot.cpp
    void Persist(Turn& turn);
    std::string OnText(Turn& turn, const std::string& raw);
    std::string OnCommand(Turn& turn, const Command& cmd, const std::string& raw);
    BotReply OnEvent(Turn& turn, const wecom::InboundMessage& m);
    std::string OnMenuClick(Turn& turn, const std::string& key);
    void LeaveFlow(Turn& turn);
    std::string Hint(const Turn& turn) const;

    // domain.cpp
    bool IsEngineer(const std::string& user);
    bool FlowTakesText(const Turn& turn) const;
    std::string OnFlowText(Turn& turn, const std::string& raw);
    std::string OnDomainCommand(Turn& turn, const Command& cmd, const std::string& raw);
    std::string OnFreeText(Turn& turn, const std::string& raw);
    std::string OnMedia(Turn& turn, const wecom::InboundMessage& m);
    BotReply OnCardButton(Turn& turn, const wecom::InboundMessage& m);

    BotDeps deps;
    store::DialogRepository dialogs;
};

}  // namespace wedesk::bot
