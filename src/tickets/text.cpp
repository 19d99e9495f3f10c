// What tickets says to people: normalised input, the words for statuses and priorities, the
// refusals, and the engineer's dispatch card.
#include "tickets/internal.hpp"

#include <algorithm>

#include "wedesk/common/text.hpp"

namespace wedesk::tickets {

using namespace detail;

namespace detail {

std::string Upper(std::string s) {
    for (auto& c : s) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return s;
}

std::string NormNo(const std::string& no) {
    return Upper(text::TruncateUtf8(text::Trim(text::FoldFullWidth(no)), kMaxIdBytes));
}

std::string NormUser(const std::string& userid) {
    return text::AsciiLower(text::TruncateUtf8(text::Trim(userid), kMaxIdBytes));
}

std::string CleanText(const std::string& s, std::size_t max_bytes) {
    if (!text::IsValidUtf8(s)) {
        return "";
    }
    return text::TruncateUtf8(text::Trim(s), max_bytes);
}

std::string Short(const std::string& s, std::size_t bytes) {
    std::string out = text::TruncateUtf8(s, bytes);
    return out.size() < s.size() ? out + "…" : out;
}

std::string PriorityWords(const std::string& p) {
    if (p == "P1") {
        return "非常紧急";
    }
    if (p == "P2") {
        return "紧急";
    }
    return "一般";
}

Error NotFound(const std::string& no) {
    return Fail(Errc::kNotFound, "没有找到工单 " + Short(no, 40) + "，请检查编号。");
}

Error Refuse(const Relation& r, const std::string& no, const std::string& why) {
    if (!r.CanView()) {
        return NotFound(no);
    }
    return Fail(Errc::kForbidden, why);
}

Error StateError(const Ticket& t, const std::string& what) {
    return Fail(Errc::kBadState,
                "工单 " + t.no + " 当前" + std::string(StatusWords(t.status)) + "，" + what);
}

std::string CardTaskId(const std::string& no, std::int64_t seq) {
    return "t-" + no + "-" + std::to_string(seq);
}

Card DispatchCard(store::Conn& conn, const Ticket& t, std::int64_t seq, const std::string& title) {
    Card card;
    card.id = CardTaskId(t.no, seq);
    card.source = "IT服务台";
    card.title = title + " " + t.no;
    card.subtitle = t.category_name + " · " + t.priority + " " + PriorityWords(t.priority);
    card.text = Short(t.description, 300);
    card.fields = {{"报修人", dispatch::NameOf(conn, t.requester)}, {"优先级", t.priority}};
    card.buttons = {{"ticket_accept:" + t.no, "接单", true},
                    {"ticket_transfer:" + t.no, "转派", false}};
    return card;
}

Card ResolvedCard(const Ticket& t, const std::string& resolution, std::int64_t round) {
    Card card;
    card.id = "r-" + t.no + "-" + std::to_string(round);  // WeCom wants task ids unique
    card.source = "IT服务台";
    card.title = "工单已解决 " + t.no;
    card.subtitle = Short(t.description, 40);
    card.text = (resolution.empty() ? std::string() : "处理结果：" + Short(resolution, 60) + "\n") +
                "请为本次服务评分（也可以直接回复 1-5）；问题仍在请点「还没解决」。";
    card.buttons = {{"ticket_rate:" + t.no + ":5", "5星 很满意", true},
                    {"ticket_rate:" + t.no + ":4", "4星 满意", false},
                    {"ticket_rate:" + t.no + ":3", "3星 一般", false},
                    {"ticket_rate:" + t.no + ":2", "2星 不满意", false},
                    {"ticket_rate:" + t.no + ":1", "1星 很不满意", false},
                    {"ticket_reopen:" + t.no, "还没解决", false}};
    return card;
}

}  // namespace detail

std::string_view StatusKey(Status s) {
    switch (s) {
        case Status::kNew:
            return "new";
        case Status::kAssigned:
            return "assigned";
        case Status::kInProgress:
            return "in_progress";
        case Status::kWaiting:
            return "waiting";
        case Status::kResolved:
            return "resolved";
        case Status::kClosed:
            return "closed";
        case Status::kCancelled:
            return "cancelled";
    }
    return "new";
}

std::string_view StatusWords(Status s) {
    switch (s) {
        case Status::kNew:
            return "待分派";
        case Status::kAssigned:
            return "已分派";
        case Status::kInProgress:
            return "处理中";
        case Status::kWaiting:
            return "等待您回复";
        case Status::kResolved:
            return "已解决";
        case Status::kClosed:
            return "已关闭";
        case Status::kCancelled:
            return "已取消";
    }
    return "";
}

std::optional<Status> ParseStatus(std::string_view key) {
    for (Status s : kAllStatuses) {
        if (StatusKey(s) == key) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view EmployeeStatusWords(Status s) {
    // Dispatch is IT's business: to the employee a ticket nobody works on yet is 待处理.
    return s == Status::kNew || s == Status::kAssigned ? "待处理" : StatusWords(s);
}

bool IsOpen(Status s) {
    return s == Status::kNew || s == Status::kAssigned || s == Status::kInProgress ||
           s == Status::kWaiting;
}

}  // namespace wedesk::tickets
