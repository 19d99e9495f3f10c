#pragma once
// Dispatch: who gets a ticket. Reads users / user_groups (migration 1) and open loads from
// tickets. Private to tickets/.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wedesk/common/role.hpp"
#include "wedesk/store/sql.hpp"

namespace SQLite {
class Database;
}

namespace wedesk::tickets::dispatch {

struct Person {
    std::string userid;
    std::string name;
    Role role = Role::kEmployee;
    bool on_duty = false;
};

/// Open statuses counted as load, as an SQL list.
inline constexpr const char* kOpenStatusesSql = "('assigned','in_progress','waiting')";

std::optional<Person> LoadPerson(store::Conn& conn, const std::string& userid);
/// Display name, or the userid when unknown or nameless.
std::string NameOf(store::Conn& conn, const std::string& userid);
bool InGroup(store::Conn& conn, const std::string& userid, const std::string& group);
/// Users with role lead in `group`.
std::vector<std::string> GroupLeads(store::Conn& conn, const std::string& group);
/// Users with role admin.
std::vector<std::string> Admins(store::Conn& conn);
/// Who to tell about escalations of a group: its leads, else the admins.
std::vector<std::string> Escalation(store::Conn& conn, const std::string& group);

/// Among the group's on-duty engineers and leads, the one with the fewest open tickets, ties
/// broken by least recent assignment (then userid). Nobody on duty → empty: the ticket waits
/// for someone to come on duty (the leads are told, not handed it). A ticket of no group goes
/// to the least loaded admin. People in `exclude` are skipped.
std::optional<std::string> PickAssignee(store::Conn& conn, const std::string& group,
                                        const std::set<std::string>& exclude = {});
/// Who let this ticket's accept timeout lapse.
std::set<std::string> Lapsed(store::Conn& conn, std::int64_t ticket_id);
void RecordLapse(store::Conn& conn, std::int64_t ticket_id, const std::string& userid,
                 std::int64_t now);

}  // namespace wedesk::tickets::dispatch
