// The answers to the bot's own questions outside 报修: submit or not, which ticket a message or
// an attachment is for, which colleague to hand a ticket to; and what is sent outside a flow
// that belongs to a ticket (an answer to 挂起, a bare rating, a photo).
#include <algorithm>
#include <optional>

#include "bot/flows.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

namespace {

bool SaysYes(const std::string& raw) {
    const std::string t = text::NormalizeCommand(raw);
    for (const char* w : {"是", "是的", "好", "好的", "要", "提交", "确认", "确定", "可以", "ok",
                          "yes", "y", "嗯"}) {
        if (t == w) {
            return true;
        }
    }
    return false;
}

bool SaysNo(const std::string& raw) {
    const std::string t = text::NormalizeCommand(raw);
    for (const char* w : {"不用", "不用了", "不", "否", "不要", "不需要", "no", "n"}) {
        if (t == w) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::optional<std::string> Bot::Impl::OnFlowText(Turn& turn, const std::string& raw,
                                                 const Intent& intent) {
    const Flow flow = turn.flow;
    if (flow == Flow::kCreate) {
        return OnCreateText(turn, raw, intent);
    }
    if (flow == Flow::kKb) {
        return OnKbText(turn, raw);
    }
    if (flow == Flow::kReset) {
        return OnResetText(turn, raw, false);
    }
    const auto choice = ParseChoice(raw);
    auto d = Data(turn);
    const std::string step = turn.state.step;  // a copy: the flow may be left below
    if (flow == Flow::kOffer && step == "confirm") {
        const std::string original = d.value("text", "");
        if (choice == 1 || SaysYes(raw)) {
            const std::int64_t qid = d.value("qid", std::int64_t{0});
            return d.value("human", false) ? FileForHuman(turn, original, qid)
                                           : StartCreate(turn, original, qid);
        }
        if (choice == 2 || SaysNo(raw)) {
            LeaveFlow(turn);
            return "好的。还有问题可以随时告诉我。";
        }
        if (LooksLikeQuestion(intent, raw)) {
            return std::nullopt;
        }
        return "请回复 1 提交工单，或回复 2 不用了。";
    }
    if (flow == Flow::kOffer && step == "describe") {
        if (intent.kind == IntentKind::kResetOffer || intent.kind == IntentKind::kUnlockOffer) {
            return std::nullopt;  // a password it can help with right away
        }
        if (!HasWords(raw) || intent.kind != IntentKind::kProblem) {
            // "好的", "谢谢", an emoji: not a description to file.
            return "请用一两句话描述您遇到的问题，我会提交给工程师（回复 取消 放弃）。";
        }
        return FileForHuman(turn, raw);
    }
    if (flow == Flow::kOffer && step == "add") {
        // 补充 NO without text: the next message is what to add.
        const std::string no = d.value("no", "");
        if (!HasWords(raw)) {
            return "请发送要补充的文字、图片或文件（回复 取消 放弃）。";
        }
        std::string note;
        const std::string kept = KeepAtMost(raw, tickets::kMaxMessageBytes, note);
        LeaveFlow(turn);
        auto r = deps.tickets->AddInfo(no, turn.user, kept);
        return r.ok() ? note + "已补充到工单 " + no + "，并通知了工程师。" : r.error().message;
    }
    if (flow == Flow::kOffer && (step == "which" || step == "attach")) {
        // Which ticket a message (which) or an attachment (attach) is for.
        const auto nos = d.value("nos", std::vector<std::string>{});
        std::string no;
        if (choice && static_cast<std::size_t>(*choice) <= nos.size()) {
            no = nos[static_cast<std::size_t>(*choice - 1)];
        } else if (auto typed = LeadingTicketNo(text::Trim(text::FoldFullWidth(raw)))) {
            no = *typed;
        }
        if (step == "attach" && choice && static_cast<std::size_t>(*choice) == nos.size() + 1) {
            nlohmann::json att = nlohmann::json::array();
            att.push_back(OfferedFile(d));
            Enter(turn, Flow::kCreate, "category", {{"attachments", att}});
            return AskCategory(turn, "好的，用这个附件提交新工单。\n");
        }
        if (no.empty()) {
            if (LooksLikeQuestion(intent, raw)) {
                return std::nullopt;
            }
            return "请回复序号（1-" + std::to_string(nos.size() + (step == "attach" ? 1 : 0)) +
                   "），或回复 取消 放弃。";
        }
        LeaveFlow(turn);
        if (step == "attach") {
            auto r = deps.tickets->AddAttachment(no, turn.user, ToAttachment(OfferedFile(d)));
            return r.ok() ? "已将附件添加到工单 " + no + "，并通知了工程师。" : r.error().message;
        }
        const std::string answer = d.value("text", "");
        auto r = deps.tickets->EmployeeReplied(turn.user, no, answer);
        if (!r.ok()) {
            // No longer waiting (answered meanwhile): add it to the ticket all the same.
            r = deps.tickets->AddInfo(no, turn.user, answer);
        }
        return r.ok() ? "已将您的回复转给工程师（工单 " + no + "），请耐心等待处理。"
                      : r.error().message;
    }
    if (flow == Flow::kTransfer) {
        const std::string no = d.value("no", "");
        const auto ids = d.value("ids", std::vector<std::string>{});
        std::string target;
        if (choice && static_cast<std::size_t>(*choice) <= ids.size()) {
            target = ids[static_cast<std::size_t>(*choice - 1)];
        } else {
            target = text::Trim(raw);
        }
        Command c;
        c.kind = CommandKind::kTransfer;
        c.ticket_no = no;
        c.arg = target;
        LeaveFlow(turn);
        std::string r = OnEngineerCommand(turn, c);
        if (turn.flow == Flow::kNone && r.starts_with("找不到")) {
            // Keep asking: a mistyped name is not a reason to start over.
            Enter(turn, Flow::kTransfer, "userid", d);
            return r + "\n请重新回复同事的姓名、UserID 或序号，或回复 取消 放弃。";
        }
        return r;
    }
    LeaveFlow(turn);
    return std::nullopt;
}

std::string Bot::Impl::AskTransferTarget(Turn& turn, const std::string& no) {
    auto d = deps.tickets->Get(no, turn.user);
    if (!d.ok()) {
        return d.error().message;
    }
    if (!tickets::IsOpen(d->ticket.status)) {
        return "工单 " + no + " 当前" + std::string(tickets::StatusWords(d->ticket.status)) +
               "，不能转派。";
    }
    std::vector<std::string> ids;
    std::string list;
    if (!d->ticket.group.empty()) {
        store::UserRepository users(deps.db);
        for (const auto& u : users.OnDutyInGroup(d->ticket.group)) {
            if (u.userid == d->ticket.assignee || u.userid == text::AsciiLower(turn.user) ||
                ids.size() >= 9) {
                continue;
            }
            ids.push_back(u.userid);
            list += "\n" + std::to_string(ids.size()) + ". " +
                    (u.name.empty() ? u.userid : u.name) + "（" + u.userid + "）";
        }
    }
    Enter(turn, Flow::kTransfer, "userid", {{"no", no}, {"ids", ids}});
    if (ids.empty()) {
        return "本组现在没有其他在班的同事。请回复要转派给的同事的姓名或 "
               "UserID（组长可转派给任何人），或回复 取消 放弃。";
    }
    return "要把工单 " + no + " 转派给谁？本组在班的同事：" + list +
           "\n回复序号、姓名或 UserID（可在后面写原因），回复 取消 放弃。";
}

std::optional<std::pair<std::string, std::string>> Bot::Impl::ResolveColleague(
    const std::string& arg, std::string& why) {
    // "李四 他负责打印机" / "lisi": the first word names the colleague, the rest is the reason.
    const std::string a = text::Trim(text::FoldFullWidth(arg));
    const auto space = a.find(' ');
    const std::string who = a.substr(0, space);
    const std::string reason = space == std::string::npos ? "" : text::Trim(a.substr(space + 1));
    store::UserRepository users(deps.db);
    if (LooksLikeUserId(who)) {
        if (auto u = users.Find(text::AsciiLower(who)); u && IsStaff(u->role)) {
            return std::make_pair(u->userid, reason);
        }
    }
    std::vector<store::User> staff;
    for (auto& u : users.FindByName(who)) {
        if (IsStaff(u.role)) {
            staff.push_back(u);
        }
    }
    if (staff.size() == 1) {
        return std::make_pair(staff.front().userid, reason);
    }
    if (staff.size() > 1) {
        why = "有 " + std::to_string(staff.size()) + " 位同事叫" + who + "，请用 UserID 转派：";
        for (const auto& u : staff) {
            why += " " + u.userid;
        }
        return std::nullopt;
    }
    why = "找不到工程师 " + text::TruncateUtf8(who, 64) + "。";
    return std::nullopt;
}

std::optional<std::string> Bot::Impl::AnswerWaiting(Turn& turn, const std::string& raw) {
    auto waiting = deps.tickets->ListMineIn(turn.user, tickets::Status::kWaiting);
    if (!waiting.ok() || waiting->empty()) {
        return std::nullopt;
    }
    std::string note;
    const std::string kept = KeepAtMost(raw, tickets::kMaxMessageBytes, note);
    if (waiting->size() == 1) {
        const auto& tk = waiting->front();
        auto r = deps.tickets->EmployeeReplied(turn.user, tk.no, kept);
        if (!r.ok()) {
            return std::nullopt;
        }
        return note + "已将您的回复转给工程师（工单 " + tk.no + "），请耐心等待处理。";
    }
    // More than one ticket waits for this employee: never guess which one an answer is for.
    std::vector<std::string> nos;
    const std::string list = NumberedTickets(*waiting, nos);
    Enter(turn, Flow::kOffer, "which", {{"text", kept}, {"nos", nos}});
    return note + "您有 " + std::to_string(waiting->size()) +
           " 个工单在等您回复，这条消息是回复哪一个的？" + list + "\n回复序号。";
}

std::string NumberedTickets(const std::vector<tickets::Ticket>& tickets,
                            std::vector<std::string>& nos) {
    std::string list;
    for (const auto& tk : tickets) {
        if (nos.size() >= kMaxListed) {
            break;
        }
        nos.push_back(tk.no);
        list += "\n" + std::to_string(nos.size()) + ". " + tk.no + " " +
                text::TruncateUtf8(tk.description, 90);
    }
    return list;
}

std::vector<tickets::Ticket> Bot::Impl::Unrated(const std::string& user) {
    std::vector<tickets::Ticket> out;
    if (auto resolved = deps.tickets->ListMineIn(user, tickets::Status::kResolved); resolved.ok()) {
        for (auto& tk : *resolved) {
            if (!tk.rating) {
                out.push_back(std::move(tk));
            }
        }
    }
    return out;
}

std::optional<std::string> Bot::Impl::RateBare(Turn& turn, const std::string& raw) {
    const auto score = ParseBareScore(raw);
    if (!score) {
        return std::nullopt;
    }
    const auto unrated = Unrated(turn.user);
    if (unrated.empty()) {
        return std::nullopt;
    }
    if (*score == 0) {
        return "评分请用 1-5 的整数星级（5 最满意），例如：5";
    }
    if (unrated.size() > 1) {
        return "您有 " + std::to_string(unrated.size()) +
               " 个工单待评价，请写明工单号，例如：评价 " + unrated.front().no + " " +
               std::to_string(*score);
    }
    auto r = deps.tickets->Rate(unrated.front().no, turn.user, *score, "");
    return r.ok() ? RatedText(*score) : r.error().message;
}

nlohmann::json AttachmentJson(const wecom::InboundMessage& m) {
    return {{"media_id", m.media_id}, {"type", m.raw_type}, {"name", m.file_name}};
}

nlohmann::json OfferedFile(const nlohmann::json& d) {
    // Before "file" the offer kept media_id and type at its top level.
    return d.contains("file") ? d["file"] : d;
}

tickets::NewAttachment ToAttachment(const nlohmann::json& j) {
    if (!j.is_object()) {
        return {};
    }
    return {j.value("media_id", ""), j.value("type", "image"), j.value("name", "")};
}

std::string Bot::Impl::OnMedia(Turn& turn, const wecom::InboundMessage& m) {
    const auto file = AttachmentJson(m);
    const auto attachment = ToAttachment(file);
    if (turn.flow == Flow::kCreate) {
        auto d = Data(turn);
        d["attachments"].push_back(file);
        SetData(turn, d);
        const auto n = d["attachments"].size();
        std::string reply = "已收到附件（共 " + std::to_string(n) + " 个），将随工单提交。";
        if (turn.state.step == "description") {
            reply += "\n请再用文字描述一下问题。";
        }
        return reply;
    }
    if (deps.tickets == nullptr) {
        return "收到。这类内容我暂时处理不了，请用文字描述您的问题。";
    }
    if (turn.flow == Flow::kOffer && turn.state.step == "add") {
        const std::string no = Data(turn).value("no", "");
        LeaveFlow(turn);
        auto r = deps.tickets->AddAttachment(no, turn.user, attachment);
        return r.ok() ? "已将附件添加到工单 " + no + "，并通知了工程师。" : r.error().message;
    }
    LeaveFlow(turn);
    // Offered to the employee's open tickets (a waiting one first), or a new ticket.
    std::vector<tickets::Ticket> open;
    if (auto mine = deps.tickets->ListMine(turn.user); mine.ok()) {
        for (auto& tk : *mine) {
            if (tickets::IsOpen(tk.status)) {
                open.push_back(tk);
            }
        }
    }
    std::stable_partition(open.begin(), open.end(), [](const tickets::Ticket& tk) {
        return tk.status == tickets::Status::kWaiting;
    });
    if (open.size() == 1 && open.front().status == tickets::Status::kWaiting) {
        const std::string no = open.front().no;
        auto r = deps.tickets->AddAttachment(no, turn.user, attachment);
        if (r.ok()) {
            return "已将附件添加到工单 " + no + " 并转给工程师，请耐心等待处理。";
        }
    }
    if (open.empty()) {
        nlohmann::json att = nlohmann::json::array();
        att.push_back(file);
        Enter(turn, Flow::kCreate, "category", {{"attachments", att}});
        return AskCategory(turn, "收到附件，我们用它提交一个IT工单。\n");
    }
    std::vector<std::string> nos;
    const std::string list = NumberedTickets(open, nos);
    Enter(turn, Flow::kOffer, "attach", {{"file", file}, {"nos", nos}});
    return "收到附件。要添加到哪个工单？" + list + "\n" + std::to_string(nos.size() + 1) +
           ". 用它提交新工单\n回复序号。";
}

}  // namespace wedesk::bot
