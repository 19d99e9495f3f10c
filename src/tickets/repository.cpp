// The tickets tables: reading tickets, their events, attachments and pauses; writing events,
// statuses and pauses inside a Step; ticket numbers.
#include "tickets/internal.hpp"

#include <functional>
#include <stdexcept>

#include "wedesk/common/text.hpp"

namespace wedesk::tickets {

using namespace detail;

namespace detail {

namespace {
constexpr const char* kCols =
    "t.id, t.no, t.requester, t.category, t.group_name, t.description, t.priority, t.status, "
    "t.assignee, t.created_at, t.updated_at, t.assigned_at, t.accepted_at, t.resolved_at, "
    "t.closed_at, t.paused_since, t.response_due, t.resolve_due, t.resolution, t.rating, "
    "t.rating_comment, COALESCE(NULLIF(u.name, ''), t.assignee)";
constexpr const char* kFrom = " FROM tickets t LEFT JOIN users u ON u.userid = t.assignee ";
}  // namespace

Ticket ReadTicket(store::Query& q) {
    Ticket t;
    t.id = q.getColumn(0).getInt64();
    t.no = q.getColumn(1).getString();
    t.requester = q.getColumn(2).getString();
    t.category = q.getColumn(3).getString();
    t.group = q.getColumn(4).getString();
    t.description = q.getColumn(5).getString();
    t.priority = q.getColumn(6).getString();
    t.status = ParseStatus(q.getColumn(7).getString()).value_or(Status::kNew);
    t.assignee = q.getColumn(8).getString();
    t.created_at = q.getColumn(9).getInt64();
    t.updated_at = q.getColumn(10).getInt64();
    t.assigned_at = q.getColumn(11).getInt64();
    t.accepted_at = q.getColumn(12).getInt64();
    t.resolved_at = q.getColumn(13).getInt64();
    t.closed_at = q.getColumn(14).getInt64();
    t.paused = q.getColumn(15).getInt64() != 0;
    t.response_due = q.getColumn(16).getInt64();
    t.resolve_due = q.getColumn(17).getInt64();
    t.resolution = q.getColumn(18).getString();
    if (!q.getColumn(19).isNull()) {
        t.rating = q.getColumn(19).getInt();
    }
    t.rating_comment = q.getColumn(20).getString();
    t.assignee_name = q.getColumn(21).getString();
    return t;
}

void LoadAttachments(store::Conn& conn, Ticket& t) {
    store::Query q(conn,
                   "SELECT id, media_id, media_type, file_name, added_by, added_at, state, path, "
                   "size_bytes, sha256, content_type, error FROM ticket_attachments "
                   "WHERE ticket_id = ? ORDER BY id");
    q.bind(1, t.id);
    while (q.executeStep()) {
        Attachment a;
        a.id = q.getColumn(0).getInt64();
        a.media_id = q.getColumn(1).getString();
        a.type = q.getColumn(2).getString();
        a.file_name = q.getColumn(3).getString();
        a.added_by = q.getColumn(4).getString();
        a.added_at = q.getColumn(5).getInt64();
        a.state = q.getColumn(6).getString();
        a.path = q.getColumn(7).getString();
        a.size_bytes = q.getColumn(8).getInt64();
        a.sha256 = q.getColumn(9).getString();
        a.content_type = q.getColumn(10).getString();
        a.error = q.getColumn(11).getString();
        t.attachments.push_back(std::move(a));
    }
}

bool InsertAttachment(Step& s, std::int64_t ticket_id, const std::string& by,
                      const NewAttachment& a) {
    const std::string media = text::TruncateUtf8(text::Trim(a.media_id), kMaxIdBytes * 2);
    if (media.empty()) {
        return false;
    }
    const std::string type =
        a.type == "image" || a.type == "voice" || a.type == "video" ? a.type : "file";
    std::string name = a.file_name;
    if (const auto slash = name.find_last_of("/\\"); slash != std::string::npos) {
        name = name.substr(slash + 1);
    }
    store::Query q(
        s.conn,
        "INSERT INTO ticket_attachments(ticket_id, media_id, media_type, file_name, "
        "added_by, added_at, state, next_try_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)");
    q.bind(1, ticket_id);
    q.bind(2, media);
    q.bind(3, type);
    q.bind(4, text::TruncateUtf8(text::Trim(name), 200));
    q.bind(5, by);
    q.bind(6, s.now);
    q.bind(7, s.now);
    q.exec();
    return true;
}

std::vector<Ticket> Query(store::Conn& conn, const Env& env, const std::string& where,
                          const std::function<void(store::Query&)>& bind) {
    store::Query q(conn, std::string("SELECT ") + kCols + kFrom + where);
    bind(q);
    std::vector<Ticket> out;
    while (q.executeStep()) {
        out.push_back(ReadTicket(q));
    }
    for (auto& t : out) {
        t.category_name = env.CategoryName(t.category);
        LoadAttachments(conn, t);
    }
    return out;
}

std::optional<Ticket> LoadByNo(store::Conn& conn, const Env& env, const std::string& no) {
    auto v = Query(conn, env, "WHERE t.no = ?", [&](store::Query& q) { q.bind(1, no); });
    if (v.empty()) {
        return std::nullopt;
    }
    return std::move(v.front());
}

Ticket LoadById(store::Conn& conn, const Env& env, std::int64_t id) {
    auto v = Query(conn, env, "WHERE t.id = ?", [&](store::Query& q) { q.bind(1, id); });
    if (v.empty()) {
        throw std::logic_error("ticket vanished inside its transaction");
    }
    return std::move(v.front());
}

std::vector<TicketEvent> LoadEvents(store::Conn& conn, std::int64_t id, bool internal) {
    store::Query q(conn,
                   "SELECT e.at, e.actor, COALESCE(NULLIF(u.name, ''), e.actor), e.kind, "
                   "e.detail FROM ticket_events e LEFT JOIN users u ON u.userid = e.actor "
                   "WHERE e.ticket_id = ? ORDER BY e.id");
    q.bind(1, id);
    std::vector<TicketEvent> out;
    while (q.executeStep()) {
        TicketEvent e{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                      q.getColumn(2).getString(), q.getColumn(3).getString(),
                      q.getColumn(4).getString()};
        if (!internal && (e.kind == "note" || e.kind.rfind("sla_", 0) == 0)) {
            continue;
        }
        if (e.actor == "system") {
            e.actor_name = "系统";
        }
        out.push_back(std::move(e));
    }
    return out;
}

void AddEvent(Step& s, std::int64_t id, const std::string& actor, const std::string& kind,
              const std::string& detail) {
    store::Query q(
        s.conn,
        "INSERT INTO ticket_events(ticket_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, id);
    q.bind(2, s.now);
    q.bind(3, actor);
    q.bind(4, kind);
    q.bind(5, detail);
    q.exec();
}

void SetStatus(Step& s, std::int64_t id, Status st) {
    store::Query q(s.conn, "UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?");
    q.bind(1, std::string(StatusKey(st)));
    q.bind(2, s.now);
    q.bind(3, id);
    q.exec();
}

void ExecId(Step& s, const std::string& sql, std::int64_t id) {
    store::Query q(s.conn, sql);
    q.bind(1, id);
    q.exec();
}

void Exec(Step& s, const std::string& sql, std::int64_t id) {
    store::Query q(s.conn, sql);
    q.bind(1, s.now);
    q.bind(2, id);
    q.exec();
}

std::vector<sla::Interval> LoadPauses(store::Conn& conn, std::int64_t id) {
    store::Query q(conn, "SELECT start_at, end_at FROM ticket_pauses WHERE ticket_id = ?");
    q.bind(1, id);
    std::vector<sla::Interval> out;
    while (q.executeStep()) {
        sla::Interval iv{q.getColumn(0).getInt64(), std::nullopt};
        if (!q.getColumn(1).isNull()) {
            iv.end = q.getColumn(1).getInt64();
        }
        out.push_back(iv);
    }
    return out;
}

void UpdateResolveDue(Step& s, const Env& env, const Ticket& t) {
    const auto target = env.Target(t.priority);
    if (target.resolve_min <= 0) {
        return;
    }
    const auto pauses = LoadPauses(s.conn, t.id);
    const auto mode = env.Mode(t.priority);
    const std::int64_t full = std::int64_t{target.resolve_min} * 60;
    const auto due = sla::DueAt(mode, env.cal, t.created_at, full, pauses);
    const auto warn = sla::DueAt(mode, env.cal, t.created_at, full * 8 / 10, pauses);
    if (!due || !warn) {
        return;  // still paused
    }
    store::Query q(s.conn, "UPDATE tickets SET resolve_due = ?, resolve_warn_at = ? WHERE id = ?");
    q.bind(1, *due);
    q.bind(2, *warn);
    q.bind(3, t.id);
    q.exec();
}

void OpenPause(Step& s, std::int64_t id) {
    store::Query q(s.conn, "INSERT INTO ticket_pauses(ticket_id, start_at) VALUES (?, ?)");
    q.bind(1, id);
    q.bind(2, s.now);
    q.exec();
    Exec(s, "UPDATE tickets SET paused_since = ?1 WHERE id = ?2", id);
}

void ClosePause(Step& s, const Env& env, const Ticket& t) {
    Exec(s, "UPDATE ticket_pauses SET end_at = ?1 WHERE ticket_id = ?2 AND end_at IS NULL", t.id);
    Exec(s, "UPDATE tickets SET paused_since = 0, updated_at = ?1 WHERE id = ?2", t.id);
    UpdateResolveDue(s, env, t);
}

std::int64_t NextSequence(store::Conn& conn, const std::string& day) {
    store::Query q(conn,
                   "INSERT INTO ticket_seq(day, last) VALUES (?, 1) "
                   "ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last");
    q.bind(1, day);
    std::int64_t n = 0;
    if (q.executeStep()) {
        n = q.getColumn(0).getInt64();
    }
    while (q.executeStep()) {
    }
    return n;
}

std::string Names(store::Conn& conn, const std::string& userid) {
    return userid.empty() ? "无" : dispatch::NameOf(conn, userid);
}

std::vector<std::int64_t> Ids(store::Conn& conn, const std::string& sql, std::int64_t now) {
    store::Query q(conn, sql);
    if (q.getBindParameterCount() > 0) {
        q.bind(1, now);
    }
    std::vector<std::int64_t> out;
    while (q.executeStep()) {
        out.push_back(q.getColumn(0).getInt64());
    }
    return out;
}

Relation RelationOf(store::Conn& conn, const Ticket& t, const std::string& user) {
    Relation r;
    r.requester = !user.empty() && user == t.requester;
    r.assignee = !user.empty() && user == t.assignee;
    auto p = dispatch::LoadPerson(conn, user);
    if (!p) {
        return r;
    }
    r.admin = p->role == Role::kAdmin;
    r.staff = IsStaff(p->role);
    const bool in_group = !t.group.empty() && dispatch::InGroup(conn, user, t.group);
    r.lead = p->role == Role::kLead && in_group;
    r.member = TakesTickets(p->role) && in_group;
    return r;
}

}  // namespace detail

}  // namespace wedesk::tickets
