#pragma once
/// Role: what a person may do at the desk. Stored and shown as its name ("employee",
/// "engineer", "lead", "admin"); converted here, at the edges (the users table, the CSV import,
/// the admin CLI), and compared as an enum everywhere else.

#include <optional>
#include <string_view>

namespace wedesk {

enum class Role { kEmployee, kEngineer, kLead, kAdmin };

std::string_view RoleName(Role role);
/// The role named `name` (ASCII case-insensitive); nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);

/// Engineers, leads and admins: people who work tickets.
inline bool IsStaff(Role r) { return r != Role::kEmployee; }
/// Engineers and leads: members of a dispatch group who take its tickets.
inline bool TakesTickets(Role r) { return r == Role::kEngineer || r == Role::kLead; }

}  // namespace wedesk
