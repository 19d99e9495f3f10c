// Small talk, a path to a person (转人工) and password words said in a sentence: what a person
// says that is neither a command nor a problem to search for.
#include "bot/flows.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/tickets/sla.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

std::string Bot::Impl::OnSmallTalk(Turn& turn, IntentKind kind) {
    (void)turn;
    switch (kind) {
        case IntentKind::kGreeting:
            return "您好！我是IT服务台。请直接告诉我您遇到的问题，例如“打印机卡纸了”“VPN连不上”，"
                   "我会先帮您找解答；也可以回复 帮助 查看我能做什么。";
        case IntentKind::kPresence:
            return "在的！请直接描述您遇到的问题，我马上帮您看。需要找工程师请回复 转人工。";
        case IntentKind::kThanks:
            return "不客气！还有其他问题随时找我。";
        case IntentKind::kBye:
            return "再见！有问题随时找我。";
        default:
            return "好的。还有其他问题可以直接告诉我。";
    }
}

std::string Bot::Impl::OnAccountWords(Turn& turn, IntentKind kind) {
    (void)turn;
    if (deps.reset == nullptr) {
        return "本服务台暂未开通自助重置密码和解锁。回复 报修，由工程师为您处理。";
    }
    switch (kind) {
        case IntentKind::kResetOffer:
            return "忘记或过期的密码可以自助重置：回复 重置密码，我会给您登记的手机发送短信验证码，"
                   "验证后即可设置新密码。\n如果是其他密码问题（例如邮箱、WiFi），请再具体描述一下"
                   "。";
        case IntentKind::kUnlockOffer:
            return "账号被锁定可以自助解锁：回复 解锁账号，验证短信验证码后立即解锁。\n"
                   "如果是其他问题，请再具体描述一下。";
        default:
            return "请问您需要：\n· 忘记或过期的密码 —— 回复 重置密码\n"
                   "· 输错太多次、账号被锁 —— 回复 解锁账号\n· 其他账号问题 —— 请具体描述一下";
    }
}

std::string Bot::Impl::WhenSomeoneComes(const tickets::TicketService::Availability& a,
                                        const std::string& otherwise) {
    if (a.next_open > 0 && !a.business_hours) {
        return "现在是非工作时间，工程师会在 " +
               tickets::sla::LocalDateTime(deps.tickets->utc_offset_s(), a.next_open) +
               " 上班后处理。";
    }
    return otherwise;
}

std::string Bot::Impl::WhoCanHelp() {
    auto a = deps.tickets->WhoIsAvailable();
    if (!a.ok()) {
        return "";
    }
    if (!a->on_duty.empty()) {
        std::string names;
        for (std::size_t i = 0; i < a->on_duty.size() && i < 5; ++i) {
            names += (i == 0 ? "" : "、") + a->on_duty[i];
        }
        return "当前在班的工程师：" + names + "。";
    }
    return WhenSomeoneComes(*a, "现在没有工程师在班，工单会在有人上班后第一时间处理。");
}

std::string Bot::Impl::NobodyOnDuty() {
    const std::string otherwise = "负责的工程师现在都不在班，有人上班后会第一时间处理。";
    auto a = deps.tickets->WhoIsAvailable();
    return a.ok() ? WhenSomeoneComes(*a, otherwise) : otherwise;
}

std::string Bot::Impl::FlowText(const Turn& turn) const {
    const auto d = Data(turn);
    for (const char* key : {"description", "query", "text"}) {
        if (d.contains(key) && d[key].is_string() && !d[key].get<std::string>().empty()) {
            return d[key].get<std::string>();
        }
    }
    return "";
}

std::string Bot::Impl::OnHuman(Turn& turn, const std::string& so_far) {
    if (deps.tickets == nullptr) {
        return "本服务台暂未开通工单功能。";
    }
    const std::string who = WhoCanHelp();
    if (HasWords(so_far)) {
        Enter(turn, Flow::kOffer, "confirm", {{"text", so_far}, {"human", true}});
        return "好的，我来帮您找工程师。" + who + "\n把您刚才说的“" +
               text::TruncateUtf8(so_far, 180) + "”提交给工程师吗？\n1. 提交\n2. 不用了";
    }
    Enter(turn, Flow::kOffer, "describe");
    return "好的，我来帮您找工程师。" + who +
           "\n请用一两句话描述您遇到的问题，我会提交工单并通知工程师（回复 取消 放弃）。";
}

std::string Bot::Impl::FileForHuman(Turn& turn, const std::string& description,
                                    std::int64_t question) {
    std::string note;
    const std::string kept = KeepAtMost(description, tickets::kMaxDescriptionBytes, note);
    std::string category = "other";
    if (auto i = MatchCategory(kept)) {
        category = categories[*i].key;
    } else if (!categories.empty()) {
        category = categories.back().key;  // the catch-all ("其他") is listed last
        for (const auto& c : categories) {
            if (c.key == "other") {
                category = c.key;
            }
        }
    }
    LeaveFlow(turn);
    auto r = deps.tickets->Create(turn.user, category, kept, "P3", {});
    if (r.ok() && deps.kb != nullptr) {
        deps.kb->LinkTicket(question, r->no);
    }
    if (!r.ok()) {
        return r.error().message + "\n回复 报修 重新提交。";
    }
    std::string t = note + "已为您提交工单 " + r->no + "。";
    if (!r->assignee.empty()) {
        t += "工程师 " + r->assignee_name + " 会尽快联系您。";
    } else {
        t += NobodyOnDuty();
    }
    return t + "\n回复 查询 " + r->no + " 查看进度。";
}

}  // namespace wedesk::bot
