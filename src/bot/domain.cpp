// Commands on tickets (employee and engineer), the reset flow bridge and card buttons.
#include <optional>

#include "bot/flows.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

namespace {

constexpr const char* kNoTickets = "工单功能暂未开通，请直接联系IT。";
constexpr const char* kExampleNo = "IT20261127-0001";

std::string NeedNo(const std::string& verb, const std::string& example_tail = "") {
    return "请带上工单号，例如：" + verb + " " + kExampleNo + example_tail;
}

// Six digits (spaces allowed), the shape of an SMS verification code.
bool LooksLikeCode(const std::string& s) {
    std::size_t digits = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            ++digits;
        } else if (c != ' ') {
            return false;
        }
    }
    return digits == 6;
}

// The shape of a WeCom UserID: 1-64 of letters, digits, '_', '-', '.', '@'.
bool LooksLikeUserId(const std::string& s) {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.' || c == '@';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Whether the text has anything to search for or to describe a problem with: a letter or digit
// (ASCII, Latin/Greek/Cyrillic, kana, CJK, Hangul), not only punctuation, symbols or emoji.
bool HasWords(const std::string& raw) {
    const std::string s = text::FoldFullWidth(raw);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool letters2 = c >= 0xC3 && c <= 0xCF;  // U+00C0..U+03FF
        const bool cjk3 = (c >= 0xE4 && c <= 0xED) ||  // U+4000..U+DFFF
                          (c == 0xE3 && i + 1 < s.size() &&
                           static_cast<unsigned char>(s[i + 1]) >= 0x81);  // U+3040..U+3FFF
        if (alnum || letters2 || cjk3) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool Bot::Impl::IsEngineer(const std::string& user) {
    store::UserRepository users(deps.db);
    auto u = users.Find(user);
    return u && IsStaff(u->role);
}

bool Bot::Impl::FlowTakesText(const Turn& turn) const {
    // Steps whose answer is free text: a command word inside it is part of the answer. (The
    // transfer flow wants a UserID, so a command there leaves it.)
    return (turn.flow == Flow::kCreate && turn.state.step == "description") ||
           turn.flow == Flow::kReset;
}

std::string Bot::Impl::OnFlowText(Turn& turn, const std::string& raw) {
    const Flow flow = turn.flow;
    if ((flow == Flow::kOffer || flow == Flow::kKb) && !ParseChoice(raw) &&
        deps.tickets != nullptr) {
        // An unanswered suggestion or offer must not swallow the answer to a ticket that
        // waits for this employee: anything but a numbered choice goes to that ticket.
        auto waiting = deps.tickets->FindWaiting(turn.user);
        if (waiting.ok() && waiting->has_value()) {
            LeaveFlow(turn);
            return OnFreeText(turn, raw);
        }
    }
    if (flow == Flow::kCreate) {
        return OnCreateText(turn, raw);
    }
    if (flow == Flow::kKb) {
        return OnKbText(turn, raw);
    }
    if (flow == Flow::kReset) {
        return OnResetText(turn, raw, false);
    }
    if (flow == Flow::kOffer) {
        const auto choice = ParseChoice(raw);
        const std::string original = Data(turn).value("text", "");
        if (choice == 1) {
            return StartCreate(turn, original);
        }
        if (choice == 2) {
            LeaveFlow(turn);
            return "好的。" + Hint(turn);
        }
        return "请回复 1 提交工单，或回复 2 不用了。";
    }
    if (flow == Flow::kTransfer) {
        const std::string no = Data(turn).value("no", "");
        const std::string target = text::AsciiLower(text::Trim(text::FoldFullWidth(raw)));
        if (!LooksLikeUserId(target)) {
            return "请回复要转派给的同事的 UserID（字母、数字等，例如 lisi），或回复 取消 放弃。";
        }
        if (!IsEngineer(target)) {
            return "找不到工程师 " + target + "，请检查后重新回复 UserID，或回复 取消 放弃。";
        }
        LeaveFlow(turn);
        Command c;
        c.kind = CommandKind::kTransfer;
        c.ticket_no = no;
        c.arg = target;
        return OnEngineerCommand(turn, c);
    }
    LeaveFlow(turn);
    return "抱歉，我没听懂。" + Hint(turn);
}

std::string Bot::Impl::OnResetText(Turn& turn, const std::string& raw, bool cancel) {
    auto reply = deps.reset->Input(turn.user, cancel ? std::string("取消") : raw);
    if (reply.flow_done) {
        LeaveFlow(turn);
    }
    turn.sensitive = turn.sensitive || reply.sensitive;
    turn.follow_up = reply.follow_up;
    return reply.text;
}

std::string Bot::Impl::OnDomainCommand(Turn& turn, const Command& cmd, const std::string&) {
    auto* t = deps.tickets;
    switch (cmd.kind) {
        case CommandKind::kNewTicket:
            if (t == nullptr) {
                return kNoTickets;
            }
            return StartCreate(turn, cmd.arg);
        case CommandKind::kResetPassword:
        case CommandKind::kUnlock: {
            if (deps.reset == nullptr) {
                return "本系统未开通自助重置，请联系IT。";
            }
            auto reply = deps.reset->Start(turn.user, cmd.kind == CommandKind::kUnlock
                                                          ? reset::Purpose::kUnlock
                                                          : reset::Purpose::kResetPassword);
            if (!reply.flow_done) {
                Enter(turn, Flow::kReset, "active");
            }
            turn.sensitive = turn.sensitive || reply.sensitive;
            turn.follow_up = reply.follow_up;
            return reply.text;
        }
        case CommandKind::kAccept:
        case CommandKind::kNote:
        case CommandKind::kTransfer:
        case CommandKind::kWait:
        case CommandKind::kResolve:
        case CommandKind::kMyTasks:
        case CommandKind::kOnDuty:
        case CommandKind::kOffDuty:
            return OnEngineerCommand(turn, cmd);
        default:
            break;
    }
    if (t == nullptr) {
        return kNoTickets;
    }
    if (cmd.kind == CommandKind::kMyTickets) {
        auto list = t->ListMine(turn.user);
        if (!list.ok()) {
            return list.error().message;
        }
        if (list->empty()) {
            return "您还没有工单。回复 报修 提交新工单。";
        }
        return "您的工单（最新在前）：\n" + tickets::FormatList(*list) +
               "\n回复 查询 工单号 查看详情。";
    }
    if (cmd.missing_ticket) {
        switch (cmd.kind) {
            case CommandKind::kQuery:
                return NeedNo("查询");
            case CommandKind::kUrge:
                return NeedNo("催办");
            case CommandKind::kCancelTicket:
                return NeedNo("取消工单");
            case CommandKind::kReopen:
                return NeedNo("重开");
            case CommandKind::kRate:
                return NeedNo("评价", " 5 很满意");
            default:
                return "抱歉，我没听懂。" + Hint(turn);
        }
    }
    const std::string& no = cmd.ticket_no;
    switch (cmd.kind) {
        case CommandKind::kQuery: {
            auto d = t->Get(no, turn.user);
            if (!d.ok()) {
                return d.error().message;
            }
            return tickets::FormatDetail(*d, t->utc_offset_s());
        }
        case CommandKind::kUrge: {
            auto r = t->Urge(no, turn.user);
            return r.ok() ? "已催办工单 " + no + "，处理人会尽快跟进。" : r.error().message;
        }
        case CommandKind::kCancelTicket: {
            auto r = t->Cancel(no, turn.user);
            return r.ok() ? "工单 " + no + " 已取消。如需帮助可随时回复 报修。" : r.error().message;
        }
        case CommandKind::kReopen: {
            auto r = t->Reopen(no, turn.user, cmd.arg);
            return r.ok() ? "工单 " + no + " 已重新打开，工程师会继续处理。" : r.error().message;
        }
        case CommandKind::kRate: {
            if (cmd.score == 0) {
                return "请给出1-5分，例如：评价 " + no + " 5 很满意";
            }
            auto r = t->Rate(no, turn.user, cmd.score, cmd.arg);
            return r.ok() ? "感谢您的评价（" + std::to_string(cmd.score) + "分）！"
                          : r.error().message;
        }
        default:
            break;
    }
    return "抱歉，我没听懂。" + Hint(turn);
}

std::string Bot::Impl::OnEngineerCommand(Turn& turn, const Command& cmd) {
    auto* t = deps.tickets;
    if (t == nullptr) {
        return kNoTickets;
    }
    if (!IsEngineer(turn.user)) {
        return "这是IT工程师使用的命令。" + Hint(turn);
    }
    if (cmd.kind == CommandKind::kMyTasks) {
        auto list = t->MyTasks(turn.user);
        if (!list.ok()) {
            return list.error().message;
        }
        if (list->empty()) {
            return "您手上没有未完成的工单。";
        }
        return "您的待办工单：\n" + tickets::FormatList(*list);
    }
    if (cmd.kind == CommandKind::kOnDuty || cmd.kind == CommandKind::kOffDuty) {
        const bool on = cmd.kind == CommandKind::kOnDuty;
        auto r = t->SetDuty(turn.user, on);
        if (!r.ok()) {
            return r.error().message;
        }
        return on ? "已上班，新工单会分派给您。" : "已下班，不再给您分派新工单。";
    }
    if (cmd.missing_ticket) {
        return "请带上工单号，例如：接单 IT20261127-0001";
    }
    const std::string& no = cmd.ticket_no;
    Result<tickets::Ticket> r = Fail(Errc::kInvalid, "");
    std::string done;
    switch (cmd.kind) {
        case CommandKind::kAccept:
            r = t->Accept(no, turn.user);
            done = "已接单 " + no + "。完成后回复 完成 " + no + " 处理说明。";
            break;
        case CommandKind::kNote:
            if (cmd.arg.empty()) {
                return "请写上备注内容，例如：备注 " + no + " 已远程检查";
            }
            r = t->Note(no, turn.user, cmd.arg);
            done = "备注已记录。";
            break;
        case CommandKind::kTransfer:
            if (cmd.arg.empty()) {
                Enter(turn, Flow::kTransfer, "userid", {{"no", no}});
                return "请回复要转派给的同事的 UserID（回复 取消 放弃）。";
            }
            r = t->Transfer(no, turn.user, text::AsciiLower(cmd.arg));
            done = "工单 " + no + " 已转派给 " + text::AsciiLower(cmd.arg) + "。";
            break;
        case CommandKind::kWait:
            if (cmd.arg.empty()) {
                return "请写上需要员工补充的内容，例如：挂起 " + no + " 请提供电脑资产编号";
            }
            r = t->Wait(no, turn.user, cmd.arg);
            done = "工单 " + no + " 已挂起，等待员工回复（解决时限暂停计时）。";
            break;
        case CommandKind::kResolve:
            r = t->Resolve(no, turn.user, cmd.arg);
            done = "工单 " + no + " 已完成，已请员工评价。";
            break;
        default:
            return "抱歉，我没听懂。" + Hint(turn);
    }
    return r.ok() ? done : r.error().message;
}

std::string Bot::Impl::OnFreeText(Turn& turn, const std::string& raw) {
    auto* t = deps.tickets;
    // A ticket waiting for this employee: their next message is the answer.
    if (t != nullptr) {
        auto waiting = t->FindWaiting(turn.user);
        if (waiting.ok() && waiting->has_value()) {
            const auto& tk = **waiting;
            auto r = t->EmployeeReplied(turn.user, tk.no, text::Trim(raw));
            if (r.ok()) {
                return "已将您的回复转给工程师（工单 " + tk.no + "），请耐心等待处理。";
            }
        }
    }
    const std::string query = text::Trim(raw);
    // A verification code typed after its flow ended (locked, cancelled, timed out) is neither a
    // question nor a ticket text, and must not be kept in the dialog state.
    if (deps.reset != nullptr && LooksLikeCode(query)) {
        return "当前没有进行中的验证。发送 重置密码 或 解锁账号 重新开始。";
    }
    if (auto offer = OfferArticles(turn, query, Flow::kKb, "pick"); !offer.empty()) {
        return offer;
    }
    if (t == nullptr) {
        return "抱歉，我没听懂。" + Hint(turn);
    }
    if (!HasWords(query)) {
        // Only punctuation or emoji: nothing to search, nothing to file a ticket with.
        return "请用文字描述您遇到的问题，我会先帮您查找解答；也可以回复 报修 提交工单。";
    }
    Enter(turn, Flow::kOffer, "confirm", {{"text", text::TruncateUtf8(query, 2000)}});
    return "暂时没找到相关的解答。\n1. 用这段描述提交工单\n2. 不用了\n回复 帮助 查看我能做什么。";
}

std::string Bot::Impl::OnMedia(Turn& turn, const wecom::InboundMessage& m) {
    const std::string type = m.raw_type;
    if (turn.flow == Flow::kCreate) {
        auto d = Data(turn);
        d["attachments"].push_back({{"media_id", m.media_id}, {"type", type}});
        SetData(turn, d);
        const auto n = d["attachments"].size();
        std::string reply = "已收到附件（共 " + std::to_string(n) + " 个），将随工单提交。";
        if (turn.state.step == "description") {
            reply += "\n请再用文字描述一下问题。";
        }
        return reply;
    }
    if (deps.tickets != nullptr) {
        // Attach to the employee's ticket waiting for them, if there is one.
        auto waiting = deps.tickets->FindWaiting(turn.user);
        if (waiting.ok() && waiting->has_value()) {
            auto r = deps.tickets->AddAttachment((*waiting)->no, turn.user, m.media_id, type);
            if (r.ok()) {
                return "已将附件添加到工单 " + (*waiting)->no + " 并转给工程师，请耐心等待处理。";
            }
        }
    }
    return "收到。如需报修，请回复 报修，再按提示描述问题并发送图片。";
}

BotReply Bot::Impl::OnCardButton(Turn& turn, const wecom::InboundMessage& m) {
    BotReply out;
    out.passive.kind = wecom::PassiveReply::Kind::kUpdateButton;
    const std::string key = m.event_key;
    const auto colon = key.find(':');
    const std::string action = key.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : key.substr(colon + 1);
    auto* t = deps.tickets;
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
        Enter(turn, Flow::kTransfer, "userid", {{"no", rest}});
        out.passive.text = "转派中";
        if (deps.notifier != nullptr) {
            deps.notifier->SendText(
                turn.user, "请回复要把工单 " + rest + " 转派给的同事的 UserID（回复 取消 放弃）。");
        }
        return out;
    }
    if (action == "ticket_rate") {
        // key: ticket_rate:NO:SCORE
        const auto c2 = rest.rfind(':');
        const std::string no = rest.substr(0, c2);
        const int score = c2 == std::string::npos ? 0 : std::atoi(rest.c_str() + c2 + 1);
        auto r = t->Rate(no, turn.user, score, "");
        out.passive.text = r.ok() ? "已评价 " + std::to_string(score) + " 分" : "无法评价";
        return out;
    }
    log::Get("bot")->warn("unknown card button key from {}", turn.user);
    out.passive.text = "已失效";
    return out;
}

}  // namespace wedesk::bot
