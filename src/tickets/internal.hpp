#pragma once
// What the parts of TicketService share (not a public interface): limits, the configuration
// view (Env), how a person relates to a ticket, the ticket repository (SQL on the tickets
// tables, repository.cpp), user-facing text (text.cpp) and assignment (lifecycle.cpp). The
// service itself is split by concern: lifecycle.cpp (employee and engineer actions),
// timers.cpp (Tick), stats.cpp (statistics and admin views).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tickets/dispatch.hpp"
#include "tickets/step.hpp"
#include "wedesk/common/card.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/store/sql.hpp"
#include "wedesk/tickets/sla.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::tickets::detail {

inline constexpr std::int64_t kUrgeIntervalS = 30 * 60;
inline constexpr std::int64_t kRecentS = 30 * 86400;
inline constexpr std::size_t kMaxTextBytes = kMaxMessageBytes;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::array<Status, 7> kAllStatuses = {
    Status::kNew,      Status::kAssigned, Status::kInProgress, Status::kWaiting,
    Status::kResolved, Status::kClosed,   Status::kCancelled};

/// Everything a helper needs from the service's configuration.
struct Env {
    const config::TicketsConfig& cfg;
    const sla::Calendar& cal;
    const std::map<std::string, sla::ClockMode>& modes;

    sla::ClockMode Mode(const std::string& priority) const {
        auto it = modes.find(priority);
        return it == modes.end() ? sla::ClockMode::kBusiness : it->second;
    }
    config::SlaTarget Target(const std::string& priority) const {
        auto it = cfg.sla.find(priority);
        return it == cfg.sla.end() ? config::SlaTarget{} : it->second;
    }
    std::string CategoryName(const std::string& key) const {
        for (const auto& c : cfg.categories) {
            if (c.key == key) {
                return c.name;
            }
        }
        return key;
    }
    std::string GroupFor(const std::string& category) const {
        for (const auto& g : cfg.groups) {
            if (std::find(g.categories.begin(), g.categories.end(), category) !=
                g.categories.end()) {
                return g.name;
            }
        }
        return "";
    }
};

/// How `user` stands to ticket `t`.
struct Relation {
    bool requester = false;
    bool assignee = false;
    bool lead = false;  ///< lead of the ticket's group
    bool admin = false;
    bool member = false;  ///< engineer or lead in the ticket's group
    bool staff = false;   ///< role engineer, lead or admin
    bool CanView() const { return requester || assignee || lead || admin; }
    bool Supervises() const { return assignee || lead || admin; }
};

// --- user-facing text (text.cpp) ---------------------------------------------------------------

std::string Upper(std::string s);

std::string NormNo(const std::string& no);

std::string NormUser(const std::string& userid);

/// Trimmed user text, cut at kMaxTextBytes; invalid UTF-8 is dropped to "".
/// Trimmed and cut to `max_bytes`; "" for text that is not valid UTF-8.
std::string CleanText(const std::string& s, std::size_t max_bytes = kMaxTextBytes);

std::string Short(const std::string& s, std::size_t bytes = 60);

std::string PriorityWords(const std::string& p);

Error NotFound(const std::string& no);

/// Refusal for someone who may not do this: not_found unless they can see the ticket.
Error Refuse(const Relation& r, const std::string& no, const std::string& why);

Error StateError(const Ticket& t, const std::string& what);

/// A ticket's cards are numbered: each assignment sends a new one (tickets.card_seq).
std::string CardTaskId(const std::string& no, std::int64_t seq);

/// The engineer's dispatch card: what the ticket is, 接单 and 转派 (the bot handles the clicks).
Card DispatchCard(store::Conn& conn, const Ticket& t, std::int64_t seq, const std::string& title);
/// The card the requester gets when his ticket is resolved: the resolution, five rating buttons
/// (ticket_rate:NO:1..5) and 还没解决 (ticket_reopen:NO). Its id is "r-NO-<round>", round
/// counting the ticket's resolutions (a reopened ticket is resolved again).
Card ResolvedCard(const Ticket& t, const std::string& resolution, std::int64_t round);

// --- the tickets tables (repository.cpp) -------------------------------------------------------

Ticket ReadTicket(store::Query& q);

void LoadAttachments(store::Conn& conn, Ticket& t);
/// Inserts an attachment to fetch (state pending). The type is one of image, voice, video,
/// file (anything else is kept as file); the name loses any directory part. False (nothing
/// inserted) for an empty media_id.
bool InsertAttachment(Step& s, std::int64_t ticket_id, const std::string& by,
                      const NewAttachment& a);

std::vector<Ticket> Query(store::Conn& conn, const Env& env, const std::string& where,
                          const std::function<void(store::Query&)>& bind);

std::optional<Ticket> LoadByNo(store::Conn& conn, const Env& env, const std::string& no);

Ticket LoadById(store::Conn& conn, const Env& env, std::int64_t id);

std::vector<TicketEvent> LoadEvents(store::Conn& conn, std::int64_t id, bool internal);

void AddEvent(Step& s, std::int64_t id, const std::string& actor, const std::string& kind,
              const std::string& detail = "");

void SetStatus(Step& s, std::int64_t id, Status st);

/// Runs `sql` with ?1 bound to the ticket id.
void ExecId(Step& s, const std::string& sql, std::int64_t id);

/// Runs `sql` with ?1 bound to now and ?2 to the ticket id.
void Exec(Step& s, const std::string& sql, std::int64_t id);

std::vector<sla::Interval> LoadPauses(store::Conn& conn, std::int64_t id);

/// Recomputes the resolution due and warning instants from the pauses so far.
void UpdateResolveDue(Step& s, const Env& env, const Ticket& t);

void OpenPause(Step& s, std::int64_t id);

void ClosePause(Step& s, const Env& env, const Ticket& t);

std::int64_t NextSequence(store::Conn& conn, const std::string& day);

std::string Names(store::Conn& conn, const std::string& userid);

std::vector<std::int64_t> Ids(store::Conn& conn, const std::string& sql, std::int64_t now);

Relation RelationOf(store::Conn& conn, const Ticket& t, const std::string& user);

// --- assignment (lifecycle.cpp) ----------------------------------------------------------------

/// Records that `userid` was just given a ticket (dispatch's fairness: least recently assigned).
/// The users table is the store's: its repository writes it, inside this step's transaction.
void MarkAssigned(Step& s, const std::string& userid);

/// Gives `t` to `assignee` (status assigned, accept timer restarts) and sends them the card.
/// The number of the ticket's latest dispatch card (its task id is CardTaskId(no, seq)).
std::int64_t CardSeq(Step& s, std::int64_t ticket_id);
void Assign(Step& s, const Ticket& t, const std::string& assignee, const std::string& actor,
            const std::string& kind, const std::string& detail, const std::string& title);

/// The common start of an action on one ticket by its number: one step that loads the ticket
/// (unknown numbers answer NotFound), works out how `who` relates to it, and hands both to `f`,
/// which checks the permission its action needs and does it.
template <class F>
Result<Ticket> OnTicket(store::Database& db, Notifier& notifier, std::int64_t now, const Env& env,
                        const std::string& n, const std::string& who, F&& f) {
    return RunStep<Ticket>(db, notifier, now, [&](Step& s) -> Result<Ticket> {
        auto t = LoadByNo(s.conn, env, n);
        if (!t) {
            return NotFound(n);
        }
        const Relation rel = RelationOf(s.conn, *t, who);
        return f(s, *t, rel);
    });
}

}  // namespace wedesk::tickets::detail
