#pragma once
// Private to bot/: the Bot's implementation, split across files by concern:
//   bot.cpp            routing, state load/expiry/save, events, menu
//   domain.cpp         commands on tickets, reset, engineer actions, card buttons
//   create_flow.cpp    报修: category → description → urgency → confirm, and KB suggestions

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/bot/bot.hpp"
#include "wedesk/bot/command.hpp"
#include "wedesk/store/dialog_repository.hpp"

namespace wedesk::bot {

/// The dialog a person is in. Stored by name in `dialogs.flow` (FlowName / ParseFlow, at
/// load and save only); compared as an enum everywhere else.
enum class Flow { kNone, kCreate, kKb, kReset, kOffer, kTransfer };
std::string_view FlowName(Flow flow);
/// nullopt for a name this version does not know (a dialog left by another version).
std::optional<Flow> ParseFlow(std::string_view name);

/// One message being handled: who, their dialog (mutated in place; `state.flow` is written
/// from `flow` when saved), flags for the reply.
struct Turn {
    std::string user;
    Flow flow = Flow::kNone;
    store::DialogState state;
    bool expired = false;
    bool sensitive = false;
    std::shared_ptr<FollowUp> follow_up;  // from the reset flow: the final text comes later
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
    std::string OnEngineerCommand(Turn& turn, const Command& cmd);
    std::string OnResetText(Turn& turn, const std::string& raw, bool cancel);

    // create_flow.cpp
    std::string StartCreate(Turn& turn, const std::string& description);
    std::string OnCreateText(Turn& turn, const std::string& raw);
    std::string AskCategory(Turn& turn, const std::string& prefix = "");
    std::string AskUrgency(Turn& turn, const std::string& prefix = "");
    std::string AskConfirm(Turn& turn, const std::string& prefix = "");
    std::string Submit(Turn& turn);
    /// Suggests articles for `query`; on a hit moves to `step` of the current flow (or the kb
    /// flow when idle) and returns the numbered list, else "".
    std::string OfferArticles(Turn& turn, const std::string& query, Flow flow,
                              const std::string& step);
    std::string OnKbText(Turn& turn, const std::string& raw);
    std::string ShowArticle(Turn& turn, std::int64_t id);

    BotDeps deps;
    store::DialogRepository dialogs;
    std::vector<config::Category> categories;
};

}  // namespace wedesk::bot

namespace wedesk::bot {

/// The flow's JSON data of a turn (parsed on demand, written back by SetData).
nlohmann::json Data(const Turn& turn);
void SetData(Turn& turn, const nlohmann::json& data);
void Enter(Turn& turn, Flow flow, const std::string& step,
           const nlohmann::json& data = nlohmann::json::object());

}  // namespace wedesk::bot
