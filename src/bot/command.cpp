#include "wedesk/bot/command.hpp"

#include <array>
#include <vector>

#include "wedesk/common/enum_names.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::bot {

namespace {

constexpr NameTable<CommandKind, 27> kCommandNames{{
    {CommandKind::kNone, "none"},
    {CommandKind::kHelp, "help"},
    {CommandKind::kNewTicket, "new_ticket"},
    {CommandKind::kMyTickets, "my_tickets"},
    {CommandKind::kQuery, "query"},
    {CommandKind::kUrge, "urge"},
    {CommandKind::kCancelTicket, "cancel_ticket"},
    {CommandKind::kReopen, "reopen"},
    {CommandKind::kRate, "rate"},
    {CommandKind::kAddInfo, "add_info"},
    {CommandKind::kAttachments, "attachments"},
    {CommandKind::kResetPassword, "reset_password"},
    {CommandKind::kUnlock, "unlock"},
    {CommandKind::kCancel, "cancel"},
    {CommandKind::kHuman, "human"},
    {CommandKind::kAccept, "accept"},
    {CommandKind::kNote, "note"},
    {CommandKind::kReply, "reply"},
    {CommandKind::kTransfer, "transfer"},
    {CommandKind::kWait, "wait"},
    {CommandKind::kResolve, "resolve"},
    {CommandKind::kMyTasks, "my_tasks"},
    {CommandKind::kOnDuty, "on_duty"},
    {CommandKind::kOffDuty, "off_duty"},
    {CommandKind::kTeamTickets, "team_tickets"},
    {CommandKind::kUnassigned, "unassigned"},
    {CommandKind::kOverdue, "overdue"},
}};

// A verb that takes a ticket number: "查询 IT…", "评价IT… 5 很满意". Longer words first where one
// is a prefix of another (取消工单 before 取消; 查询 before 查).
// `alone`: typed with nothing else (or filler, "催办一下") it asks for its number; the
// one-character forms (查, 催), 查看 and the English ones are too common in sentences for that.
struct TicketVerb {
    std::string_view word;  // normalised (folded, ASCII lower-case)
    CommandKind kind;
    bool alone;
};
constexpr std::array kTicketVerbs = {
    TicketVerb{"取消工单", CommandKind::kCancelTicket, true},
    TicketVerb{"撤销工单", CommandKind::kCancelTicket, true},
    TicketVerb{"撤回工单", CommandKind::kCancelTicket, true},
    TicketVerb{"查询工单", CommandKind::kQuery, true},
    TicketVerb{"查询", CommandKind::kQuery, true},
    TicketVerb{"查寻", CommandKind::kQuery, false},  // a common typo (same pinyin)
    TicketVerb{"查看", CommandKind::kQuery, false},
    TicketVerb{"查", CommandKind::kQuery, false},
    TicketVerb{"催办", CommandKind::kUrge, true},
    TicketVerb{"催单", CommandKind::kUrge, true},
    TicketVerb{"催", CommandKind::kUrge, false},
    TicketVerb{"重新打开", CommandKind::kReopen, true},
    TicketVerb{"重开", CommandKind::kReopen, true},
    TicketVerb{"评价", CommandKind::kRate, true},
    TicketVerb{"评分", CommandKind::kRate, true},
    TicketVerb{"补充", CommandKind::kAddInfo, true},
    TicketVerb{"查看附件", CommandKind::kAttachments, true},
    TicketVerb{"附件", CommandKind::kAttachments, true},
    TicketVerb{"接单", CommandKind::kAccept, true},
    TicketVerb{"备注", CommandKind::kNote, true},
    TicketVerb{"回复", CommandKind::kReply, true},
    TicketVerb{"转派", CommandKind::kTransfer, true},
    TicketVerb{"挂起", CommandKind::kWait, true},
    TicketVerb{"完成", CommandKind::kResolve, true},
    // English: the verb must be followed by a space (checked below).
    TicketVerb{"cancel ticket", CommandKind::kCancelTicket, false},
    TicketVerb{"query", CommandKind::kQuery, false},
    TicketVerb{"urge", CommandKind::kUrge, false},
    TicketVerb{"reopen", CommandKind::kReopen, false},
    TicketVerb{"rate", CommandKind::kRate, false},
    TicketVerb{"add", CommandKind::kAddInfo, false},
    TicketVerb{"files", CommandKind::kAttachments, false},
    TicketVerb{"accept", CommandKind::kAccept, false},
    TicketVerb{"note", CommandKind::kNote, false},
    TicketVerb{"reply", CommandKind::kReply, false},
    TicketVerb{"transfer", CommandKind::kTransfer, false},
    TicketVerb{"wait", CommandKind::kWait, false},
    TicketVerb{"resolve", CommandKind::kResolve, false},
};

// Words that may follow a bare verb without making it a sentence: "催办一下", "查询工单吧".
constexpr std::array kFiller = {
    std::string_view{"一下我的工单"}, std::string_view{"一下工单"}, std::string_view{"我的工单"},
    std::string_view{"一下"},         std::string_view{"工单"},     std::string_view{"下"},
    std::string_view{"吧"},
};

// Whole messages (normalised, trailing punctuation removed) that are a command by themselves.
struct Phrase {
    std::string_view text;
    CommandKind kind;
};
constexpr std::array kPhrases = {
    Phrase{"帮助", CommandKind::kHelp},
    Phrase{"菜单", CommandKind::kHelp},
    Phrase{"help", CommandKind::kHelp},
    Phrase{"menu", CommandKind::kHelp},
    Phrase{"你能做什么", CommandKind::kHelp},
    Phrase{"你会什么", CommandKind::kHelp},
    Phrase{"能做什么", CommandKind::kHelp},
    Phrase{"有什么功能", CommandKind::kHelp},
    Phrase{"使用说明", CommandKind::kHelp},
    Phrase{"new", CommandKind::kNewTicket},
    Phrase{"提个工单", CommandKind::kNewTicket},
    Phrase{"开个工单", CommandKind::kNewTicket},
    Phrase{"开工单", CommandKind::kNewTicket},
    Phrase{"提工单", CommandKind::kNewTicket},
    Phrase{"建工单", CommandKind::kNewTicket},
    Phrase{"我要提工单", CommandKind::kNewTicket},
    Phrase{"我要提交工单", CommandKind::kNewTicket},
    Phrase{"我想提交工单", CommandKind::kNewTicket},
    Phrase{"my", CommandKind::kMyTickets},
    Phrase{"my tickets", CommandKind::kMyTickets},
    Phrase{"tickets", CommandKind::kMyTickets},
    Phrase{"我的工单", CommandKind::kMyTickets},
    Phrase{"我的工单呢", CommandKind::kMyTickets},
    Phrase{"查看我的工单", CommandKind::kMyTickets},
    Phrase{"查我的工单", CommandKind::kMyTickets},
    Phrase{"查询我的工单", CommandKind::kMyTickets},
    Phrase{"我的报修", CommandKind::kMyTickets},
    Phrase{"我提的工单", CommandKind::kMyTickets},
    Phrase{"工单进度", CommandKind::kMyTickets},
    Phrase{"查进度", CommandKind::kMyTickets},
    Phrase{"查看进度", CommandKind::kMyTickets},
    Phrase{"tasks", CommandKind::kMyTasks},
    Phrase{"我的任务", CommandKind::kMyTasks},
    Phrase{"我的待办", CommandKind::kMyTasks},
    Phrase{"重置密码", CommandKind::kResetPassword},
    Phrase{"忘记密码", CommandKind::kResetPassword},
    Phrase{"密码重置", CommandKind::kResetPassword},
    Phrase{"重设密码", CommandKind::kResetPassword},
    Phrase{"找回密码", CommandKind::kResetPassword},
    Phrase{"我要重置密码", CommandKind::kResetPassword},
    Phrase{"帮我重置密码", CommandKind::kResetPassword},
    Phrase{"reset password", CommandKind::kResetPassword},
    Phrase{"解锁账号", CommandKind::kUnlock},
    Phrase{"账号解锁", CommandKind::kUnlock},
    Phrase{"解锁帐号", CommandKind::kUnlock},
    Phrase{"帐号解锁", CommandKind::kUnlock},
    Phrase{"解锁账户", CommandKind::kUnlock},
    Phrase{"账户解锁", CommandKind::kUnlock},
    Phrase{"解锁", CommandKind::kUnlock},
    Phrase{"帮我解锁账号", CommandKind::kUnlock},
    Phrase{"我要解锁账号", CommandKind::kUnlock},
    Phrase{"unlock", CommandKind::kUnlock},
    Phrase{"取消", CommandKind::kCancel},
    Phrase{"退出", CommandKind::kCancel},
    Phrase{"算了", CommandKind::kCancel},
    Phrase{"cancel", CommandKind::kCancel},
    Phrase{"quit", CommandKind::kCancel},
    Phrase{"exit", CommandKind::kCancel},
    Phrase{"转人工", CommandKind::kHuman},
    Phrase{"人工", CommandKind::kHuman},
    Phrase{"人工服务", CommandKind::kHuman},
    Phrase{"人工客服", CommandKind::kHuman},
    Phrase{"人工坐席", CommandKind::kHuman},
    Phrase{"找人工", CommandKind::kHuman},
    Phrase{"要人工", CommandKind::kHuman},
    Phrase{"我要人工", CommandKind::kHuman},
    Phrase{"转接人工", CommandKind::kHuman},
    Phrase{"有没有人工", CommandKind::kHuman},
    Phrase{"人工呢", CommandKind::kHuman},
    Phrase{"找工程师", CommandKind::kHuman},
    Phrase{"联系工程师", CommandKind::kHuman},
    Phrase{"我要找工程师", CommandKind::kHuman},
    Phrase{"找真人", CommandKind::kHuman},
    Phrase{"真人", CommandKind::kHuman},
    Phrase{"找个人", CommandKind::kHuman},
    Phrase{"客服", CommandKind::kHuman},
    Phrase{"human", CommandKind::kHuman},
    Phrase{"上班", CommandKind::kOnDuty},
    Phrase{"上班了", CommandKind::kOnDuty},
    Phrase{"我上班了", CommandKind::kOnDuty},
    Phrase{"开始上班", CommandKind::kOnDuty},
    Phrase{"on duty", CommandKind::kOnDuty},
    Phrase{"下班", CommandKind::kOffDuty},
    Phrase{"下班了", CommandKind::kOffDuty},
    Phrase{"我下班了", CommandKind::kOffDuty},
    Phrase{"off duty", CommandKind::kOffDuty},
    Phrase{"团队工单", CommandKind::kTeamTickets},
    Phrase{"组内工单", CommandKind::kTeamTickets},
    Phrase{"team", CommandKind::kTeamTickets},
    Phrase{"待分派", CommandKind::kUnassigned},
    Phrase{"待分派工单", CommandKind::kUnassigned},
    Phrase{"unassigned", CommandKind::kUnassigned},
    Phrase{"超时工单", CommandKind::kOverdue},
    Phrase{"overdue", CommandKind::kOverdue},
};

// Start a ticket, with or without the description after them ("报修 打印机卡纸了").
constexpr std::array kNewTicketPrefixes = {
    std::string_view{"我要报修"}, std::string_view{"我想报修"}, std::string_view{"帮我报修"},
    std::string_view{"报修"},     std::string_view{"报休"},     std::string_view{"新建工单"},
    std::string_view{"提交工单"},
};

// Words that make "报修…" a noun phrase ("报修电话", "报修流程") rather than the command.
bool StartsWithNoun(std::string_view rest) {
    for (auto w : {"电话", "流程", "系统", "单", "入口", "怎么", "在哪", "邮箱"}) {
        if (rest.starts_with(w)) {
            return true;
        }
    }
    return false;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSeparator(char c) { return c == ' ' || c == ':' || c == '#' || c == '\t' || c == ','; }

// Punctuation people end a line with (after folding): 。！？… are not folded by FoldFullWidth.
constexpr std::array kTrailing = {
    std::string_view{"。"}, std::string_view{"…"},  std::string_view{"～"}, std::string_view{"!"},
    std::string_view{"?"},  std::string_view{"."},  std::string_view{"~"},  std::string_view{","},
    std::string_view{" "},  std::string_view{"、"},
};

std::string_view StripTrailing(std::string_view s) { return text::TrimSuffixes(s, kTrailing); }

// The message folded for parsing, with where each folded byte came from in the raw text, so an
// argument is handed back exactly as typed.
struct Folded {
    std::string lower;                // folded, ASCII lower-case, trimmed
    std::vector<std::size_t> raw_at;  // raw offset of each byte of `lower`, plus the end
    std::string_view raw;

    // The raw text from folded offset `pos` to the end, trimmed.
    std::string RawFrom(std::size_t pos) const {
        const std::size_t from = raw_at[pos];
        const std::size_t to = raw_at[lower.size()];
        return text::Trim(raw.substr(from, to - from));
    }
};

Folded Fold(std::string_view raw) {
    Folded f;
    f.raw = raw;
    std::string all;
    std::vector<std::size_t> at;
    std::size_t i = 0;
    while (i < raw.size()) {
        char32_t cp = 0;
        std::size_t n = text::DecodeUtf8At(raw, i, cp);
        if (n == 0) {
            n = 1;
        }
        const std::string piece = text::AsciiLower(text::FoldFullWidth(raw.substr(i, n)));
        for (std::size_t k = 0; k < piece.size(); ++k) {
            at.push_back(i);
        }
        all += piece;
        i += n;
    }
    at.push_back(raw.size());
    // Trim ASCII white space (U+3000 was folded to a space).
    std::size_t b = 0;
    std::size_t e = all.size();
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (b < e && space(all[b])) {
        ++b;
    }
    while (e > b && space(all[e - 1])) {
        --e;
    }
    f.lower = all.substr(b, e - b);
    f.raw_at.assign(at.begin() + static_cast<std::ptrdiff_t>(b),
                    at.begin() + static_cast<std::ptrdiff_t>(e) + 1);
    return f;
}

std::size_t SkipSeparators(std::string_view s, std::size_t pos) {
    while (pos < s.size() && IsSeparator(s[pos])) {
        ++pos;
    }
    return pos;
}

bool IsFiller(std::string_view rest) {
    rest = StripTrailing(rest);
    if (rest.empty()) {
        return true;
    }
    for (auto w : kFiller) {
        if (rest == w) {
            return true;
        }
    }
    return false;
}

constexpr std::array kChineseDigits = {
    std::string_view{"一"}, std::string_view{"二"}, std::string_view{"三"},
    std::string_view{"四"}, std::string_view{"五"},
};

// A score at the start of `s` (folded): "5", "5分", "4星", "五星", "4.5". Returns the bytes it
// used (0 when `s` does not start with one) and sets score (0 when out of range or decimal).
std::size_t LeadingScore(std::string_view s, int& score, bool& bad) {
    std::size_t n = 0;
    score = 0;
    bad = false;
    if (!s.empty() && IsDigit(s[0])) {
        int v = 0;
        while (n < s.size() && IsDigit(s[n])) {
            v = n < 3 ? v * 10 + (s[n] - '0') : 99;
            ++n;
        }
        if (n + 1 < s.size() && s[n] == '.' && IsDigit(s[n + 1])) {
            bad = true;  // "4.5": whole stars only
            ++n;
            while (n < s.size() && IsDigit(s[n])) {
                ++n;
            }
        } else if (v >= 1 && v <= 5) {
            score = v;
        } else {
            bad = true;
        }
    } else {
        for (std::size_t d = 0; d < kChineseDigits.size(); ++d) {
            const auto w = kChineseDigits[d];
            if (s.starts_with(w) &&
                (s.substr(w.size()).starts_with("分") || s.substr(w.size()).starts_with("星"))) {
                score = static_cast<int>(d) + 1;
                n = w.size();
                break;
            }
        }
        if (n == 0) {
            return 0;
        }
    }
    std::string_view after = s.substr(n);
    for (auto unit : {std::string_view{" 分"}, std::string_view{"分"}, std::string_view{" 星"},
                      std::string_view{"星"}}) {
        if (after.starts_with(unit)) {
            n += unit.size();
            break;
        }
    }
    return n;
}

// The part of a command after its verb: a ticket number and its arguments.
Command WithTicket(CommandKind kind, const Folded& f, std::size_t pos, bool bare_ok) {
    Command c;
    c.kind = kind;
    const std::string_view s = f.lower;
    pos = SkipSeparators(s, pos);
    auto no = LeadingTicketNo(s.substr(pos));
    if (!no) {
        const std::string_view rest = s.substr(pos);
        if (kind == CommandKind::kRate) {
            // "评价 5 很快": the score of the ticket waiting for a rating.
            int score = 0;
            bool bad = false;
            const std::size_t used = LeadingScore(rest, score, bad);
            if (used > 0 && (used == rest.size() || !IsDigit(rest[used]))) {
                c.missing_ticket = true;
                c.score = score;
                c.bad_score = bad;
                c.arg = f.RawFrom(SkipSeparators(s, pos + used));
                return c;
            }
        }
        if (bare_ok && IsFiller(rest)) {
            c.missing_ticket = true;
            return c;
        }
        return Command{};  // a sentence that starts with the verb: not a command
    }
    c.ticket_no = *no;
    pos = SkipSeparators(s, pos + no->size());
    if (kind == CommandKind::kRate) {
        int score = 0;
        bool bad = false;
        const std::size_t used = LeadingScore(s.substr(pos), score, bad);
        if (used > 0) {
            c.score = score;
            c.bad_score = bad;
            pos = SkipSeparators(s, pos + used);
        }
    }
    c.arg = f.RawFrom(pos);
    return c;
}

}  // namespace

std::string_view CommandName(CommandKind kind) {
    return NameIn(kCommandNames, kind).value_or("none");
}

bool IsEngineerCommand(CommandKind kind) {
    switch (kind) {
        case CommandKind::kAccept:
        case CommandKind::kNote:
        case CommandKind::kReply:
        case CommandKind::kTransfer:
        case CommandKind::kWait:
        case CommandKind::kResolve:
        case CommandKind::kMyTasks:
        case CommandKind::kOnDuty:
        case CommandKind::kOffDuty:
        case CommandKind::kTeamTickets:
        case CommandKind::kUnassigned:
        case CommandKind::kOverdue:
            return true;
        default:
            return false;
    }
}

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
    const Folded f = Fold(raw);
    const std::string_view s = f.lower;
    if (s.empty()) {
        return {};
    }
    if (s == "?") {
        Command c;
        c.kind = CommandKind::kHelp;
        return c;
    }
    const std::string_view whole = StripTrailing(s);
    for (const auto& p : kPhrases) {
        if (whole == p.text) {
            Command c;
            c.kind = p.kind;
            return c;
        }
    }
    for (auto prefix : kNewTicketPrefixes) {
        if (s.starts_with(prefix)) {
            Command c;
            c.kind = CommandKind::kNewTicket;
            std::size_t pos = SkipSeparators(s, prefix.size());
            if (prefix == "报修" && pos == prefix.size() && StartsWithNoun(s.substr(pos))) {
                break;  // "报修电话是多少": a question about reporting, not a report
            }
            if (s.substr(pos).starts_with("一下")) {
                pos = SkipSeparators(s, pos + std::string_view("一下").size());
            }
            c.arg = f.RawFrom(pos);
            return c;
        }
    }
    for (const auto& v : kTicketVerbs) {
        if (!s.starts_with(v.word)) {
            continue;
        }
        const bool english = static_cast<unsigned char>(v.word[0]) < 0x80;
        if (english && (s.size() == v.word.size() || s[v.word.size()] != ' ')) {
            continue;  // "accept", "news about": an English verb needs its number after a space
        }
        Command c = WithTicket(v.kind, f, v.word.size(), v.alone);
        if (c.kind != CommandKind::kNone) {
            return c;
        }
    }
    if (auto no = LeadingTicketNo(s); no && StripTrailing("x" + std::string(s.substr(15))) == "x") {
        Command c;
        c.kind = CommandKind::kQuery;
        c.ticket_no = *no;
        return c;
    }
    return {};
}

std::optional<int> ParseChoice(std::string_view raw) {
    const std::string t = text::Trim(text::FoldFullWidth(raw));
    const std::string_view s = StripTrailing(t);
    if (s.size() == 1 && IsDigit(s[0]) && s[0] != '0') {
        return s[0] - '0';
    }
    return std::nullopt;
}

std::optional<int> ParseBareScore(std::string_view raw) {
    const std::string t = text::NormalizeCommand(raw);
    std::string_view s = StripTrailing(t);
    int score = 0;
    bool bad = false;
    const std::size_t used = LeadingScore(s, score, bad);
    if (used == 0) {
        return std::nullopt;
    }
    std::string_view rest = s.substr(used);
    for (auto tail : {std::string_view{"好评"}, std::string_view{"满意"}}) {
        if (rest == tail) {
            rest = {};
        }
    }
    if (!rest.empty()) {
        return std::nullopt;
    }
    return bad ? 0 : score;
}

}  // namespace wedesk::bot
