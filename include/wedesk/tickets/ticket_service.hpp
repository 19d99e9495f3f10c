#pragma once
/// TicketService: the IT ticket domain the chat bot and the admin CLI call. Numbering, the
/// status machine, permissions, dispatch to on-duty engineers, the timeline, notifications and
/// the SLA timer (Tick). Every change is one transaction: the ticket row, its timeline event and
/// its notifications (Notifier writes into the outbox on the same connection) commit together.
/// If the calling thread already holds a write transaction (the bot's step), the service joins
/// it (inside a SAVEPOINT, so a refused step leaves nothing behind).
///
/// Failures are Result errors whose `message` is a short Chinese sentence fit to show the user.
/// Codes: not_found (unknown number or not yours), forbidden, invalid, bad_state,
/// already_accepted, already_rated, too_soon, expired, db.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/tickets/sla.hpp"

namespace wedesk::tickets {

enum class Status { kNew, kAssigned, kInProgress, kWaiting, kResolved, kClosed, kCancelled };

/// Stored key: "new", "assigned", "in_progress", "waiting", "resolved", "closed", "cancelled".
std::string_view StatusKey(Status s);
/// Words for users: 待分派/已分派/处理中/等待您回复/已解决/已关闭/已取消.
std::string_view StatusWords(Status s);
/// The status as the employee who reported it sees it: 待处理, 处理中, 等待您回复, 已解决,
/// 已关闭, 已取消 (no dispatch jargon).
std::string_view EmployeeStatusWords(Status s);
/// Who a ticket is shown to: an employee sees status words and urgency, not P1/P2 or 已分派.
enum class Audience { kEmployee, kStaff };
std::optional<Status> ParseStatus(std::string_view key);
/// new, assigned, in_progress or waiting.
bool IsOpen(Status s);

/// A file an employee (or engineer) sent for a ticket. WeCom's media_id lives 3 days: the file
/// is fetched at once (Attachments, attachments.hpp) and kept on disk.
struct Attachment {
    std::int64_t id = 0;
    std::string media_id;
    std::string type;       ///< image | voice | video | file
    std::string file_name;  ///< as sent (files), or made up from the type ("图片-3.jpg")
    std::string added_by;
    std::int64_t added_at = 0;
    std::string state;  ///< pending | stored | failed | purged
    std::string path;   ///< stored: relative to tickets.attachments.dir
    std::int64_t size_bytes = 0;
    std::string sha256;  ///< hex, of the stored bytes
    std::string content_type;
    std::string error;  ///< failed: why
};

/// A file to attach: the media_id of an inbound image/voice/video/file message.
struct NewAttachment {
    NewAttachment() = default;
    NewAttachment(std::string id, std::string t = "image", std::string name = "")
        : media_id(std::move(id)), type(std::move(t)), file_name(std::move(name)) {}
    std::string media_id;
    std::string type = "image";
    std::string file_name;  ///< FileName of a file message ("" for others)
};

/// Longest description kept (bytes of UTF-8, about 4,000 Chinese characters) and longest
/// note, message or comment; longer text is cut at a character boundary (the bot says so).
inline constexpr std::size_t kMaxDescriptionBytes = 12000;
inline constexpr std::size_t kMaxMessageBytes = 2000;

/// One timeline entry. kind: created, assigned, redispatched, accepted, transferred, note,
/// waiting, replied, info (the requester added to it), message (the engineer wrote to the
/// requester), resolved, reopened, cancelled, urged, rated, attachment, closed,
/// sla_warning, sla_breach.
struct TicketEvent {
    std::int64_t at = 0;
    std::string actor;       ///< userid or "system"
    std::string actor_name;  ///< display name (the userid when unknown)
    std::string kind;
    std::string detail;
};

struct Ticket {
    std::int64_t id = 0;
    std::string no;
    std::string requester;
    std::string category;       ///< key
    std::string category_name;  ///< from config, else the key
    std::string group;          ///< dispatch group, "" if none handles the category
    std::string description;
    std::string priority;  ///< "P1" | "P2" | "P3"
    Status status = Status::kNew;
    std::string assignee;       ///< "" while unassigned
    std::string assignee_name;  ///< display name of the assignee
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t assigned_at = 0;
    std::int64_t accepted_at = 0;  ///< first accept
    std::int64_t resolved_at = 0;
    std::int64_t closed_at = 0;
    std::int64_t response_due = 0;  ///< 0: no target
    std::int64_t resolve_due = 0;   ///< 0: no target; stale while paused
    bool paused = false;            ///< resolution clock stopped (waiting for the employee)
    std::string resolution;
    std::optional<int> rating;
    std::string rating_comment;
    std::vector<Attachment> attachments;
};

struct TicketDetail {
    Ticket ticket;
    /// Oldest first. A viewer who is only the requester does not see internal notes and SLA
    /// escalations.
    std::vector<TicketEvent> events;
};

/// What one Tick() did.
struct TickReport {
    int dispatched = 0;    ///< waiting-for-dispatch tickets that found someone
    int redispatched = 0;  ///< accept timeouts moved on
    int response_warnings = 0;
    int response_breaches = 0;
    int resolve_warnings = 0;
    int resolve_breaches = 0;
    int auto_closed = 0;
};

struct PrioritySla {
    int response_met = 0;
    int response_breached = 0;
    int resolve_met = 0;
    int resolve_breached = 0;
};

struct EngineerLoad {
    std::string userid;
    std::string name;
    bool on_duty = false;
    int open = 0;  ///< assigned + in_progress + waiting
};

struct TicketStats {
    std::map<std::string, int> by_status;    ///< every status key, 0 included
    std::map<std::string, PrioritySla> sla;  ///< "P1".."P3"
    int accepted_count = 0;
    double mean_accept_min = 0;  ///< created → first accept, calendar minutes
    int resolved_count = 0;
    double mean_resolve_min = 0;  ///< created → resolved, calendar minutes
    int csat_count = 0;
    double csat_avg = 0;
    std::vector<EngineerLoad> load;  ///< engineers, leads and anyone holding open tickets
};

nlohmann::json ToJson(const Ticket& t);
nlohmann::json ToJson(const TicketEvent& e);
nlohmann::json ToJson(const TicketDetail& d);
nlohmann::json ToJson(const TicketStats& s);
/// Plain-text rendering of TicketStats for `wedesk admin stats` without --json.
std::string FormatStats(const TicketStats& s);
/// Chinese multi-line rendering of a ticket and its timeline for `查询 NO`.
std::string FormatDetail(const TicketDetail& d, std::int64_t utc_offset_s,
                         Audience audience = Audience::kStaff);
/// One line per ticket: "IT20261127-0001 处理中 打印机卡纸…", for 我的工单 / 我的任务.
std::string FormatList(const std::vector<Ticket>& tickets, Audience audience = Audience::kStaff);

class TicketService final {
public:
    /// Throws std::invalid_argument when business_hours or sla_clock in `cfg` are malformed
    /// (a fatal start-up problem; config/ validates them first).
    TicketService(store::Database& db, const config::TicketsConfig& cfg, Notifier& notifier,
                  Clock& clock);

    // --- employee ---
    /// New ticket: numbered, dispatched (assignee gets an accept/transfer card).
    /// `priority` "P1".."P3"; `attachments` are fetched after the commit (Attachments).
    Result<Ticket> Create(const std::string& requester, const std::string& category_key,
                          const std::string& description, const std::string& priority,
                          const std::vector<NewAttachment>& attachments = {});
    /// Details and timeline. Visible to the requester, the assignee, leads of the ticket's
    /// group and admins; anyone else gets not_found exactly like an unknown number.
    Result<TicketDetail> Get(const std::string& no, const std::string& viewer);
    /// The requester's open tickets and those finished within 30 days, newest first (≤ 20).
    Result<std::vector<Ticket>> ListMine(const std::string& requester);
    /// Records an urge and notifies the assignee (or the group lead); once per 30 minutes.
    Result<Ticket> Urge(const std::string& no, const std::string& requester);
    /// Own ticket, not yet resolved.
    Result<Ticket> Cancel(const std::string& no, const std::string& requester);
    /// Own ticket, resolved within auto_close_days: back to in_progress with its engineer.
    Result<Ticket> Reopen(const std::string& no, const std::string& requester,
                          const std::string& reason = "");
    /// Own resolved or closed ticket, once; 1..5. Rating a resolved ticket closes it.
    Result<Ticket> Rate(const std::string& no, const std::string& requester, int score,
                        const std::string& comment = "");
    /// 补充: the requester adds text to an open ticket (a timeline entry everyone on the ticket
    /// sees); the assignee (or, unassigned, the group's leads) is told. On a ticket waiting for
    /// the requester it is their answer (as EmployeeReplied).
    Result<Ticket> AddInfo(const std::string& no, const std::string& requester,
                           const std::string& text);
    /// Attaches a file (requester, assignee, lead or admin; ticket not closed/cancelled); it
    /// is fetched after the commit and then forwarded to the assignee (Attachments). From the
    /// requester on a ticket waiting for them, it is their answer: the ticket resumes as with
    /// EmployeeReplied.
    Result<Ticket> AddAttachment(const std::string& no, const std::string& by,
                                 const NewAttachment& attachment);
    /// 附件 NO: sends the ticket's stored files to `viewer` (anyone who may view the ticket) as
    /// WeCom image/voice/file messages; returns how many. not_found when there are none.
    Result<int> SendAttachments(const std::string& no, const std::string& viewer);
    /// The requester answered a ticket that waits for them: resumes the resolution clock and
    /// forwards `text` to the assignee. `no` empty: their most recent waiting ticket.
    Result<Ticket> EmployeeReplied(const std::string& requester, const std::string& no,
                                   const std::string& text);
    /// The requester's tickets in `status`, most recently updated first (≤ 20): which ticket
    /// a bare answer or rating is for.
    Result<std::vector<Ticket>> ListMineIn(const std::string& requester, Status status);
    /// The requester's most recent ticket waiting for their reply, if any (for the bot).
    Result<std::optional<Ticket>> FindWaiting(const std::string& requester);

    // --- engineer ---
    /// Takes the ticket: locked to `engineer` from now on; a second accept is refused
    /// (already_accepted).
    Result<Ticket> Accept(const std::string& no, const std::string& engineer);
    /// Internal note on the timeline.
    Result<Ticket> Note(const std::string& no, const std::string& engineer,
                        const std::string& text);
    /// 回复: a public message from the assignee (or the group's lead, or an admin) to the
    /// requester, kept in the timeline; 备注 (Note) stays internal.
    Result<Ticket> ReplyToRequester(const std::string& no, const std::string& engineer,
                                    const std::string& text);
    /// Hands the ticket to `to_userid` (engineer, lead or admin), who must accept it. An
    /// engineer may hand it only to a colleague on duty in the ticket's group; a lead or an
    /// admin to anyone on the IT staff. `reason` goes into the timeline.
    Result<Ticket> Transfer(const std::string& no, const std::string& from,
                            const std::string& to_userid, const std::string& reason = "");
    /// Waits for the employee: resolution clock pauses; the employee is asked `text`.
    Result<Ticket> Wait(const std::string& no, const std::string& engineer,
                        const std::string& text);
    /// Resolved; the employee is asked to rate ("回复 评价 NO 1-5").
    Result<Ticket> Resolve(const std::string& no, const std::string& engineer,
                           const std::string& text = "");
    /// The engineer's open tickets, most urgent first.
    Result<std::vector<Ticket>> MyTasks(const std::string& engineer);
    /// 上班 / 下班: engineers, leads and admins only.
    Result<void> SetDuty(const std::string& userid, bool on_duty);
    /// A lead's view of his groups (an admin's: all): open tickets (团队工单), tickets nobody
    /// could take yet (待分派), or overdue ones — SLA breached or an accept timeout passed
    /// (超时工单). At most 30, most urgent first. Error "forbidden" for anyone else.
    enum class Queue { kOpen, kUnassigned, kOverdue };
    Result<std::vector<Ticket>> TeamQueue(const std::string& lead, Queue queue);
    /// Who can help now (for 转人工): names of the IT staff on duty; when nobody is, the next
    /// business-hours opening (`next_open`, 0 when there is none in the calendar).
    struct Availability {
        std::vector<std::string> on_duty;
        bool business_hours = false;
        std::int64_t next_open = 0;
    };
    Result<Availability> WhoIsAvailable();

    // --- background and admin ---
    /// Dispatches waiting tickets, re-dispatches accept timeouts (telling the lead), sends SLA
    /// warnings (80 %) and breach escalations once each, closes resolved tickets after
    /// auto_close_days. Call every minute or so from one thread.
    Result<TickReport> Tick();
    Result<TicketStats> Stats();
    /// Admin view (no permission check): all tickets, newest first, optionally one status.
    Result<std::vector<Ticket>> AdminList(std::optional<Status> status = std::nullopt);
    Result<TicketDetail> AdminGet(const std::string& no);

    std::int64_t utc_offset_s() const { return calendar_.utc_offset_s; }

private:
    store::Database& db_;
    const config::TicketsConfig& cfg_;
    Notifier& notifier_;
    Clock& clock_;
    sla::Calendar calendar_;
    std::map<std::string, sla::ClockMode> modes_;  ///< per priority
};

}  // namespace wedesk::tickets
