// Statistics and the admin views of tickets.
#include "tickets/internal.hpp"

#include <algorithm>

namespace wedesk::tickets {

using namespace detail;

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
