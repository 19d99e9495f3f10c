#include <catch2/catch.hpp>

#include <stdexcept>

#include "wedesk/directory/ldap_directory.hpp"

using wedesk::directory::LdapDirectory;

namespace {

wedesk::config::LdapConfig Good() {
    wedesk::config::LdapConfig c;
    c.uri = "ldaps://127.0.0.1:636";
    c.flavor = "ad";
    c.bind_dn = "CN=resetbot,CN=Users,DC=test,DC=local";
    c.bind_password = wedesk::Secret("x");
    c.base_dn = "OU=Staff,DC=test,DC=local";
    c.user_filter = "(sAMAccountName={account})";
    c.ca_file = "/nonexistent/ca.pem";
    return c;
}

}  // namespace

TEST_CASE("LdapDirectory refuses unsafe configurations at start-up", "[unit]") {
    CHECK_NOTHROW(LdapDirectory(Good()));

    auto c = Good();
    c.uri = "ldap://127.0.0.1:389";
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);  // clear text
    c.starttls = true;
    CHECK_NOTHROW(LdapDirectory(c));

    c = Good();
    c.starttls = true;  // StartTLS inside ldaps makes no sense
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);

    c = Good();
    c.uri = "ldapi:///";
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);

    c = Good();
    c.ca_file.clear();
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);

    c = Good();
    c.user_filter = "(sAMAccountName=alice)";
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);

    c = Good();
    c.flavor = "novell";
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);

    c = Good();
    c.base_dn.clear();
    CHECK_THROWS_AS(LdapDirectory(c), std::invalid_argument);
}

TEST_CASE("LdapDirectory: an unreadable CA file is 'unavailable', never a plain connection",
          "[unit]") {
    LdapDirectory d(Good());
    auto r = d.Ping();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kUnavailable);
}

TEST_CASE("LdapDirectory: an empty new password is refused before any connection", "[unit]") {
    LdapDirectory d(Good());
    wedesk::directory::Account a;
    a.account = "alice";
    a.dn = "CN=Alice,OU=Staff,DC=test,DC=local";
    auto r = d.SetPassword(a, wedesk::Secret(""), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
}
