// Commands on tickets (employee and engineer), the reset flow bridge, free text while idle and
// card buttons. The answers to the bot's own questions are in answers.cpp.
#include <algorithm>
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

constexpr const char* kNoTickets = "本服务台暂未开通工单功能。";

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

// How a ticket command is typed, for examples ("催办 IT…").
std::string VerbOf(CommandKind k) {
    switch (k) {
        case CommandKind::kQuery:
            return "查询";
        case CommandKind::kUrge:
            return "催办";
        case CommandKind::kCancelTicket:
            return "取消工单";
        case CommandKind::kReopen:
            return "重开";
        case CommandKind::kRate:
            return "评价";
        case CommandKind::kAddInfo:
            return "补充";
        case CommandKind::kAttachments:
            return "附件";
        case CommandKind::kAccept:
            return "接单";
        case CommandKind::kNote:
            return "备注";
        case CommandKind::kReply:
            return "回复";
        case CommandKind::kTransfer:
            return "转派";
        case CommandKind::kWait:
            return "挂起";
        case CommandKind::kResolve:
            return "完成";
        default:
            return "查询";
    }
}

std::string ExampleTail(CommandKind k) {
    switch (k) {
        case CommandKind::kRate:
            return " 5";
        case CommandKind::kAddInfo:
            return " 补充的内容";
        case CommandKind::kNote:
        case CommandKind::kReply:
        case CommandKind::kWait:
            return " 内容";
        case CommandKind::kTransfer:
            return " 同事姓名";
        default:
            return "";
    }
}

}  // namespace

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

std::string RatedText(int score) {
    if (score <= 2) {
        return "非常抱歉这次没能让您满意（" + std::to_string(score) +
               " 星）。您的评价已转告IT负责人，会有人跟进您的意见。";
    }
    return "感谢您的评价（" + std::to_string(score) + " 星）！";
}

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

bool LooksLikeQuestion(const Intent& intent, const std::string& raw) {
    if (intent.kind != IntentKind::kProblem) {
        return intent.kind != IntentKind::kEmpty;
    }
    // A number ("10", "０") is a mistyped choice, not a question.
    const std::string t = text::Trim(text::FoldFullWidth(raw));
    const bool number = !t.empty() && t.find_first_not_of("0123456789 .") == std::string::npos;
    return HasWords(raw) && !number;
}

std::string KeepAtMost(const std::string& raw, std::size_t max_bytes, std::string& note) {
    const std::string t = text::Trim(raw);
    if (t.size() <= max_bytes) {
        return t;
    }
    std::string kept = text::TruncateUtf8(t, max_bytes);
    note = "（您的内容较长，共 " + std::to_string(text::Utf8Length(t)) + " 字，保留了前 " +
           std::to_string(text::Utf8Length(kept)) + " 字；其余可以作为文件发送给我。）\n";
    return kept;
}

bool Bot::Impl::IsEngineer(const std::string& user) {
    store::UserRepository users(deps.db);
    auto u = users.Find(user);
    return u && IsStaff(u->role);
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

std::string Bot::Impl::OnMissingTicket(Turn& turn, const Command& cmd) {
    auto* t = deps.tickets;
    const std::string verb = VerbOf(cmd.kind);
    std::vector<tickets::Ticket> fits;
    const bool engineer = IsEngineerCommand(cmd.kind);
    if (engineer) {
        if (auto mine = t->MyTasks(turn.user); mine.ok()) {
            fits = *mine;
        }
    } else if (cmd.kind == CommandKind::kRate) {
        fits = Unrated(turn.user);
    } else if (auto mine = t->ListMine(turn.user); mine.ok()) {
        for (auto& tk : *mine) {
            const bool done =
                tk.status == tickets::Status::kResolved || tk.status == tickets::Status::kClosed;
            if (cmd.kind == CommandKind::kReopen ? done : tickets::IsOpen(tk.status)) {
                fits.push_back(tk);
            }
        }
    }
    const bool act_on_only = cmd.kind == CommandKind::kQuery || cmd.kind == CommandKind::kUrge ||
                             (cmd.kind == CommandKind::kRate && cmd.score > 0);
    if (fits.size() == 1 && act_on_only) {
        Command c = cmd;
        c.ticket_no = fits.front().no;
        c.missing_ticket = false;
        return OnDomainCommand(turn, c, "");
    }
    if (fits.empty()) {
        if (engineer) {
            return "您手上没有未完成的工单。";
        }
        return "您目前没有可以" + verb + "的工单。回复 我的工单 查看您的全部工单。";
    }
    if (fits.size() > kMaxListed) {
        fits.resize(kMaxListed);
    }
    return "请带上工单号，例如：" + verb + " " + fits.front().no + ExampleTail(cmd.kind) + "\n" +
           tickets::FormatList(fits,
                               engineer ? tickets::Audience::kStaff : tickets::Audience::kEmployee);
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
                return "本服务台暂未开通自助重置。回复 报修，由工程师为您处理。";
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
        default:
            break;
    }
    if (IsEngineerCommand(cmd.kind)) {
        return OnEngineerCommand(turn, cmd);
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
        return "您的工单（最新在前）：\n" +
               tickets::FormatList(*list, tickets::Audience::kEmployee) + "\n回复 查询 " +
               list->front().no + " 查看详情。";
    }
    if (cmd.missing_ticket) {
        if (cmd.kind == CommandKind::kRate && cmd.bad_score) {
            return "评分请用 1-5 的整数星级（5 最满意），例如：评价 5";
        }
        return OnMissingTicket(turn, cmd);
    }
    const std::string& no = cmd.ticket_no;
    switch (cmd.kind) {
        case CommandKind::kQuery: {
            auto d = t->Get(no, turn.user);
            if (!d.ok()) {
                return d.error().message;
            }
            const bool staff = d->ticket.requester != text::AsciiLower(turn.user);
            return tickets::FormatDetail(
                *d, t->utc_offset_s(),
                staff ? tickets::Audience::kStaff : tickets::Audience::kEmployee);
        }
        case CommandKind::kAttachments: {
            auto r = t->SendAttachments(no, turn.user);
            return r.ok() ? "工单 " + no + " 的 " + std::to_string(*r) + " 个附件马上发给您。"
                          : r.error().message;
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
            if (cmd.bad_score || cmd.score == 0) {
                return "评分请用 1-5 的整数星级（5 最满意），例如：评价 " + no + " 5";
            }
            auto r = t->Rate(no, turn.user, cmd.score, cmd.arg);
            return r.ok() ? RatedText(cmd.score) : r.error().message;
        }
        case CommandKind::kAddInfo: {
            if (text::Trim(cmd.arg).empty()) {
                Enter(turn, Flow::kOffer, "add", {{"no", no}});
                return "请发送要补充到工单 " + no + " 的文字、图片或文件（回复 取消 放弃）。";
            }
            std::string note;
            const std::string kept = KeepAtMost(cmd.arg, tickets::kMaxMessageBytes, note);
            auto r = t->AddInfo(no, turn.user, kept);
            return r.ok() ? note + "已补充到工单 " + no + "，并通知了工程师。" : r.error().message;
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
    if (cmd.kind == CommandKind::kTeamTickets || cmd.kind == CommandKind::kUnassigned ||
        cmd.kind == CommandKind::kOverdue) {
        using Q = tickets::TicketService::Queue;
        const Q q = cmd.kind == CommandKind::kTeamTickets  ? Q::kOpen
                    : cmd.kind == CommandKind::kUnassigned ? Q::kUnassigned
                                                           : Q::kOverdue;
        auto list = t->TeamQueue(turn.user, q);
        if (!list.ok()) {
            return list.error().message;
        }
        const char* what = cmd.kind == CommandKind::kTeamTickets  ? "团队未完成的工单"
                           : cmd.kind == CommandKind::kUnassigned ? "待分派的工单"
                                                                  : "超时的工单";
        if (list->empty()) {
            return std::string("没有") + what + "。";
        }
        return std::string(what) + "（" + std::to_string(list->size()) + " 个）：\n" +
               tickets::FormatList(*list) + "\n回复 查询 工单号 查看详情，转派 工单号 姓名 改派。";
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
        return OnMissingTicket(turn, cmd);
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
            done = "备注已记录（仅IT可见）。";
            break;
        case CommandKind::kReply:
            if (cmd.arg.empty()) {
                return "请写上要发给报修人的内容，例如：回复 " + no + " 我十分钟后到";
            }
            r = t->ReplyToRequester(no, turn.user, cmd.arg);
            done = "已发送给报修人（工单 " + no + "）。";
            break;
        case CommandKind::kTransfer: {
            if (cmd.arg.empty()) {
                return AskTransferTarget(turn, no);
            }
            std::string why;
            auto target = ResolveColleague(cmd.arg, why);
            if (!target) {
                return why;
            }
            r = t->Transfer(no, turn.user, target->first, target->second);
            if (r.ok()) {
                done = "工单 " + no + " 已转派给 " + r->assignee_name + "。";
            }
            break;
        }
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
    if (t != nullptr) {
        // A ticket waiting for this employee: their next message is the answer.
        if (auto answered = AnswerWaiting(turn, raw)) {
            return *answered;
        }
        if (auto rated = RateBare(turn, raw)) {
            return *rated;
        }
    }
    const std::string query = text::Trim(raw);
    // A verification code typed after its flow ended (locked, cancelled, timed out) is neither a
    // question nor a ticket text, and must not be kept in the dialog state.
    if (deps.reset != nullptr && LooksLikeCode(query)) {
        if (deps.reset->InFlow(turn.user)) {
            // The session outlived its dialog (a command in between): the code still counts.
            Enter(turn, Flow::kReset, "active");
            return OnResetText(turn, raw, false);
        }
        return "当前没有进行中的验证。发送 重置密码 或 解锁账号 重新开始。";
    }
    if (auto offer = OfferArticles(turn, query, Flow::kKb, "pick"); !offer.empty()) {
        return offer;
    }
    if (t == nullptr) {
        return "抱歉，我没有找到相关的解答。" + Hint(turn);
    }
    if (!HasWords(query)) {
        // Only punctuation or emoji: nothing to search, nothing to file a ticket with.
        return "请用文字描述您遇到的问题，我会先帮您查找解答；也可以回复 报修 提交工单。";
    }
    std::string note;
    const std::string kept = KeepAtMost(query, tickets::kMaxDescriptionBytes, note);
    Enter(turn, Flow::kOffer, "confirm", {{"text", kept}, {"qid", turn.question}});
    return note +
           "暂时没找到相关的解答。\n1. 用这段描述提交工单\n2. 不用了\n也可以回复 转人工 找工程师。";
}

}  // namespace wedesk::bot
