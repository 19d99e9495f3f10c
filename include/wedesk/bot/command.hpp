#pragma once
/// Chat command recognition: turns what a person typed into a Command, strictly. A message is a
/// command only when it *is* the command with its arguments ("查询 IT20261127-0001", "上班",
/// "报修 打印机卡纸了"); a sentence that merely starts with a command word ("重开机以后蓝屏",
/// "查询系统打不开", "上班的时候电脑开不了机") is not one. Tolerates full-width digits and
/// punctuation, missing or extra spaces, ASCII case and English aliases. Arguments are returned
/// exactly as typed (full-width punctuation kept): normalising is for parsing only.
/// Pure functions, no state. Who may use which command, small talk and the rest of intent
/// recognition are in intent.hpp.

#include <optional>
#include <string>
#include <string_view>

namespace wedesk::bot {

enum class CommandKind {
    kNone,  ///< not a command: free text
    kHelp,
    kNewTicket,
    kMyTickets,
    kQuery,
    kUrge,
    kCancelTicket,
    kReopen,
    kRate,
    kAddInfo,      ///< 补充 NO 文本: the employee adds to a ticket
    kAttachments,  ///< 附件 NO: the ticket's files are sent to whoever asks (and may view it)
    kResetPassword,
    kUnlock,
    kCancel,  ///< leave the current flow
    kHuman,   ///< 转人工: a path to a person
    kAccept,
    kNote,
    kReply,  ///< 回复 NO 文本: the engineer's public message to the employee
    kTransfer,
    kWait,
    kResolve,
    kMyTasks,
    kOnDuty,
    kOffDuty,
    kTeamTickets,  ///< 团队工单 (leads, admins)
    kUnassigned,   ///< 待分派
    kOverdue,      ///< 超时工单
};

/// Stable lower-case name ("query", "on_duty"): for logs and the intent corpus.
std::string_view CommandName(CommandKind kind);

/// Commands only IT staff (engineer, lead, admin) may use.
bool IsEngineerCommand(CommandKind kind);

struct Command {
    CommandKind kind = CommandKind::kNone;
    std::string ticket_no;        ///< upper-case "IT20261127-0001" when the command names one
    std::string arg;              ///< rest of the line, as typed (note text, name, comment)
    int score = 0;                ///< rating 1..5 for kRate (0 when missing or out of range)
    bool bad_score = false;       ///< kRate: a score was given but is not a whole 1..5
    bool missing_ticket = false;  ///< the command needs a ticket number and has none
};

/// Recognises a command; kNone for free text.
Command ParseCommand(std::string_view text);

/// Finds a ticket number at the start of `s` (after folding); returns it upper-cased.
std::optional<std::string> LeadingTicketNo(std::string_view s);

/// "1".."9" (also full-width, with spaces) → the number; nullopt otherwise.
std::optional<int> ParseChoice(std::string_view text);

/// A rating given alone ("5", "５分", "4星", "五星"): 1..5; 0 for a number out of range or with
/// decimals ("4.5"); nullopt when the text is not a bare rating.
std::optional<int> ParseBareScore(std::string_view text);

}  // namespace wedesk::bot
