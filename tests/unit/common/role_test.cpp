// Role: names at the edges, an enum inside.
#include "wedesk/common/role.hpp"

#include <catch2/catch.hpp>

using namespace wedesk;

TEST_CASE("roles convert to and from their stored names", "[unit]") {
    for (Role r : {Role::kEmployee, Role::kEngineer, Role::kLead, Role::kAdmin}) {
        CHECK(ParseRole(RoleName(r)) == r);
    }
    CHECK(ParseRole("LEAD") == Role::kLead);
    CHECK_FALSE(ParseRole("").has_value());
    CHECK_FALSE(ParseRole("boss").has_value());
    CHECK(IsStaff(Role::kAdmin));
    CHECK_FALSE(IsStaff(Role::kEmployee));
    CHECK(TakesTickets(Role::kLead));
    CHECK_FALSE(TakesTickets(Role::kAdmin));
}
