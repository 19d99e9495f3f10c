// The ticket lifecycle: what employees and engineers do to tickets, and assignment.
#include "tickets/internal.hpp"
#include "wedesk/tickets/attachments.hpp"

#include <algorithm>

#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/user_repository.hpp"

namespace wedesk::tickets {

using namespace detail;

namespace detail {

void MarkAssigned(Step& s, const std::string& userid) {
    store::UserRepository(s.db).TouchAssigned(userid, s.now);
}

std::int64_t CardSeq(Step& s, std::int64_t ticket_id) {
    store::Query q(s.conn, "SELECT card_seq FROM tickets WHERE id = ?");
    q.bind(1, ticket_id);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

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

}  // namespace detail

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
                                     const std::vector<NewAttachment>& attachments) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(requester);
    const std::string category = text::Trim(category_key);
    const std::string desc = CleanText(description, kMaxDescriptionBytes);
    const std::string prio = Upper(text::Trim(priority));
    if (who.empty()) {
        return Fail(Errc::kInvalid, "无法识别报修人。");
    }
    if (category.empty() ||
        (!cfg_.categories.empty() &&
         std::none_of(cfg_.categories.begin(), cfg_.categories.end(),
                      [&](const config::Category& c) { return c.key == category; }))) {
        return Fail(Errc::kInvalid, "请选择一个有效的分类。");
    }
    if (desc.empty()) {
        return Fail(Errc::kInvalid, "请描述一下遇到的问题。");
    }
    if (prio != "P1" && prio != "P2" && prio != "P3") {
        return Fail(Errc::kInvalid, "紧急程度请选择 1 一般、2 紧急 或 3 非常紧急。");
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
        for (const auto& a : attachments) {
            attached += InsertAttachment(s, id, who, a) ? 1 : 0;
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
            if (t.priority == "P1") {
                // Nobody on duty for an urgent ticket: the leads are alerted (not handed it).
                for (const auto& lead : dispatch::Escalation(s.conn, t.group)) {
                    s.Text(lead, "【非常紧急·无人在班】新工单 " + t.no + "（" + t.category_name +
                                     "）：" + Short(t.description, 100) +
                                     "\n现在没有工程师在班，请安排处理：接单 " + t.no);
                }
            }
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
                return Fail(Errc::kTooSoon, "您刚催办过工单 " + n + "，请 " +
                                                std::to_string(wait_min) +
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
            if (t.status != Status::kResolved && t.status != Status::kClosed) {
                return StateError(t, "无需重开。");
            }
            // Within auto_close_days of its resolution a ticket can be reopened, also one the
            // employee already rated (and so closed): the problem came back.
            const bool auto_closed = t.status == Status::kClosed && !t.rating;
            if (auto_closed || t.resolved_at == 0 || s.now - t.resolved_at > window) {
                return Fail(Errc::kExpired, too_late);
            }
            if (t.status == Status::kClosed) {
                // The rating was for the resolution that did not hold; the next one is rated
                // afresh (the old rating stays in the timeline).
                Exec(s,
                     "UPDATE tickets SET closed_at = 0, rating = NULL, rating_comment = '', "
                     "updated_at = ?1 WHERE id = ?2",
                     t.id);
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
                return Fail(Errc::kInvalid,
                            "评分请用 1 到 5 的数字（5 最满意），例如：评价 " + n + " 5");
            }
            if (t.status != Status::kResolved && t.status != Status::kClosed) {
                return StateError(t, "解决后再评价吧。");
            }
            if (t.rating) {
                return Fail(Errc::kAlreadyRated, "工单 " + n + " 已经评价过了，谢谢您的反馈！");
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
            if (score <= 2) {
                // A low rating reaches the team's lead, not only the engineer who earned it.
                for (const auto& lead : dispatch::Escalation(s.conn, t.group)) {
                    if (lead != t.assignee) {
                        s.Text(lead, "【低分评价】工单 " + n + "（" + Short(t.description, 45) +
                                         "）收到 " + std::to_string(score) + " 星" +
                                         (words.empty() ? "" : "：" + Short(words, 200)) +
                                         "。请跟进报修人的意见。");
                    }
                }
            }
            return LoadById(s.conn, env, t.id);
        });
}

Result<Ticket> TicketService::AddAttachment(const std::string& no, const std::string& by,
                                            const NewAttachment& attachment) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(by);
    const std::string kind = attachment.type.empty() ? "image" : attachment.type;
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.CanView()) {
                            return NotFound(n);
                        }
                        if (t.status == Status::kClosed || t.status == Status::kCancelled) {
                            return StateError(t, "不能再添加附件。");
                        }
                        if (!InsertAttachment(s, t.id, who, attachment)) {
                            return Fail(Errc::kInvalid, "附件无效。");
                        }
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        const std::string what =
                            AttachmentWord(kind) +
                            (attachment.file_name.empty() ? "" : " " + attachment.file_name);
                        AddEvent(s, t.id, who, "attachment", what);
                        if (rel.requester && t.status == Status::kWaiting) {
                            // The engineer asked for something; a photo can be the answer.
                            ClosePause(s, env, t);
                            SetStatus(s, t.id, Status::kInProgress);
                            AddEvent(s, t.id, who, "replied", "[" + what + "]");
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
                return Fail(Errc::kNotFound, "您没有等待回复的工单。");
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

Result<Ticket> TicketService::AddInfo(const std::string& no, const std::string& requester,
                                      const std::string& info) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(requester);
    const std::string words = CleanText(info);
    if (words.empty()) {
        return Fail(Errc::kInvalid, "请写上要补充的内容，例如：补充 " + n + " 在5楼东侧");
    }
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.requester) {
                            return Refuse(rel, n, "只有报修人可以补充信息。");
                        }
                        if (!IsOpen(t.status) && t.status != Status::kResolved) {
                            return StateError(t,
                                              "不能再补充了。如问题仍在，请回复 重开 " + n + "。");
                        }
                        if (t.status == Status::kWaiting) {
                            ClosePause(s, env, t);
                            SetStatus(s, t.id, Status::kInProgress);
                        }
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "info", words);
                        const std::string msg = "工单 " + n + " 报修人补充：" + Short(words, 500) +
                                                "\n回复对方：回复 " + n + " 内容";
                        if (!t.assignee.empty()) {
                            s.Text(t.assignee, msg);
                        } else {
                            for (const auto& lead : dispatch::Escalation(s.conn, t.group)) {
                                s.Text(lead, msg);
                            }
                        }
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<std::vector<Ticket>> TicketService::ListMineIn(const std::string& requester, Status status) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(requester);
    return Query(db_.Conn(), env,
                 "WHERE t.requester = ? AND t.status = ? ORDER BY t.updated_at DESC, t.id DESC "
                 "LIMIT 20",
                 [&](store::Query& q) {
                     q.bind(1, who);
                     q.bind(2, std::string(StatusKey(status)));
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
                        return Fail(Errc::kAlreadyAccepted, "您已接过工单 " + n + "，正在处理中。");
                    }
                    return Fail(Errc::kAlreadyAccepted,
                                "工单 " + n + " 已由 " + t.assignee_name + " 接单，无需重复接单。");
                case Status::kResolved:
                case Status::kClosed:
                case Status::kCancelled:
                    return StateError(t, "无需接单。");
                case Status::kAssigned:
                    if (!rel.Supervises()) {
                        return Fail(Errc::kForbidden,
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
            if (t.status == Status::kAssigned && !t.assignee.empty() && t.assignee != who) {
                // A lead took it over: the engineer it was dispatched to is told, and his card
                // stops offering 接单.
                s.RetireCard(CardTaskId(t.no, CardSeq(s, t.id)), "已被接单");
                s.Text(t.assignee, name + " 已接手工单 " + n + "，您无需处理。");
            }
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
                            return Fail(Errc::kInvalid,
                                        "备注内容不能为空，例如：备注 " + n + " 已更换硒鼓");
                        }
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "note", words);
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<Ticket> TicketService::ReplyToRequester(const std::string& no, const std::string& engineer,
                                               const std::string& message) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(engineer);
    const std::string words = CleanText(message);
    if (words.empty()) {
        return Fail(Errc::kInvalid, "请写上回复内容，例如：回复 " + n + " 我十分钟后到");
    }
    return OnTicket(db_, notifier_, clock_.NowSeconds(), env, n, who,
                    [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
                        if (!rel.staff || !rel.Supervises()) {
                            return Refuse(rel, n, "只有处理人或组长可以回复报修人。");
                        }
                        if (t.status == Status::kCancelled || t.status == Status::kClosed) {
                            return StateError(t, "不能再回复。");
                        }
                        Exec(s, "UPDATE tickets SET updated_at = ?1 WHERE id = ?2", t.id);
                        AddEvent(s, t.id, who, "message", words);
                        const auto me = dispatch::LoadPerson(s.conn, who);
                        const std::string name = me && !me->name.empty() ? me->name : who;
                        s.Text(t.requester, "工程师 " + name + " 回复您（工单 " + n + "）：\n" +
                                                words + "\n\n如需回复，请发送：补充 " + n +
                                                " 您的回复");
                        return LoadById(s.conn, env, t.id);
                    });
}

Result<Ticket> TicketService::Transfer(const std::string& no, const std::string& from,
                                       const std::string& to_userid, const std::string& reason) {
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
                return Fail(Errc::kInvalid, "找不到工程师 " + Short(to, 40) + "，请检查账号。");
            }
            if (to == t.assignee) {
                return Fail(Errc::kInvalid, "工单 " + n + " 已经由 " + t.assignee_name + " 负责。");
            }
            const std::string to_name = target->name.empty() ? to : target->name;
            if (!rel.lead && !rel.admin) {
                // An engineer hands over only to a colleague who is on duty in the ticket's
                // group; a lead or an admin may send it anywhere.
                if (!target->on_duty) {
                    return Fail(
                        Errc::kInvalid,
                        to_name + " 现在不在班，不能转派给他。请选择在班的同事，或请组长转派。");
                }
                if (!t.group.empty()) {
                    bool member = false;
                    for (const auto& u : store::UserRepository(s.db).OnDutyInGroup(t.group)) {
                        member = member || u.userid == to;
                    }
                    if (!member) {
                        return Fail(Errc::kInvalid, to_name +
                                                        " 不在本工单的处理组，不能转派给他。请选择"
                                                        "本组同事，或请组长转派。");
                    }
                }
            }
            if (t.status == Status::kWaiting) {
                ClosePause(s, env, t);
            }
            const std::string why = CleanText(reason);
            if (!rel.assignee && !t.assignee.empty()) {
                s.Text(t.assignee, dispatch::NameOf(s.conn, who) + " 已把工单 " + n + " 转派给 " +
                                       to_name + "，您无需再处理。");
            }
            Assign(s, t, to, who, "transferred",
                   Names(s.conn, t.assignee) + " → " + to_name + (why.empty() ? "" : "：" + why),
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
                return Fail(Errc::kBadState, "请先接单：接单 " + n);
            }
            if (t.status != Status::kInProgress) {
                return StateError(t, "不能挂起。");
            }
            if (words.empty()) {
                return Fail(Errc::kInvalid,
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
                return Fail(Errc::kBadState, "请先接单：接单 " + n);
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
            if (!rel.assignee && !t.assignee.empty()) {
                s.Text(t.assignee, dispatch::NameOf(s.conn, who) + " 已完成您的工单 " + n + "。");
            }
            // A card to rate it (or say it is not solved) with one tap; typing 1-5 works too.
            store::Query rounds(s.conn,
                                "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND "
                                "kind = 'resolved'");
            rounds.bind(1, t.id);
            const std::int64_t round = rounds.executeStep() ? rounds.getColumn(0).getInt64() : 1;
            s.SendCard(t.requester, ResolvedCard(t, words, round));
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

Result<std::vector<Ticket>> TicketService::TeamQueue(const std::string& lead, Queue queue) {
    const Env env{cfg_, calendar_, modes_};
    const std::string who = NormUser(lead);
    auto& conn = db_.Conn();
    const auto me = dispatch::LoadPerson(conn, who);
    if (!me || (me->role != Role::kLead && me->role != Role::kAdmin)) {
        return Fail(Errc::kForbidden, "团队工单只有组长和管理员可以查看。");
    }
    // A lead sees his groups; an admin sees every ticket.
    const std::string scope =
        me->role == Role::kAdmin
            ? std::string("?1 = ?1")
            : std::string("t.group_name IN (SELECT group_name FROM user_groups WHERE userid = ?1)");
    std::string where;
    switch (queue) {
        case Queue::kOpen:
            where = "t.status IN ('new','assigned','in_progress','waiting')";
            break;
        case Queue::kUnassigned:
            where = "t.status = 'new'";
            break;
        case Queue::kOverdue:
            where =
                "t.status IN ('new','assigned','in_progress','waiting') AND "
                "(t.response_breached = 1 OR t.resolve_breached = 1 OR "
                "(t.status = 'assigned' AND ?2 > 0 AND t.assigned_at <= ?3 - ?2))";
            break;
    }
    const std::int64_t timeout = std::int64_t{cfg_.accept_timeout_min} * 60;
    const std::int64_t now = clock_.NowSeconds();
    return Query(
        conn, env,
        "WHERE " + scope + " AND " + where + " ORDER BY t.priority, t.created_at, t.id LIMIT 30",
        [&](store::Query& q) {
            q.bind(1, who);
            if (queue == Queue::kOverdue) {
                q.bind(2, timeout);
                q.bind(3, now);
            }
        });
}

Result<void> TicketService::SetDuty(const std::string& userid, bool on_duty) {
    const std::string who = NormUser(userid);
    return RunStep<void>(db_, notifier_, clock_.NowSeconds(), [&](Step& s) -> Result<void> {
        auto p = dispatch::LoadPerson(s.conn, who);
        if (!p || !IsStaff(p->role) || (on_duty && !TakesTickets(p->role))) {
            return Fail(Errc::kForbidden, "只有工程师和组长可以上班接单。");
        }
        return store::UserRepository(s.db).SetDuty(who, on_duty, s.now);
    });
}

Result<TicketService::Availability> TicketService::WhoIsAvailable() {
    Availability a;
    for (const auto& u : store::UserRepository(db_).OnDutyStaff()) {
        a.on_duty.push_back(u.name.empty() ? u.userid : u.name);
    }
    const std::int64_t now = clock_.NowSeconds();
    if (sla::HasWorkingTime(calendar_)) {
        // The first business second at or after now.
        const std::int64_t next = sla::AddBusinessSeconds(calendar_, now, 1) - 1;
        a.business_hours = next <= now;
        a.next_open = a.business_hours ? now : next;
    }
    return a;
}

}  // namespace wedesk::tickets
