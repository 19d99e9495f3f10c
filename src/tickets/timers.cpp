// The ticket timers (TicketService::Tick): dispatch retries, accept timeouts, SLA warnings and
// breaches, auto-close.
#include "tickets/internal.hpp"

#include <map>

#include "wedesk/common/log.hpp"

namespace wedesk::tickets {

using namespace detail;

namespace {

/// What every timer needs.
struct TickContext {
    store::Database& db;
    Notifier& notifier;
    const config::TicketsConfig& cfg;
    const Env& env;
    std::int64_t now;
    std::int64_t utc_offset;
};

/// 1. Tickets nobody could take yet (everyone was off duty).
Result<void> DispatchWaiting(const TickContext& c, TickReport& report) {
    const Env& env = c.env;
    const std::int64_t now = c.now;
    std::vector<std::int64_t> ids;
    ids = Ids(c.db.Conn(), "SELECT id FROM tickets WHERE status = 'new' ORDER BY id", now);
    for (auto id : ids) {
        auto r = RunStep<bool>(c.db, c.notifier, now, [&](Step& s) -> Result<bool> {
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
    return {};
}

/// 2. Accept timeouts: move on to the next on-duty engineer of the group who has not let this
/// ticket lapse before; nobody → it stays and its timer restarts. The leads get one digest per
/// tick, not a message (or a card) per ticket.
Result<void> HandleAcceptTimeouts(const TickContext& c, TickReport& report) {
    const Env& env = c.env;
    const std::int64_t now = c.now;
    const std::int64_t timeout = std::int64_t{c.cfg.accept_timeout_min} * 60;
    if (timeout <= 0) {
        return {};
    }
    const std::vector<std::int64_t> ids =
        Ids(c.db.Conn(),
            "SELECT id FROM tickets WHERE status = 'assigned' AND assigned_at <= ? ORDER BY id",
            now - timeout);
    std::map<std::string, std::vector<std::string>> digest;  // lead → one line per ticket
    for (auto id : ids) {
        auto r = RunStep<bool>(c.db, c.notifier, now, [&](Step& s) -> Result<bool> {
            Ticket t = LoadById(s.conn, env, id);
            if (t.status != Status::kAssigned || t.assigned_at > now - timeout) {
                return false;
            }
            const std::string old_name = Names(s.conn, t.assignee);
            const std::string mins = std::to_string(c.cfg.accept_timeout_min);
            dispatch::RecordLapse(s.conn, t.id, t.assignee, now);
            auto exclude = dispatch::Lapsed(s.conn, t.id);
            exclude.insert(t.assignee);
            auto next = dispatch::PickAssignee(s.conn, t.group, exclude);
            std::string line;
            if (next) {
                const std::string new_name = dispatch::NameOf(s.conn, *next);
                Assign(s, t, *next, "system", "redispatched",
                       old_name + " " + mins + " 分钟未接单 → " + new_name, "待接单");
                s.Text(t.assignee, "工单 " + t.no + " 超时未接单，已改派给 " + new_name + "。");
                line = t.no + " " + old_name + " 未接单，已改派给 " + new_name;
            } else {
                // Nobody else on duty: it stays with its engineer and the timer restarts, so
                // the leads hear of it once per timeout rather than on every tick.
                Exec(s, "UPDATE tickets SET assigned_at = ?1, updated_at = ?1 WHERE id = ?2", t.id);
                AddEvent(s, t.id, "system", "redispatched",
                         old_name + " " + mins + " 分钟未接单，无其他在班同事可改派");
                s.Text(t.assignee, "工单 " + t.no + " 仍在等您接单：接单 " + t.no);
                line = t.no + " " + old_name + " 未接单，暂无其他在班同事";
            }
            for (const auto& lead : dispatch::Escalation(s.conn, t.group)) {
                if (lead != t.assignee && (!next || lead != *next)) {
                    digest[lead].push_back(line + "（" + Short(t.description, 30) + "）");
                }
            }
            return next.has_value();
        });
        if (!r) {
            return r.error();
        }
        report.redispatched += *r ? 1 : 0;
    }
    if (digest.empty()) {
        return {};
    }
    auto sent = RunStep<bool>(c.db, c.notifier, now, [&](Step& s) -> Result<bool> {
        for (const auto& [lead, lines] : digest) {
            std::string text = "接单超时（" + std::to_string(lines.size()) + " 个工单，" +
                               std::to_string(c.cfg.accept_timeout_min) + " 分钟未接单）：";
            for (const auto& l : lines) {
                text += "\n· " + l;
            }
            s.Text(lead, text + "\n回复 超时工单 查看全部。");
        }
        return true;
    });
    if (!sent) {
        return sent.error();
    }
    return {};
}

/// 3. SLA warnings (80 %) to the assignee and breaches to the lead, once each.
Result<void> CheckSla(const TickContext& c, TickReport& report) {
    const Env& env = c.env;
    const std::int64_t now = c.now;
    const std::int64_t offset = c.utc_offset;
    std::vector<std::int64_t> ids;
    struct SlaCheck {
        const char* name;  // "response" | "resolve"
        const char* select;
        const char* what;  // words for messages
    };
    const std::array<SlaCheck, 2> checks = {{
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
    for (const auto& check : checks) {
        ids = Ids(c.db.Conn(), check.select, now);
        const std::string name = check.name;
        for (auto id : ids) {
            auto r = RunStep<std::pair<int, int>>(
                c.db, c.notifier, now, [&](Step& s) -> Result<std::pair<int, int>> {
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
                            "⏰ 工单 " + t.no + "（" + t.priority + "）" + check.what +
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
                                          check.what + "时限（截止 " + when + "），处理人：" +
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
    return {};
}

/// 4. Resolved and never rated: close after auto_close_days.
Result<void> AutoClose(const TickContext& c, TickReport& report) {
    const Env& env = c.env;
    const std::int64_t now = c.now;
    std::vector<std::int64_t> ids;
    if (c.cfg.auto_close_days > 0) {
        const std::int64_t age = std::int64_t{c.cfg.auto_close_days} * 86400;
        ids = Ids(c.db.Conn(),
                  "SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at <= ? "
                  "ORDER BY id",
                  now - age);
        for (auto id : ids) {
            auto r = RunStep<bool>(c.db, c.notifier, now, [&](Step& s) -> Result<bool> {
                Ticket t = LoadById(s.conn, env, id);
                if (t.status != Status::kResolved || t.resolved_at > now - age) {
                    return false;
                }
                SetStatus(s, id, Status::kClosed);
                Exec(s, "UPDATE tickets SET closed_at = ?1 WHERE id = ?2", id);
                AddEvent(s, id, "system", "closed",
                         std::to_string(c.cfg.auto_close_days) + " 天未评价，自动关闭");
                s.Text(t.requester, "工单 " + t.no + " 已自动关闭。如问题仍在，请新建工单。");
                return true;
            });
            if (!r) {
                return r.error();
            }
            report.auto_closed += *r ? 1 : 0;
        }
    }
    return {};
}

}  // namespace

Result<TickReport> TicketService::Tick() {
    const Env env{cfg_, calendar_, modes_};
    const TickContext c{db_, notifier_, cfg_, env, clock_.NowSeconds(), calendar_.utc_offset_s};
    TickReport report;
    for (auto* timer : {&DispatchWaiting, &HandleAcceptTimeouts, &CheckSla, &AutoClose}) {
        if (auto r = timer(c, report); !r) {
            return r.error();
        }
    }
    return report;
}

}  // namespace wedesk::tickets
