#pragma once
/// Chat command recognition: turns what a person typed into a Command. Tolerates full-width
/// digits and punctuation, missing or extra spaces ("查询IT20261127-0001", "评价 IT… ５"),
/// ASCII case, and English aliases. Pure functions, no state.

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
    kResetPassword,
    kUnlock,
    kCancel,  ///< leave the current flow
    kAccept,
    kNote,
    kTransfer,
    kWait,
    kResolve,
    kMyTasks,
    kOnDuty,
    kOffDuty,
};

struct Command {
    CommandKind kind = CommandKind::kNone;
    std::string ticket_no;        ///< upper-case "IT20261127-0001" when the command names one
    std::string arg;              ///< rest of the line (note text, userid, comment)
    int score = 0;                ///< rating 1..5 for kRate (0 when missing or out of range)
    bool missing_ticket = false;  ///< the command needs a ticket number and has none
};

/// Recognises a command; kNone for free text.
Command ParseCommand(std::string_view text);

/// Finds a ticket number at the start of `s` (after folding); returns it upper-cased.
std::optional<std::string> LeadingTicketNo(std::string_view s);

/// "1".."9" (also full-width, with spaces) → the number; nullopt otherwise.
std::optional<int> ParseChoice(std::string_view text);

}  // namespace wedesk::bot
