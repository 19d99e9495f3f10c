#pragma once
// Private to bot/: the Bot's implementation, split across files by concern:
//   bot.cpp            routing, state load/expiry/save, events, menu
//   domain.cpp         commands on tickets, reset, engineer actions, free text, card buttons
//   answers.cpp        the answers to the bot's questions outside 报修 (submit or not, which
//                      ticket, which colleague), answers to 挂起, bare ratings, photos
//   create_flow.cpp    报修: category → description → urgency → confirm, and KB suggestions
//   talk.cpp           small talk, a path to a person (转人工), password words in sentences

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/bot/bot.hpp"
#include "wedesk/bot/command.hpp"
#include "wedesk/bot/intent.hpp"
#include "wedesk/store/dialog_repository.hpp"
#include "wedesk/tickets/ticket_service.hpp"

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
    std::int64_t question = 0;            // the kb_questions row of this message's search (0: none)
};

struct Bot::Impl {
    explicit Impl(BotDeps d);
    BotReply Handle(const wecom::InboundMessage& m);

    // bot.cpp
    void Persist(Turn& turn);
    std::string OnText(Turn& turn, const std::string& raw);
    /// What an idle person's message means: a command, small talk or a problem.
    std::string OnIntent(Turn& turn, const Intent& intent, const std::string& raw);
    std::string OnCommand(Turn& turn, const Command& cmd, const std::string& raw);
    BotReply OnEvent(Turn& turn, const wecom::InboundMessage& m);
    std::string OnMenuClick(Turn& turn, const std::string& key);
    void LeaveFlow(Turn& turn);
    std::string Hint(const Turn& turn) const;

    // domain.cpp
    bool IsEngineer(const std::string& user);
    /// The answer to the flow's current question, or nullopt when the message is not one (a
    /// new question): the caller then leaves the flow and handles it afresh.
    std::optional<std::string> OnFlowText(Turn& turn, const std::string& raw, const Intent& intent);
    std::string OnDomainCommand(Turn& turn, const Command& cmd, const std::string& raw);
    /// A ticket command typed without its number: act on the only ticket it can mean, or
    /// ask, with the person's own ticket numbers as examples.
    std::string OnMissingTicket(Turn& turn, const Command& cmd);
    /// Asks whom to hand `no` to, listing the on-duty colleagues of its group by name.
    std::string AskTransferTarget(Turn& turn, const std::string& no);
    /// "李四 他负责打印机" / "lisi": the colleague's userid and the reason, or why not (`why`).
    std::optional<std::pair<std::string, std::string>> ResolveColleague(const std::string& arg,
                                                                        std::string& why);
    /// Free text while tickets wait for this employee's answer: to the one, or ask which.
    std::optional<std::string> AnswerWaiting(Turn& turn, const std::string& raw);
    /// The requester's resolved tickets not rated yet (what a bare "5" or 评价 can mean).
    std::vector<tickets::Ticket> Unrated(const std::string& user);
    /// "5" after a rating prompt rates the ticket that asked for it.
    std::optional<std::string> RateBare(Turn& turn, const std::string& raw);
    std::string OnFreeText(Turn& turn, const std::string& raw);
    std::string OnMedia(Turn& turn, const wecom::InboundMessage& m);

    // cards.cpp
    BotReply OnCardButton(Turn& turn, const wecom::InboundMessage& m);
    /// 我的工单 as a card: the tickets to pick from, 查看 and 催办 (nullopt for none).
    std::optional<Card> MyTicketsCard(const std::string& user,
                                      const std::vector<tickets::Ticket>& mine);
    BotReply OnMyTicketsButton(Turn& turn, const wecom::InboundMessage& m, bool urge);
    /// The colleagues AskTransferTarget offered, as a picker card (nullopt when none).
    std::optional<Card> TransferPicker(const Turn& turn, const std::string& no);
    std::string OnEngineerCommand(Turn& turn, const Command& cmd);
    std::string OnResetText(Turn& turn, const std::string& raw, bool cancel);

    // talk.cpp
    std::string OnSmallTalk(Turn& turn, IntentKind kind);
    std::string OnAccountWords(Turn& turn, IntentKind kind);
    /// 转人工: offers to file `so_far` (what the person said in this dialog) for an engineer,
    /// or asks for a sentence to file, and says who is on duty or when someone will be.
    std::string OnHuman(Turn& turn, const std::string& so_far);
    /// Files `description` at once (category guessed, normal urgency) for 转人工.
    std::string FileForHuman(Turn& turn, const std::string& description, std::int64_t question = 0);
    std::string WhoCanHelp();
    /// For a ticket nobody could take: when someone will pick it up.
    std::string NobodyOnDuty();
    /// Outside business hours, when the desk opens next; else `otherwise`.
    std::string WhenSomeoneComes(const tickets::TicketService::Availability& a,
                                 const std::string& otherwise);
    /// What the person has said so far in the current flow (description, question), or "".
    std::string FlowText(const Turn& turn) const;

    // create_flow.cpp
    /// `question`: the kb_questions row the ticket answers (linked when it is filed).
    std::string StartCreate(Turn& turn, const std::string& description, std::int64_t question = 0);
    std::optional<std::string> OnCreateText(Turn& turn, const std::string& raw,
                                            const Intent& intent);
    /// The category whose name (or a word of it, or a known synonym) the text names, if any.
    std::optional<std::size_t> MatchCategory(const std::string& raw) const;
    std::string AskCategory(Turn& turn, const std::string& prefix = "");
    std::string AskUrgency(Turn& turn, const std::string& prefix = "");
    std::string AskConfirm(Turn& turn, const std::string& prefix = "");
    /// 修改 at the confirm step: asks again for field 1 (category), 2 (description) or
    /// 3 (urgency); any other number asks `which` field.
    std::string AskEdit(Turn& turn, int field, const std::string& which);
    std::string Submit(Turn& turn);
    /// Suggests articles for `query`; on a hit moves to `step` of the current flow (or the kb
    /// flow when idle) and returns the numbered list, else "".
    std::string OfferArticles(Turn& turn, const std::string& query, Flow flow,
                              const std::string& step);
    std::optional<std::string> OnKbText(Turn& turn, const std::string& raw);
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
/// Tickets or colleagues offered in one numbered list.
inline constexpr std::size_t kMaxListed = 5;
/// The first kMaxListed of `tickets` as "\n1. NO description…" lines; their numbers in `nos`,
/// in the same order (what a numbered answer picks from).
std::string NumberedTickets(const std::vector<tickets::Ticket>& tickets,
                            std::vector<std::string>& nos);
/// The shape of a WeCom UserID: 1-64 of letters, digits, '_', '-', '.', '@'.
bool LooksLikeUserId(const std::string& s);
/// The thanks for a rating (an apology for 1-2 stars).
std::string RatedText(int score);
/// An inbound image/voice/video/file as kept in a flow's data: {media_id, type, name}.
nlohmann::json AttachmentJson(const wecom::InboundMessage& m);
/// The file an attach offer holds.
nlohmann::json OfferedFile(const nlohmann::json& offer);
tickets::NewAttachment ToAttachment(const nlohmann::json& file);
/// Whether the text has anything to search for or describe a problem with (a letter or digit,
/// not only punctuation or emoji).
bool HasWords(const std::string& raw);
/// A message long enough to be a new question rather than a stray answer to a menu.
bool LooksLikeQuestion(const Intent& intent, const std::string& raw);
/// `raw` cut to `max_bytes`, and a note for the person when something was cut.
std::string KeepAtMost(const std::string& raw, std::size_t max_bytes, std::string& note);

}  // namespace wedesk::bot
