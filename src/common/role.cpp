#include "wedesk/common/role.hpp"

#include <array>
#include <utility>

#include "wedesk/common/text.hpp"

namespace wedesk {

namespace {
constexpr std::array<std::pair<Role, std::string_view>, 4> kNames{{
    {Role::kEmployee, "employee"},
    {Role::kEngineer, "engineer"},
    {Role::kLead, "lead"},
    {Role::kAdmin, "admin"},
}};
}  // namespace

std::string_view RoleName(Role role) {
    for (const auto& [r, name] : kNames) {
        if (r == role) {
            return name;
        }
    }
    return "employee";
}

std::optional<Role> ParseRole(std::string_view name) {
    const std::string lower = text::AsciiLower(name);
    for (const auto& [r, n] : kNames) {
        if (lower == n) {
            return r;
        }
    }
    return std::nullopt;
}

}  // namespace wedesk
