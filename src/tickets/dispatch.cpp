#include "tickets/dispatch.hpp"

#include "wedesk/store/sql.hpp"

namespace wedesk::tickets::dispatch {

namespace {

std::string LoadSql(const std::string& from_where) {
    return std::string("SELECT u.userid FROM ") + from_where +
           " ORDER BY (SELECT COUNT(*) FROM tickets t WHERE t.assignee = u.userid AND t.status "
           "IN " +
           kOpenStatusesSql + "), u.last_assigned_at, u.userid";
}

std::optional<std::string> FirstNotExcluded(store::Query& q, const std::set<std::string>& exclude) {
    while (q.executeStep()) {
        std::string id = q.getColumn(0).getString();
        if (exclude.count(id) == 0) {
            return id;
        }
    }
    return std::nullopt;
}

std::vector<std::string> Column(store::Query& q) {
    std::vector<std::string> out;
    while (q.executeStep()) {
        out.push_back(q.getColumn(0).getString());
    }
    return out;
}

}  // namespace

std::optional<Person> LoadPerson(store::Conn& conn, const std::string& userid) {
    store::Query q(conn, "SELECT userid, name, role, on_duty FROM users WHERE userid = ?");
    q.bind(1, userid);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return Person{q.getColumn(0).getString(), q.getColumn(1).getString(),
                  ParseRole(q.getColumn(2).getString()).value_or(Role::kEmployee),
                  q.getColumn(3).getInt() != 0};
}

std::string NameOf(store::Conn& conn, const std::string& userid) {
    auto p = LoadPerson(conn, userid);
    if (!p || p->name.empty()) {
        return userid;
    }
    return p->name;
}

bool InGroup(store::Conn& conn, const std::string& userid, const std::string& group) {
    store::Query q(conn, "SELECT 1 FROM user_groups WHERE userid = ? AND group_name = ?");
    q.bind(1, userid);
    q.bind(2, group);
    return q.executeStep();
}

std::vector<std::string> GroupLeads(store::Conn& conn, const std::string& group) {
    store::Query q(conn,
                   "SELECT u.userid FROM users u JOIN user_groups g ON g.userid = u.userid "
                   "WHERE g.group_name = ? AND u.role = 'lead' ORDER BY u.userid");
    q.bind(1, group);
    return Column(q);
}

std::vector<std::string> Admins(store::Conn& conn) {
    store::Query q(conn, "SELECT userid FROM users WHERE role = 'admin' ORDER BY userid");
    return Column(q);
}

std::vector<std::string> Escalation(store::Conn& conn, const std::string& group) {
    auto leads = group.empty() ? std::vector<std::string>{} : GroupLeads(conn, group);
    return leads.empty() ? Admins(conn) : leads;
}

std::optional<std::string> PickAssignee(store::Conn& conn, const std::string& group,
                                        const std::set<std::string>& exclude) {
    if (!group.empty()) {
        // Only people on duty: an off-duty lead is told (Escalation), never handed tickets.
        store::Query on_duty(
            conn, LoadSql("users u JOIN user_groups g ON g.userid = u.userid WHERE g.group_name "
                          "= ? AND u.role IN ('engineer','lead') AND u.on_duty = 1"));
        on_duty.bind(1, group);
        return FirstNotExcluded(on_duty, exclude);
    }
    store::Query admins(conn, LoadSql("users u WHERE u.role = 'admin'"));
    return FirstNotExcluded(admins, exclude);
}

std::set<std::string> Lapsed(store::Conn& conn, std::int64_t ticket_id) {
    store::Query q(conn, "SELECT userid FROM ticket_lapses WHERE ticket_id = ?");
    q.bind(1, ticket_id);
    const auto v = Column(q);
    return {v.begin(), v.end()};
}

void RecordLapse(store::Conn& conn, std::int64_t ticket_id, const std::string& userid,
                 std::int64_t now) {
    store::Query q(conn,
                   "INSERT OR IGNORE INTO ticket_lapses(ticket_id, userid, at) VALUES (?, ?, ?)");
    q.bind(1, ticket_id);
    q.bind(2, userid);
    q.bind(3, now);
    q.exec();
}

}  // namespace wedesk::tickets::dispatch
