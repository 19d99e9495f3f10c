// Cards: what a click on a card button does (dispatch, resolution, rating, transfer), and the
// cards the bot sends itself: 我的工单 from the app menu (a ticket picker with 查看 / 催办) and
// the transfer picker (the on-duty colleagues of the ticket's group). WeCom takes no card as
// a passive reply to a message, so these are pushed (Notifier) and the passive reply is empty
// or greys out the clicked button.
#include <atomic>

#include "bot/flows.hpp"
#include "wedesk/common/digest.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

namespace {

constexpr std::size_t kMaxOptions = 10;  // WeCom: button_selection has 1..10 options

/// A task id no other card of the app had: WeCom refuses a reused one (42014).
std::string FreshCardId(const std::string& prefix, const std::string& user, std::int64_t now) {
    static std::atomic<std::uint64_t> counter{0};
    return prefix + "-" + Sha256Hex(user).substr(0, 8) + "-" + std::to_string(now) + "-" +
           std::to_string(counter.fetch_add(1) + 1);
}

}  // namespace

std::optional<Card> Bot::Impl::MyTicketsCard(const std::string& user,
                                             const std::vector<tickets::Ticket>& mine) {
    if (mine.empty()) {
        return std::nullopt;
    }
    Card card;
    card.id = FreshCardId("my", user, deps.clock.NowSeconds());
    card.source = "IT服务台";
    card.title = "我的工单";
    card.subtitle = "共 " + std::to_string(mine.size()) + " 个（最新在前）";
    card.text = "选中一个工单，点「查看」看进度，点「催办」提醒工程师。";
    Card::Selection sel;
    sel.key = "no";
    sel.title = "工单";
    for (const auto& tk : mine) {
        if (sel.options.size() >= kMaxOptions) {
            break;
        }
        sel.options.emplace_back(
            tk.no, tk.no + " " + std::string(tickets::EmployeeStatusWords(tk.status)));
    }
    sel.selected = sel.options.front().first;
    card.selection = std::move(sel);
    card.buttons = {{"my_view", "查看", true}, {"my_urge", "催办", false}};
    return card;
}

BotReply Bot::Impl::OnMyTicketsButton(Turn& turn, const wecom::InboundMessage& m, bool urge) {
    BotReply out;  // no passive update: the card stays usable for the next ticket
    const std::string no = m.SelectedOption("no");
    std::string text;
    if (no.empty()) {
        text = "请先在卡片上选中一个工单。";
    } else if (urge) {
        auto r = deps.tickets->Urge(no, turn.user);
        text = r.ok() ? "已催办工单 " + no + "，处理人会尽快跟进。" : r.error().message;
    } else {
        auto d = deps.tickets->Get(no, turn.user);
        text = d.ok() ? tickets::FormatDetail(*d, deps.tickets->utc_offset_s(),
                                              tickets::Audience::kEmployee)
                      : d.error().message;
    }
    if (deps.notifier != nullptr) {
        deps.notifier->SendText(turn.user, text);
    }
    return out;
}

std::optional<Card> Bot::Impl::TransferPicker(const Turn& turn, const std::string& no) {
    const auto d = Data(turn);
    if (!d.contains("ids") || !d["ids"].is_array() || d["ids"].empty()) {
        return std::nullopt;
    }
    store::UserRepository users(deps.db);
    Card card;
    card.id = FreshCardId("tx", turn.user, deps.clock.NowSeconds());
    card.source = "IT服务台";
    card.title = "转派工单 " + no;
    card.text = "选择本组在班的同事后点「转派」。也可以直接回复姓名或 UserID，后面写上原因。";
    Card::Selection sel;
    sel.key = "to";
    sel.title = "转给";
    for (const auto& id : d["ids"]) {
        const auto userid = id.get<std::string>();
        const auto u = users.Find(userid);
        sel.options.emplace_back(userid,
                                 u && !u->name.empty() ? u->name + "（" + userid + "）" : userid);
        if (sel.options.size() >= kMaxOptions) {
            break;
        }
    }
    sel.selected = sel.options.front().first;
    card.selection = std::move(sel);
    card.buttons = {{"ticket_transfer_to:" + no, "转派", true}};
    return card;
}

BotReply Bot::Impl::OnCardButton(Turn& turn, const wecom::InboundMessage& m) {
    BotReply out;
    out.passive.kind = wecom::PassiveReply::Kind::kUpdateButton;
    const std::string key = m.event_key;
    const auto colon = key.find(':');
    const std::string action = key.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : key.substr(colon + 1);
    auto* t = deps.tickets;
    if (t != nullptr && (action == "my_view" || action == "my_urge")) {
        return OnMyTicketsButton(turn, m, action == "my_urge");
    }
    if (t == nullptr || rest.empty()) {
        out.passive.text = "已失效";
        return out;
    }
    if (action == "ticket_accept") {
        auto r = t->Accept(rest, turn.user);
        out.passive.text =
            r.ok() ? "已接单"
                   : (r.error().code == Errc::kAlreadyAccepted ? "已被接单" : "无法接单");
        if (!r.ok() && deps.notifier != nullptr) {
            deps.notifier->SendText(turn.user, r.error().message);
        }
        return out;
    }
    if (action == "ticket_transfer") {
        const std::string prompt = AskTransferTarget(turn, rest);
        const bool started = turn.flow == Flow::kTransfer;
        out.passive.text = started ? "转派中" : "已失效";
        if (deps.notifier != nullptr) {
            // The on-duty colleagues as a picker card; the typed answer works as well.
            auto card = started ? TransferPicker(turn, rest) : std::nullopt;
            if (card) {
                deps.notifier->SendCard(turn.user, *card);
            } else {
                deps.notifier->SendText(turn.user, prompt);
            }
        }
        return out;
    }
    if (action == "ticket_transfer_to") {
        const std::string to = m.SelectedOption("to");
        auto r = to.empty()
                     ? Result<tickets::Ticket>(Fail(Errc::kInvalid, "请先选择要转给的同事。"))
                     : t->Transfer(rest, turn.user, to, "");
        if (r.ok()) {
            out.passive.text = "已转派";
            if (turn.flow == Flow::kTransfer && Data(turn).value("no", "") == rest) {
                LeaveFlow(turn);
            }
        } else {
            out.passive.kind = wecom::PassiveReply::Kind::kNone;  // the picker stays usable
        }
        if (deps.notifier != nullptr) {
            deps.notifier->SendText(turn.user,
                                    r.ok() ? "工单 " + rest + " 已转派给 " + r->assignee_name + "。"
                                           : r.error().message);
        }
        return out;
    }
    if (action == "ticket_rate") {
        // key: ticket_rate:NO:SCORE
        const auto c2 = rest.rfind(':');
        const std::string no = rest.substr(0, c2);
        const int score = c2 == std::string::npos ? 0 : std::atoi(rest.c_str() + c2 + 1);
        auto r = t->Rate(no, turn.user, score, "");
        out.passive.text = r.ok() ? "已评价 " + std::to_string(score) + " 星" : "无法评价";
        if (deps.notifier != nullptr) {
            deps.notifier->SendText(turn.user, r.ok() ? RatedText(score) : r.error().message);
        }
        return out;
    }
    if (action == "ticket_reopen") {
        auto r = t->Reopen(rest, turn.user, "");
        out.passive.text = r.ok() ? "已重新打开" : "无法重开";
        if (deps.notifier != nullptr) {
            deps.notifier->SendText(
                turn.user, r.ok()
                               ? "工单 " + rest + " 已重新打开，工程师会继续处理。可以发送「补充 " +
                                     rest + " 说明」告诉工程师哪里还有问题。"
                               : r.error().message);
        }
        return out;
    }
    log::Get("bot")->warn("unknown card button key from {}", turn.user);
    out.passive.text = "已失效";
    return out;
}

}  // namespace wedesk::bot
