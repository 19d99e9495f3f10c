#include "wedesk/bot/command.hpp"

#include <array>
#include <cctype>

#include "wedesk/common/text.hpp"

namespace wedesk::bot {

namespace {

struct Keyword {
    std::string_view word;  // normalised (ASCII lower-case)
    CommandKind kind;
    bool needs_ticket;
};

// Longer keywords first where one is a prefix of another (取消工单 before 取消).
constexpr std::array kKeywords = {
    Keyword{"取消工单", CommandKind::kCancelTicket, true},
    Keyword{"撤销工单", CommandKind::kCancelTicket, true},
    Keyword{"cancel ticket", CommandKind::kCancelTicket, true},
    Keyword{"我的工单", CommandKind::kMyTickets, false},
    Keyword{"我的任务", CommandKind::kMyTasks, false},
    Keyword{"新建工单", CommandKind::kNewTicket, false},
    Keyword{"提交工单", CommandKind::kNewTicket, false},
    Keyword{"报修", CommandKind::kNewTicket, false},
    Keyword{"查询", CommandKind::kQuery, true},
    Keyword{"催办", CommandKind::kUrge, true},
    Keyword{"重开", CommandKind::kReopen, true},
    Keyword{"评价", CommandKind::kRate, true},
    Keyword{"重置密码", CommandKind::kResetPassword, false},
    Keyword{"忘记密码", CommandKind::kResetPassword, false},
    Keyword{"reset password", CommandKind::kResetPassword, false},
    Keyword{"解锁账号", CommandKind::kUnlock, false},
    Keyword{"账号解锁", CommandKind::kUnlock, false},
    Keyword{"接单", CommandKind::kAccept, true},
    Keyword{"备注", CommandKind::kNote, true},
    Keyword{"转派", CommandKind::kTransfer, true},
    Keyword{"挂起", CommandKind::kWait, true},
    Keyword{"完成", CommandKind::kResolve, true},
    Keyword{"上班", CommandKind::kOnDuty, false},
    Keyword{"下班", CommandKind::kOffDuty, false},
    Keyword{"帮助", CommandKind::kHelp, false},
    Keyword{"菜单", CommandKind::kHelp, false},
};

// Whole-line aliases (English words must not match as prefixes of free text).
struct Alias {
    std::string_view word;
    CommandKind kind;
};
constexpr std::array kAliases = {
    Alias{"help", CommandKind::kHelp},        Alias{"menu", CommandKind::kHelp},
    Alias{"?", CommandKind::kHelp},           Alias{"new", CommandKind::kNewTicket},
    Alias{"my", CommandKind::kMyTickets},     Alias{"tickets", CommandKind::kMyTickets},
    Alias{"tasks", CommandKind::kMyTasks},    Alias{"unlock", CommandKind::kUnlock},
    Alias{"取消", CommandKind::kCancel},      Alias{"退出", CommandKind::kCancel},
    Alias{"cancel", CommandKind::kCancel},    Alias{"quit", CommandKind::kCancel},
    Alias{"exit", CommandKind::kCancel},      Alias{"on duty", CommandKind::kOnDuty},
    Alias{"off duty", CommandKind::kOffDuty},
};

// English verbs taking a ticket number: "query IT..", "urge IT..", "rate IT.. 5".
constexpr std::array kEnglishVerbs = {
    Keyword{"query", CommandKind::kQuery, true},       Keyword{"urge", CommandKind::kUrge, true},
    Keyword{"reopen", CommandKind::kReopen, true},     Keyword{"rate", CommandKind::kRate, true},
    Keyword{"accept", CommandKind::kAccept, true},     Keyword{"note", CommandKind::kNote, true},
    Keyword{"transfer", CommandKind::kTransfer, true}, Keyword{"wait", CommandKind::kWait, true},
    Keyword{"resolve", CommandKind::kResolve, true},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Strips leading separators users put between a keyword and its argument.
std::string_view SkipSeparators(std::string_view s) {
    for (;;) {
        if (!s.empty() && (s.front() == ' ' || s.front() == ':' || s.front() == '#' ||
                           s.front() == '\t' || s.front() == ',')) {
            s.remove_prefix(1);
        } else {
            return s;
        }
    }
}

Command WithTicket(CommandKind kind, std::string_view rest) {
    Command c;
    c.kind = kind;
    rest = SkipSeparators(rest);
    auto no = LeadingTicketNo(rest);
    if (!no) {
        c.missing_ticket = true;
        c.arg = text::Trim(rest);
        return c;
    }
    c.ticket_no = *no;
    c.arg = text::Trim(SkipSeparators(rest.substr(no->size())));
    if (kind == CommandKind::kRate) {
        // "5", "5 很快", "5分"
        if (!c.arg.empty() && IsDigit(c.arg[0]) && (c.arg.size() == 1 || !IsDigit(c.arg[1]))) {
            const int v = c.arg[0] - '0';
            c.score = (v >= 1 && v <= 5) ? v : 0;
            std::string_view after = std::string_view(c.arg).substr(1);
            if (after.starts_with("分")) {
                after.remove_prefix(3);
            }
            c.arg = text::Trim(after);
        }
    }
    return c;
}

}  // namespace

std::optional<std::string> LeadingTicketNo(std::string_view s) {
    // IT + 8 digits + '-' + 4 digits, case-insensitive.
    if (s.size() < 15) {
        return std::nullopt;
    }
    if (!((s[0] == 'i' || s[0] == 'I') && (s[1] == 't' || s[1] == 'T'))) {
        return std::nullopt;
    }
    for (std::size_t i = 2; i < 10; ++i) {
        if (!IsDigit(s[i])) {
            return std::nullopt;
        }
    }
    if (s[10] != '-') {
        return std::nullopt;
    }
    for (std::size_t i = 11; i < 15; ++i) {
        if (!IsDigit(s[i])) {
            return std::nullopt;
        }
    }
    if (s.size() > 15 && IsDigit(s[15])) {
        return std::nullopt;
    }
    std::string no(s.substr(0, 15));
    no[0] = 'I';
    no[1] = 'T';
    return no;
}

Command ParseCommand(std::string_view raw) {
    // Fold full-width forms but keep the case of arguments (userids, comments) until needed.
    const std::string folded = text::Trim(text::FoldFullWidth(raw));
    const std::string lower = text::AsciiLower(folded);
    Command none;
    if (lower.empty()) {
        return none;
    }
    for (const auto& a : kAliases) {
        if (lower == a.word) {
            Command c;
            c.kind = a.kind;
            return c;
        }
    }
    for (const auto& k : kKeywords) {
        if (lower.starts_with(k.word)) {
            const std::string_view rest = std::string_view(folded).substr(k.word.size());
            if (k.needs_ticket) {
                return WithTicket(k.kind, rest);
            }
            // A keyword without arguments must stand alone ("报修" or "报修 打印机坏了").
            Command c;
            c.kind = k.kind;
            c.arg = text::Trim(rest);
            return c;
        }
    }
    for (const auto& k : kEnglishVerbs) {
        if (lower.starts_with(k.word) && lower.size() > k.word.size() &&
            lower[k.word.size()] == ' ') {
            Command c = WithTicket(k.kind, std::string_view(folded).substr(k.word.size()));
            if (!c.missing_ticket) {
                return c;
            }
        }
    }
    if (auto no = LeadingTicketNo(lower); no && text::Trim(lower.substr(15)).empty()) {
        Command c;
        c.kind = CommandKind::kQuery;
        c.ticket_no = *no;
        return c;
    }
    return none;
}

std::optional<int> ParseChoice(std::string_view raw) {
    const std::string t = text::Trim(text::FoldFullWidth(raw));
    if (t.size() == 1 && IsDigit(t[0]) && t[0] != '0') {
        return t[0] - '0';
    }
    return std::nullopt;
}

}  // namespace wedesk::bot
