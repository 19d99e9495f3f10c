#include "wedesk/tickets/ticket_service.hpp"
#include "wedesk/store/sql.hpp"
#include "wedesk/store/user_repository.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <stdexcept>

#include "tickets/dispatch.hpp"
#include "tickets/step.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::tickets {

namespace {

constexpr std::int64_t kUrgeIntervalS = 30 * 60;
constexpr std::int64_t kRecentS = 30 * 86400;
constexpr std::size_t kMaxTextBytes = 2000;
constexpr std::size_t kMaxIdBytes = 128;

constexpr std::array<Status, 7> kAllStatuses = {
    Status::kNew,      Status::kAssigned, Status::kInProgress, Status::kWaiting,
    Status::kResolved, Status::kClosed,   Status::kCancelled};

constexpr const char* kCols =
    "t.id, t.no, t.requester, t.category, t.group_name, t.description, t.priority, t.status, "
    "t.assignee, t.created_at, t.updated_at, t.assigned_at, t.accepted_at, t.resolved_at, "
    "t.closed_at, t.paused_since, t.response_due, t.resolve_due, t.resolution, t.rating, "
    "t.rating_comment, COALESCE(NULLIF(u.name, ''), t.assignee)";
constexpr const char* kFrom = " FROM tickets t LEFT JOIN users u ON u.userid = t.assignee ";

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

/// Trimmed user text, cut at kMaxTextBytes; invalid UTF-8 is dropped to "".
std::string CleanText(const std::string& s) {
    if (!text::IsValidUtf8(s)) {
        return "";
    }
    return text::TruncateUtf8(text::Trim(s), kMaxTextBytes);
}

std::string Short(const std::string& s, std::size_t bytes = 60) {
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
    return Fail("not_found", "没有找到工单 " + Short(no, 40) + "，请检查编号。");
}

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
                   "SELECT media_id, media_type, added_by, added_at FROM ticket_attachments "
                   "WHERE ticket_id = ? ORDER BY id");
    q.bind(1, t.id);
    while (q.executeStep()) {
        t.attachments.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                                 q.getColumn(2).getString(), q.getColumn(3).getInt64()});
    }
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
              const std::string& detail = "") {
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

/// Runs `sql` with ?1 bound to the ticket id.
void ExecId(Step& s, const std::string& sql, std::int64_t id) {
    store::Query q(s.conn, sql);
    q.bind(1, id);
    q.exec();
}

/// Runs `sql` with ?1 bound to now and ?2 to the ticket id.
void Exec(Step& s, const std::string& sql, std::int64_t id) {
    store::Query q(s.conn, sql);
    q.bind(1, s.now);
    q.bind(2, id);
    q.exec();
}

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

/// Refusal for someone who may not do this: not_found unless they can see the ticket.
Error Refuse(const Relation& r, const std::string& no, const std::string& why) {
    if (!r.CanView()) {
        return NotFound(no);
    }
    return Fail("forbidden", why);
}

Error StateError(const Ticket& t, const std::string& what) {
    return Fail("bad_state",
                "工单 " + t.no + " 当前" + std::string(StatusWords(t.status)) + "，" + what);
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

/// Recomputes the resolution due and warning instants from the pauses so far.
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

/// A ticket's cards are numbered: each assignment sends a new one (tickets.card_seq).
std::string CardTaskId(const std::string& no, std::int64_t seq) {
    return "t-" + no + "-" + std::to_string(seq);
}

/// The engineer's dispatch card: what the ticket is, 接单 and 转派 (the bot handles the clicks).
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

/// Records that `userid` was just given a ticket (dispatch's fairness: least recently assigned).
/// The users table is the store's: its repository writes it, inside this step's transaction.
void MarkAssigned(Step& s, const std::string& userid) {
    store::UserRepository(s.db).TouchAssigned(userid, s.now);
}

/// Gives `t` to `assignee` (status assigned, accept timer restarts) and sends them the card.
void Assign(Step& s, const Ticket& t, const std::string& assignee, const std::string& actor,
            const std::string& kind, const std::string& detail, const std::string& title) {
    std::int64_t seq = 0;
    {
        store::Query q(s.conn,
                       "UPDATE tickets SET assignee = ?, status = 'assigned', assigned_at = ?, "
                       "updated_at = ?, card_seq = card_seq + 1 WHERE id = ? RETURNING card_seq");
        q.bind(1, assignee);
        q.bind(2, s.now);
        q.bind(3, s.now);
        q.bind(4, t.id);
        if (q.executeStep()) {
            seq = q.getColumn(0).getInt64();
        }
        while (q.executeStep()) {
        }
    }
    MarkAssigned(s, assignee);
    AddEvent(s, t.id, actor, kind, detail);
    if (seq > 1) {
        s.RetireCard(CardTaskId(t.no, seq - 1), "已转派");  // its buttons would mislead
    }
    s.SendCard(assignee, DispatchCard(s.conn, t, seq, title));
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

}  // namespace

// ---------------------------------------------------------------------------------------------

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

bool IsOpen(Status s) {
    return s == Status::kNew || s == Status::kAssigned || s == Status::kInProgress ||
           s == Status::kWaiting;
}

TicketService::TicketService(store::Database& db, const config::TicketsConfig& cfg,
                             Notifier& notifier, Clock& clock)
    : db_(db), cfg_(cfg), notifier_(notifier), clock_(clock) {
    auto cal = sla::ParseCalendar(cfg.business_hours);
    if (!cal) {
        throw std::invalid_argument(cal.error().message);
    }
    calendar_ = *cal;
    auto default_mode = sla::ClockMode::kBusiness;
    for (const char* key : {"*", "all", "default"}) {
        if (auto it = cfg.sla_clock.find(key); it != cfg.sla_clock.end()) {
            auto m = sla::ParseClockMode(it->second);
            if (!m) {
                throw std::invalid_argument(m.error().message);
            }
            default_mode = *m;
        }
    }
    for (const char* p : {"P1", "P2", "P3"}) {
        modes_[p] = default_mode;
        if (auto it = cfg.sla_clock.find(p); it != cfg.sla_clock.end()) {
            auto m = sla::ParseClockMode(it->second);
            if (!m) {
                throw std::invalid_argument(m.error().message);
            }
            modes_[p] = *m;
        }
    }
}

// --- employee ---------------------------------------------------------------------------------

Result<Ticket> TicketService::Create(const std::string& requester, const std::string& category_key,
                                     const std::string& description, const std::string& priority,
                                     const std::vector<std::string>& attachments) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(requester);
    const std::string category = text::Trim(category_key);
    const std::string desc = CleanText(description);
    const std::string prio = Upper(text::Trim(priority));
    if (who.empty()) {
        return Fail("invalid", "无法识别报修人。");
    }
    if (category.empty() ||
        (!cfg_.categories.empty() &&
         std::none_of(cfg_.categories.begin(), cfg_.categories.end(),
                      [&](const config::Category& c) { return c.key == category; }))) {
        return Fail("invalid", "请选择一个有效的分类。");
    }
    if (desc.empty()) {
        return Fail("invalid", "请描述一下遇到的问题。");
    }
    if (prio != "P1" && prio != "P2" && prio != "P3") {
        return Fail("invalid", "紧急程度请选择 1 一般、2 紧急 或 3 非常紧急。");
    }
    const std::int64_t now = clock_.NowSeconds();
    return RunStep<Ticket>(db_, notifier_, now, [&](Step& s) -> Result<Ticket> {
        const std::int64_t seq = NextSequence(s.conn, sla::LocalDate(calendar_.utc_offset_s, now));
        char no[48];
        std::snprintf(no, sizeof no, "IT%s-%04lld",
                      sla::LocalDate(calendar_.utc_offset_s, now).c_str(),
                      static_cast<long long>(seq));

        const auto target = env.Target(prio);
        const auto mode = env.Mode(prio);
        const std::int64_t resp = std::int64_t{target.response_min} * 60;
        const std::int64_t reso = std::int64_t{target.resolve_min} * 60;
        auto due = [&](std::int64_t seconds) {
            return seconds > 0 ? sla::AddCounted(mode, calendar_, now, seconds) : 0;
        };
        store::Query ins(
            s.conn,
            "INSERT INTO tickets(no, requester, category, group_name, description, priority, "
            "status, created_at, updated_at, response_warn_at, response_due, resolve_warn_at, "
            "resolve_due) VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?)");
        ins.bind(1, std::string(no));
        ins.bind(2, who);
        ins.bind(3, category);
        ins.bind(4, env.GroupFor(category));
        ins.bind(5, desc);
        ins.bind(6, prio);
        ins.bind(7, now);
        ins.bind(8, now);
        ins.bind(9, resp > 0 ? due(resp * 8 / 10) : 0);
        ins.bind(10, due(resp));
        ins.bind(11, reso > 0 ? due(reso * 8 / 10) : 0);
        ins.bind(12, due(reso));
        ins.exec();
        const std::int64_t id = s.conn.getLastInsertRowid();

        int attached = 0;
        for (const auto& media : attachments) {
            const std::string m = text::Trim(media);
            if (m.empty()) {
                continue;
            }
            store::Query a(s.conn,
                           "INSERT INTO ticket_attachments(ticket_id, media_id, media_type, "
                           "added_by, added_at) VALUES (?, ?, 'image', ?, ?)");
            a.bind(1, id);
            a.bind(2, text::TruncateUtf8(m, kMaxIdBytes * 2));
            a.bind(3, who);
            a.bind(4, now);
            a.exec();
            ++attached;
        }
        std::string detail = env.CategoryName(category) + " · " + prio;
        if (attached > 0) {
            detail += " · 附件 " + std::to_string(attached) + " 个";
        }
        AddEvent(s, id, who, "created", detail);

        Ticket t = LoadById(s.conn, env, id);
        if (auto engineer = dispatch::PickAssignee(s.conn, t.group)) {
            Assign(s, t, *engineer, "system", "assigned", dispatch::NameOf(s.conn, *engineer),
                   "新工单");
            t = LoadById(s.conn, env, id);
        } else {
            log::Get("tickets")->warn("ticket {}: nobody to dispatch to (group '{}')", t.no,
                                      t.group);
        }
        return t;
    });
}

Result<TicketDetail> TicketService::Get(const std::string& no, const std::string& viewer) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    auto& conn = db_.Conn();
    auto t = LoadByNo(conn, env, n);
    if (!t) {
        return NotFound(n);
    }
    const auto rel = RelationOf(conn, *t, NormUser(viewer));
    if (!rel.CanView()) {
        return NotFound(n);
    }
    const bool internal = rel.assignee || rel.lead || rel.admin;
    auto events = LoadEvents(conn, t->id, internal);
    return TicketDetail{std::move(*t), std::move(events)};
}

Result<std::vector<Ticket>> TicketService::ListMine(const std::string& requester) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(requester);
    const std::int64_t since = clock_.NowSeconds() - kRecentS;
    return Query(db_.Conn(), env,
                 "WHERE t.requester = ? AND (t.status IN ('new','assigned','in_progress',"
                 "'waiting') OR t.updated_at >= ?) ORDER BY t.created_at DESC, t.id DESC "
                 "LIMIT 20",
                 [&](store::Query& q) {
                     q.bind(1, who);
                     q.bind(2, since);
                 });
}

Result<Ticket> TicketService::Urge(const std::string& no, const std::string& requester) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.requester) {
                return Refuse(rel, n, "只有报修人可以催办。");
            }
            if (!IsOpen(t.status)) {
                return StateError(t, "无需催办。");
            }
            std::int64_t last = 0;
            {
                store::Query q(s.conn, "SELECT last_urged_at FROM tickets WHERE id = ?");
                q.bind(1, t.id);
                if (q.executeStep()) {
                    last = q.getColumn(0).getInt64();
                }
            }
            if (last > 0 && s.now - last < kUrgeIntervalS) {
                const std::int64_t wait_min = (kUrgeIntervalS - (s.now - last) + 59) / 60;
                return Fail("too_soon", "您刚催办过工单 " + n + "，请 " + std::to_string(wait_min) +
                                            " 分钟后再试。我们正在处理，请稍候。");
            }
            Exec(s, "UPDATE tickets SET last_urged_at = ?1, updated_at = ?1 WHERE id = ?2", t.id);
            AddEvent(s, t.id, who, "urged");
            const auto to = t.assignee.empty() ? dispatch::Escalation(s.conn, t.group)
                                               : std::vector<std::string>{t.assignee};
            for (const auto& u : to) {
                s.Text(u, "报修人催办工单 " + n + "（" + Short(t.description, 45) +
                              "），请尽快处理。");
            }
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::Cancel(const std::string& no, const std::string& requester) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.requester) {
                            return Refuse(rel, n, "只有报修人可以取消工单。");
                        }
                        if (t.status == Status::kResolved) {
                            return StateError(t, "不能取消；问题仍在请回复「重开 " + n + "」。");
                        }
                        if (!IsOpen(t.status)) {
                            return StateError(t, "无需取消。");
                        }
                        if (t.status == Status::kWaiting) {
                            ClosePause(s, env, t);
                        }
                        if (t.status == Status::kAssigned) {
                            // Not accepted yet: the engineer's card still offers 接单.
                            store::Query q(s.conn, "SELECT card_seq FROM tickets WHERE id = ?");
                            q.bind(1, t.id);
                            if (q.executeStep() && q.getColumn(0).getInt64() > 0) {
                                s.RetireCard(CardTaskId(t.no, q.getColumn(0).getInt64()), "已取消");
                            }
                        }
                        SetStatus(s, t.id, Status::kCancelled);
                        Exec(s, "UPDATE tickets SET closed_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "cancelled");
                        s.Text(t.assignee, "工单 " + n + " 已被报修人取消，无需继续处理。");
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<Ticket> TicketService::Reopen(const std::string& no, const std::string& requester,
                                     const std::string& reason) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    const std::string why = CleanText(reason);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.requester) {
                return Refuse(rel, n, "只有报修人可以重开工单。");
            }
            const std::int64_t window = std::int64_t{cfg_.auto_close_days} * 86400;
            const std::string too_late = "工单 " + n + " 已解决超过 " +
                                         std::to_string(cfg_.auto_close_days) +
                                         " 天，不能重开，请新建工单。";
            if (t.status == Status::kClosed) {
                return Fail("expired", too_late);
            }
            if (t.status != Status::kResolved) {
                return StateError(t, "无需重开。");
            }
            if (s.now - t.resolved_at > window) {
                return Fail("expired", too_late);
            }
            // The time between resolution and reopening does not count against the SLA.
            store::Query p(
                s.conn, "INSERT INTO ticket_pauses(ticket_id, start_at, end_at) VALUES (?, ?, ?)");
            p.bind(1, t.id);
            p.bind(2, t.resolved_at);
            p.bind(3, s.now);
            p.exec();
            SetStatus(s, t.id, Status::kInProgress);
            Exec(s, "UPDATE tickets SET resolved_at = 0, updated_at = ?1 WHERE id = ?2", t.id);
            UpdateResolveDue(s, env, t);
            AddEvent(s, t.id, who, "reopened", why);
            const auto to = t.assignee.empty() ? dispatch::Escalation(s.conn, t.group)
                                               : std::vector<std::string>{t.assignee};
            for (const auto& u : to) {
                s.Text(u, "报修人重开了工单 " + n + (why.empty() ? "" : "：" + Short(why, 200)) +
                              "。请继续处理。");
            }
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::Rate(const std::string& no, const std::string& requester, int score,
                                   const std::string& comment) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    const std::string words = CleanText(comment);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.requester) {
                return Refuse(rel, n, "只有报修人可以评价。");
            }
            if (score < 1 || score > 5) {
                return Fail("invalid",
                            "评分请用 1 到 5 的数字（5 最满意），例如：评价 " + n + " 5");
            }
            if (t.status != Status::kResolved && t.status != Status::kClosed) {
                return StateError(t, "解决后再评价吧。");
            }
            if (t.rating) {
                return Fail("already_rated", "工单 " + n + " 已经评价过了，谢谢您的反馈！");
            }
            store::Query q(s.conn,
                           "UPDATE tickets SET rating = ?, rating_comment = ?, updated_at = ? "
                           "WHERE id = ?");
            q.bind(1, score);
            q.bind(2, words);
            q.bind(3, s.now);
            q.bind(4, t.id);
            q.exec();
            AddEvent(s, t.id, who, "rated",
                     std::to_string(score) + " 星" + (words.empty() ? "" : " " + words));
            if (t.status == Status::kResolved) {
                SetStatus(s, t.id, Status::kClosed);
                Exec(s, "UPDATE tickets SET closed_at = ?1 WHERE id = ?2", t.id);
                AddEvent(s, t.id, "system", "closed", "评价后关闭");
            }
            s.Text(t.assignee, "工单 " + n + " 收到 " + std::to_string(score) + " 星评价" +
                                   (words.empty() ? "。" : "：" + Short(words, 200)));
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::AddAttachment(const std::string& no, const std::string& by,
                                            const std::string& media_id, const std::string& type) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(by);
    const std::string media = text::TruncateUtf8(text::Trim(media_id), kMaxIdBytes * 2);
    const std::string kind = type.empty() ? "image" : text::TruncateUtf8(type, 32);
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.CanView()) {
                            return NotFound(n);
                        }
                        if (media.empty()) {
                            return Fail("invalid", "附件无效。");
                        }
                        if (t.status == Status::kClosed || t.status == Status::kCancelled) {
                            return StateError(t, "不能再添加附件。");
                        }
                        store::Query a(
                            s.conn,
                            "INSERT INTO ticket_attachments(ticket_id, media_id, media_type, "
                            "added_by, added_at) VALUES (?, ?, ?, ?, ?)");
                        a.bind(1, t.id);
                        a.bind(2, media);
                        a.bind(3, kind);
                        a.bind(4, who);
                        a.bind(5, s.now);
                        a.exec();
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "attachment", kind);
                        if (rel.requester && t.status == Status::kWaiting) {
                            // The engineer asked for something; a photo can be the answer.
                            ClosePause(s, env, t);
                            SetStatus(s, t.id, Status::kInProgress);
                            AddEvent(s, t.id, who, "replied", "[" + kind + "]");
                            s.Text(t.assignee, "工单 " + t.no + " 报修人补充了附件，已恢复处理。");
                        } else if (rel.requester && !rel.assignee) {
                            s.Text(t.assignee, "报修人为工单 " + n + " 补充了附件。");
                        }
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<Ticket> TicketService::EmployeeReplied(const std::string& requester, const std::string& no,
                                              const std::string& reply) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    const std::string words = CleanText(reply);
    return RunStep<Ticket>(db_, notifier_, clock_.NowSeconds(), [&](Step& s) -> Result<Ticket> {
        std::optional<Ticket> t;
        if (n.empty()) {
            auto v = Query(s.conn, env,
                           "WHERE t.requester = ? AND t.status = 'waiting' ORDER BY t.updated_at "
                           "DESC, t.id DESC LIMIT 1",
                           [&](store::Query& q) { q.bind(1, who); });
            if (v.empty()) {
                return Fail("not_found", "您没有等待回复的工单。");
            }
            t = std::move(v.front());
        } else {
            t = LoadByNo(s.conn, env, n);
            if (!t) {
                return NotFound(n);
            }
            const auto rel = RelationOf(s.conn, *t, who);
            if (!rel.requester) {
                return Refuse(rel, n, "只有报修人可以回复补充信息。");
            }
            if (t->status != Status::kWaiting) {
                return StateError(*t, "不需要您补充信息。");
            }
        }
        ClosePause(s, env, *t);
        SetStatus(s, t->id, Status::kInProgress);
        AddEvent(s, t->id, who, "replied", words);
        s.Text(t->assignee, "工单 " + t->no + " 报修人回复" +
                                (words.empty() ? "了。" : "：" + Short(words, 500)));
        return LoadById(s.conn, env, t->id);
    });
}

Result<std::optional<Ticket>> TicketService::FindWaiting(const std::string& requester) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(requester);
    auto v = Query(db_.Conn(), env,
                   "WHERE t.requester = ? AND t.status = 'waiting' ORDER BY t.updated_at "
                   "DESC, t.id DESC LIMIT 1",
                   [&](store::Query& q) { q.bind(1, who); });
    if (v.empty()) {
        return std::optional<Ticket>{};
    }
    return std::optional<Ticket>{std::move(v.front())};
}

// --- engineer ---------------------------------------------------------------------------------

Result<Ticket> TicketService::Accept(const std::string& no, const std::string& engineer) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(engineer);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            const bool may = rel.staff && (rel.Supervises() || rel.member);
            if (!may) {
                return Refuse(rel, n, "只有工程师可以接单。");
            }
            switch (t.status) {
                case Status::kInProgress:
                case Status::kWaiting:
                    if (rel.assignee) {
                        return Fail("already_accepted", "您已接过工单 " + n + "，正在处理中。");
                    }
                    return Fail("already_accepted",
                                "工单 " + n + " 已由 " + t.assignee_name + " 接单，无需重复接单。");
                case Status::kResolved:
                case Status::kClosed:
                case Status::kCancelled:
                    return StateError(t, "无需接单。");
                case Status::kAssigned:
                    if (!rel.Supervises()) {
                        return Fail("forbidden",
                                    "工单 " + n + " 已分派给 " + t.assignee_name + "，无需处理。");
                    }
                    break;
                case Status::kNew:
                    break;
            }
            store::Query q(s.conn,
                           "UPDATE tickets SET assignee = ?, status = 'in_progress', "
                           "accepted_at = CASE WHEN accepted_at = 0 THEN ? ELSE accepted_at END, "
                           "updated_at = ? WHERE id = ?");
            q.bind(1, who);
            q.bind(2, s.now);
            q.bind(3, s.now);
            q.bind(4, t.id);
            q.exec();
            if (!rel.assignee) {
                MarkAssigned(s, who);
            }
            const std::string name = dispatch::NameOf(s.conn, who);
            AddEvent(s, t.id, who, "accepted", name);
            s.Text(t.requester, "您的工单 " + n + " 已由 " + name + " 受理，正在处理中。");
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::Note(const std::string& no, const std::string& engineer,
                                   const std::string& note) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(engineer);
    const std::string words = CleanText(note);
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.staff || !rel.Supervises()) {
                            return Refuse(rel, n, "只有处理人可以添加备注。");
                        }
                        if (words.empty()) {
                            return Fail("invalid",
                                        "备注内容不能为空，例如：备注 " + n + " 已更换硒鼓");
                        }
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "note", words);
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<Ticket> TicketService::Transfer(const std::string& no, const std::string& from,
                                       const std::string& to_userid) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(from);
    const std::string to = NormUser(to_userid);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.staff || !rel.Supervises()) {
                return Refuse(rel, n, "只有处理人或组长可以转派工单。");
            }
            if (!IsOpen(t.status)) {
                return StateError(t, "不能转派。");
            }
            auto target = dispatch::LoadPerson(s.conn, to);
            if (!target || !IsStaff(target->role)) {
                return Fail("invalid", "找不到工程师 " + Short(to, 40) + "，请检查账号。");
            }
            if (to == t.assignee) {
                return Fail("invalid", "工单 " + n + " 已经由 " + t.assignee_name + " 负责。");
            }
            if (t.status == Status::kWaiting) {
                ClosePause(s, env, t);
            }
            const std::string to_name = target->name.empty() ? to : target->name;
            Assign(s, t, to, who, "transferred", Names(s.conn, t.assignee) + " → " + to_name,
                   "转派工单");
            s.Text(t.requester, "您的工单 " + n + " 已转交 " + to_name + " 处理。");
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::Wait(const std::string& no, const std::string& engineer,
                                   const std::string& question) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(engineer);
    const std::string words = CleanText(question);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.assignee) {
                return Refuse(rel, n, "工单 " + n + " 由 " + Names(s.conn, t.assignee) + " 处理。");
            }
            if (t.status == Status::kAssigned || t.status == Status::kNew) {
                return Fail("bad_state", "请先接单：接单 " + n);
            }
            if (t.status != Status::kInProgress) {
                return StateError(t, "不能挂起。");
            }
            if (words.empty()) {
                return Fail("invalid",
                            "请写明需要报修人补充什么，例如：挂起 " + n + " 请提供电脑编号");
            }
            OpenPause(s, t.id);
            SetStatus(s, t.id, Status::kWaiting);
            AddEvent(s, t.id, who, "waiting", words);
            s.Text(t.requester,
                   "工单 " + n + " 需要您补充信息：" + Short(words, 500) + "\n请直接回复本消息。");
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::Resolve(const std::string& no, const std::string& engineer,
                                      const std::string& resolution) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(engineer);
    const std::string words = CleanText(resolution);
    return OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.staff || !rel.Supervises()) {
                return Refuse(rel, n, "工单 " + n + " 由 " + Names(s.conn, t.assignee) + " 处理。");
            }
            if (t.status == Status::kAssigned || t.status == Status::kNew) {
                return Fail("bad_state", "请先接单：接单 " + n);
            }
            if (t.status != Status::kInProgress && t.status != Status::kWaiting) {
                return StateError(t, "无需再次完成。");
            }
            if (t.status == Status::kWaiting) {
                ClosePause(s, env, t);
            }
            SetStatus(s, t.id, Status::kResolved);
            store::Query q(s.conn,
                           "UPDATE tickets SET resolved_at = ?, resolution = ? WHERE id = ?");
            q.bind(1, s.now);
            q.bind(2, words);
            q.bind(3, t.id);
            q.exec();
            AddEvent(s, t.id, who, "resolved", words);
            s.Text(t.requester, "您的工单 " + n + " 已解决" +
                                    (words.empty() ? "" : "：" + Short(words, 500)) +
                                    "\n请回复「评价 " + n + " 1-5」给我们打分（5 最满意）；" +
                                    "问题仍在请回复「重开 " + n + "」。");
            return LoadById(s.conn, env, t.id);
        });
}

Result<std::vector<Ticket>> TicketService::MyTasks(const std::string& engineer) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(engineer);
    return Query(db_.Conn(), env,
                 "WHERE t.assignee = ? AND t.status IN ('assigned','in_progress','waiting') "
                 "ORDER BY t.priority, t.created_at, t.id",
                 [&](store::Query& q) { q.bind(1, who); });
}

Result<void> TicketService::SetDuty(const std::string& userid, bool on_duty) {
    const std::string who = NormUser(userid);
    return RunStep<void>(db_, notifier_, clock_.NowSeconds(), [&](Step& s) -> Result<void> {
        auto p = dispatch::LoadPerson(s.conn, who);
        if (!p || !IsStaff(p->role)) {
            return Fail("forbidden", "只有工程师可以上班/下班。");
        }
        return store::UserRepository(s.db).SetDuty(who, on_duty, s.now);
    });
}

// --- background -------------------------------------------------------------------------------

Result<TickReport> TicketService::Tick() {
    const Env env{cfg_, calendar_, modes_};
    const std::int64_t now = clock_.NowSeconds();
    const std::int64_t offset = calendar_.utc_offset_s;
    TickReport report;
    std::vector<std::int64_t> ids;

    // 1. Tickets nobody could take yet (everyone was off duty).
    ids = Ids(db_.Conn(), "SELECT id FROM tickets WHERE status = 'new' ORDER BY id", now);
    for (auto id : ids) {
        auto r = RunStep<bool>(db_, notifier_, now, [&](Step& s) -> Result<bool> {
            Ticket t = LoadById(s.conn, env, id);
            if (t.status != Status::kNew) {
                return false;
            }
            auto engineer = dispatch::PickAssignee(s.conn, t.group);
            if (!engineer) {
                return false;
            }
            Assign(s, t, *engineer, "system", "assigned", dispatch::NameOf(s.conn, *engineer),
                   "新工单");
            return true;
        });
        if (!r) {
            return r.error();
        }
        report.dispatched += *r ? 1 : 0;
    }

    // 2. Accept timeouts: move on to the next engineer and tell the lead.
    const std::int64_t timeout = std::int64_t{cfg_.accept_timeout_min} * 60;
    if (timeout > 0) {
        ids = Ids(db_.Conn(),
                  "SELECT id FROM tickets WHERE status = 'assigned' AND assigned_at <= ? "
                  "ORDER BY id",
                  now - timeout);
        for (auto id : ids) {
            auto r = RunStep<bool>(db_, notifier_, now, [&](Step& s) -> Result<bool> {
                Ticket t = LoadById(s.conn, env, id);
                if (t.status != Status::kAssigned || t.assigned_at > now - timeout) {
                    return false;
                }
                const std::string old_name = Names(s.conn, t.assignee);
                const std::string mins = std::to_string(cfg_.accept_timeout_min);
                auto next = dispatch::PickAssignee(s.conn, t.group, {t.assignee});
                std::string lead_text;
                if (next) {
                    const std::string new_name = dispatch::NameOf(s.conn, *next);
                    Assign(s, t, *next, "system", "redispatched",
                           old_name + " " + mins + " 分钟未接单 → " + new_name, "待接单");
                    s.Text(t.assignee, "工单 " + t.no + " 超时未接单，已改派给 " + new_name + "。");
                    lead_text = "工单 " + t.no + " " + old_name + " " + mins +
                                " 分钟未接单，已改派给 " + new_name + "。";
                } else {
                    // Nobody else: keep it where it is and restart the timer, so the lead is
                    // told once per timeout rather than on every tick.
                    Exec(s, "UPDATE tickets SET assigned_at = ?1, updated_at = ?1 WHERE id = ?2",
                         t.id);
                    AddEvent(s, t.id, "system", "redispatched",
                             old_name + " " + mins + " 分钟未接单，无人可改派");
                    s.Text(t.assignee, "工单 " + t.no + " 仍在等您接单：接单 " + t.no);
                    lead_text = "工单 " + t.no + " " + old_name + " " + mins +
                                " 分钟未接单，暂无其他值班工程师，请协调处理。";
                }
                for (const auto& lead : dispatch::Escalation(s.conn, t.group)) {
                    if (lead != t.assignee) {
                        s.Text(lead, lead_text);
                    }
                }
                return next.has_value();
            });
            if (!r) {
                return r.error();
            }
            report.redispatched += *r ? 1 : 0;
        }
    }

    // 3. SLA warnings (80 %) to the assignee and breaches to the lead, once each.
    struct Check {
        const char* name;  // "response" | "resolve"
        const char* select;
        const char* what;  // words for messages
    };
    const std::array<Check, 2> checks = {{
        {"response",
         "SELECT id FROM tickets WHERE status IN ('new','assigned') AND accepted_at = 0 AND "
         "response_due > 0 AND "
         "((response_warned = 0 AND response_warn_at <= ?1) OR "
         "(response_breached = 0 AND response_due <= ?1)) ORDER BY id",
         "响应"},
        {"resolve",
         "SELECT id FROM tickets WHERE status IN ('new','assigned','in_progress') AND "
         "paused_since = 0 AND resolve_due > 0 AND ((resolve_warned = 0 AND resolve_warn_at <= "
         "?1) OR (resolve_breached = 0 AND resolve_due <= ?1)) ORDER BY id",
         "解决"},
    }};
    for (const auto& c : checks) {
        ids = Ids(db_.Conn(), c.select, now);
        const std::string name = c.name;
        for (auto id : ids) {
            auto r = RunStep<std::pair<int, int>>(
                db_, notifier_, now, [&](Step& s) -> Result<std::pair<int, int>> {
                    Ticket t = LoadById(s.conn, env, id);
                    store::Query q(s.conn, "SELECT " + name + "_warn_at, " + name + "_due, " +
                                               name + "_warned, " + name +
                                               "_breached, paused_since FROM tickets "
                                               "WHERE id = ?");
                    q.bind(1, id);
                    if (!q.executeStep()) {
                        return std::pair<int, int>{0, 0};
                    }
                    const std::int64_t warn_at = q.getColumn(0).getInt64();
                    const std::int64_t due = q.getColumn(1).getInt64();
                    const bool warned = q.getColumn(2).getInt() != 0;
                    const bool breached = q.getColumn(3).getInt() != 0;
                    const bool paused = q.getColumn(4).getInt64() != 0;
                    q.reset();
                    const bool still =
                        name == "response"
                            ? (t.accepted_at == 0 &&
                               (t.status == Status::kNew || t.status == Status::kAssigned))
                            : (IsOpen(t.status) && !paused && t.status != Status::kWaiting);
                    if (!still || due <= 0) {
                        return std::pair<int, int>{0, 0};
                    }
                    std::pair<int, int> done{0, 0};
                    const std::string when = sla::LocalDateTime(offset, due);
                    if (!warned && warn_at <= now) {
                        ExecId(s, "UPDATE tickets SET " + name + "_warned = 1 WHERE id = ?1", id);
                        AddEvent(s, id, "system", "sla_warning", name);
                        const std::string msg =
                            "⏰ 工单 " + t.no + "（" + t.priority + "）" + c.what +
                            "时限将到，截止 " + when + "，" +
                            (name == "response" ? "请尽快接单。" : "请尽快处理。");
                        const auto to = t.assignee.empty() ? dispatch::Escalation(s.conn, t.group)
                                                           : std::vector<std::string>{t.assignee};
                        for (const auto& u : to) {
                            s.Text(u, msg);
                        }
                        done.first = 1;
                    }
                    if (!breached && due <= now) {
                        ExecId(s, "UPDATE tickets SET " + name + "_breached = 1 WHERE id = ?1", id);
                        AddEvent(s, id, "system", "sla_breach", name);
                        for (const auto& u : dispatch::Escalation(s.conn, t.group)) {
                            s.Text(u, "⚠️ 工单 " + t.no + "（" + t.priority + "）已超出" +
                                          c.what + "时限（截止 " + when + "），处理人：" +
                                          Names(s.conn, t.assignee) + "。");
                        }
                        done.second = 1;
                    }
                    return done;
                });
            if (!r) {
                return r.error();
            }
            if (name == "response") {
                report.response_warnings += r->first;
                report.response_breaches += r->second;
            } else {
                report.resolve_warnings += r->first;
                report.resolve_breaches += r->second;
            }
        }
    }

    // 4. Resolved and never rated: close after auto_close_days.
    if (cfg_.auto_close_days > 0) {
        const std::int64_t age = std::int64_t{cfg_.auto_close_days} * 86400;
        ids = Ids(db_.Conn(),
                  "SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at <= ? "
                  "ORDER BY id",
                  now - age);
        for (auto id : ids) {
            auto r = RunStep<bool>(db_, notifier_, now, [&](Step& s) -> Result<bool> {
                Ticket t = LoadById(s.conn, env, id);
                if (t.status != Status::kResolved || t.resolved_at > now - age) {
                    return false;
                }
                SetStatus(s, id, Status::kClosed);
                Exec(s, "UPDATE tickets SET closed_at = ?1 WHERE id = ?2", id);
                AddEvent(s, id, "system", "closed",
                         std::to_string(cfg_.auto_close_days) + " 天未评价，自动关闭");
                s.Text(t.requester, "工单 " + t.no + " 已自动关闭。如问题仍在，请新建工单。");
                return true;
            });
            if (!r) {
                return r.error();
            }
            report.auto_closed += *r ? 1 : 0;
        }
    }
    return report;
}

Result<TicketStats> TicketService::Stats() {
    const std::int64_t now = clock_.NowSeconds();
    auto& conn = db_.Conn();
    TicketStats st;
    for (Status s : kAllStatuses) {
        st.by_status[std::string(StatusKey(s))] = 0;
    }
    {
        store::Query q(conn, "SELECT status, COUNT(*) FROM tickets GROUP BY status");
        while (q.executeStep()) {
            st.by_status[q.getColumn(0).getString()] = q.getColumn(1).getInt();
        }
    }
    for (const char* p : {"P1", "P2", "P3"}) {
        st.sla[p] = PrioritySla{};
    }
    {
        store::Query q(conn,
                       "SELECT priority, status, accepted_at, response_due, response_breached, "
                       "resolved_at, resolve_due, resolve_breached, paused_since FROM tickets "
                       "WHERE status != 'cancelled'");
        while (q.executeStep()) {
            auto& ps = st.sla[q.getColumn(0).getString()];
            const auto status = ParseStatus(q.getColumn(1).getString()).value_or(Status::kNew);
            const std::int64_t accepted = q.getColumn(2).getInt64();
            const std::int64_t response_due = q.getColumn(3).getInt64();
            const bool response_flag = q.getColumn(4).getInt() != 0;
            const std::int64_t resolved = q.getColumn(5).getInt64();
            const std::int64_t resolve_due = q.getColumn(6).getInt64();
            const bool resolve_flag = q.getColumn(7).getInt() != 0;
            const bool paused = q.getColumn(8).getInt64() != 0;
            if (response_due > 0) {
                if (accepted > 0) {
                    (accepted <= response_due ? ps.response_met : ps.response_breached)++;
                } else if (response_flag || now > response_due) {
                    ps.response_breached++;
                }
            }
            if (resolve_due > 0) {
                const bool done = status == Status::kResolved || status == Status::kClosed;
                if (done && resolved > 0) {
                    (resolved <= resolve_due ? ps.resolve_met : ps.resolve_breached)++;
                } else if (!done && (resolve_flag || (!paused && now > resolve_due))) {
                    ps.resolve_breached++;
                }
            }
        }
    }
    // (count, average) of a "SELECT COUNT(x), AVG(y) ..." (average 0 when there are no rows).
    auto count_avg = [&conn](const char* sql) {
        store::Query q(conn, sql);
        std::pair<int, double> out{0, 0};
        if (q.executeStep()) {
            out = {q.getColumn(0).getInt(),
                   q.getColumn(1).isNull() ? 0 : q.getColumn(1).getDouble()};
        }
        return out;
    };
    const auto accepted = count_avg(
        "SELECT COUNT(*), AVG(accepted_at - created_at) FROM tickets WHERE accepted_at > 0");
    st.accepted_count = accepted.first;
    st.mean_accept_min = accepted.second / 60;
    const auto resolved = count_avg(
        "SELECT COUNT(*), AVG(resolved_at - created_at) FROM tickets "
        "WHERE resolved_at > 0 AND status IN ('resolved','closed')");
    st.resolved_count = resolved.first;
    st.mean_resolve_min = resolved.second / 60;
    const auto csat =
        count_avg("SELECT COUNT(rating), AVG(rating) FROM tickets WHERE rating IS NOT NULL");
    st.csat_count = csat.first;
    st.csat_avg = csat.second;
    {
        store::Query q(
            conn, std::string("SELECT userid, name, on_duty, open FROM (SELECT u.userid, u.name, "
                              "u.on_duty, u.role, (SELECT COUNT(*) FROM tickets t WHERE "
                              "t.assignee = u.userid AND t.status IN ") +
                      dispatch::kOpenStatusesSql +
                      ") AS open FROM users u) WHERE role IN ('engineer','lead') OR open > 0 "
                      "ORDER BY open DESC, userid");
        while (q.executeStep()) {
            st.load.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                               q.getColumn(2).getInt() != 0, q.getColumn(3).getInt()});
        }
    }
    return st;
}

Result<std::vector<Ticket>> TicketService::AdminList(std::optional<Status> status) {
    const Env env{cfg_, calendar_, modes_};
    if (status) {
        return Query(db_.Conn(), env, "WHERE t.status = ? ORDER BY t.created_at DESC, t.id DESC",
                     [&](store::Query& q) { q.bind(1, std::string(StatusKey(*status))); });
    }
    return Query(db_.Conn(), env, "ORDER BY t.created_at DESC, t.id DESC", [](store::Query&) {});
}

Result<TicketDetail> TicketService::AdminGet(const std::string& no) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    auto& conn = db_.Conn();
    auto t = LoadByNo(conn, env, n);
    if (!t) {
        return NotFound(n);
    }
    auto events = LoadEvents(conn, t->id, true);
    return TicketDetail{std::move(*t), std::move(events)};
}

}  // namespace wedesk::tickets
