#include "wedesk/common/role.hpp"

#include "wedesk/common/enum_names.hpp"

namespace wedesk {

namespace {
constexpr NameTable<Role, 4> kNames{{
    {Role::kEmployee, "employee"},
    {Role::kEngineer, "engineer"},
    {Role::kLead, "lead"},
    {Role::kAdmin, "admin"},
}};
}  // namespace

std::string_view RoleName(Role role) { return NameIn(kNames, role).value_or("employee"); }

std::optional<Role> ParseRole(std::string_view name) { return ValueInIgnoringCase(kNames, name); }

}  // namespace wedesk
