// LdapDirectory (flavor openldap) against a real slapd with ppolicy, started per test case by
// scripts/start-slapd.sh. Results are checked in the directory itself with a separate client.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <ldap.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>

#include "directory_helpers.hpp"
#include "wedesk/directory/ldap_directory.hpp"

using wedesk::Secret;
using wedesk::directory::LdapDirectory;
using wedesk::testing::TestDirectoryServer;
using wedesk::testing::UserBind;

namespace {

constexpr const char* kOldPw = "Old-Passw0rd";
constexpr const char* kGroup = "cn=it-admins,ou=groups,dc=example,dc=test";

std::string UserDn(const std::string& uid) {
    return "uid=" + uid + ",ou=people,dc=example,dc=test";
}

struct Rig {
    std::unique_ptr<TestDirectoryServer> server = TestDirectoryServer::StartSlapd();
    wedesk::config::LdapConfig cfg = [this] {
        auto c = server->Config();
        c.protected_groups = {kGroup};
        return c;
    }();
    LdapDirectory directory{cfg};

    int Bind(const std::string& uid, const std::string& pw, bool probe = false) const {
        return UserBind(server->Get("LDAPS_URI"), server->Get("CA_FILE"), UserDn(uid), pw, probe)
            .rc;
    }
    std::string Attr(const std::string& uid, const std::string& attr) const {
        return wedesk::testing::ReadAttr(server->Get("LDAPS_URI"), server->Get("CA_FILE"),
                                         server->Get("BIND_DN"), server->Get("BIND_PW"),
                                         UserDn(uid), attr);
    }
};

}  // namespace

TEST_CASE("openldap: find reads the entry, mobile and flags", "[integration]") {
    Rig rig;
    REQUIRE(rig.directory.Ping().ok());

    auto a = rig.directory.Find("alice");
    REQUIRE(a.ok());
    CHECK(a->account == "alice");
    CHECK(a->dn == UserDn("alice"));
    CHECK(a->display_name == "Alice Test");
    CHECK(a->mobile == std::optional<std::string>("+8613800000001"));
    CHECK_FALSE(a->locked);
    CHECK_FALSE(a->is_protected);

    auto bob = rig.directory.Find("bob");
    REQUIRE(bob.ok());
    CHECK(bob->display_name == "Bob Test");
    CHECK_FALSE(bob->mobile.has_value());

    auto carol = rig.directory.Find("carol");
    REQUIRE(carol.ok());
    CHECK(carol->is_protected);

    CHECK(rig.directory.Find("nobody").error().code == wedesk::Errc::kNotFound);
    CHECK(rig.directory.Find("").error().code == wedesk::Errc::kNotFound);
}

TEST_CASE("openldap: the mobile attribute is configurable, with fallbacks", "[integration]") {
    Rig rig;
    auto cfg = rig.cfg;
    cfg.mobile_attr = "mobile, telephoneNumber";
    LdapDirectory d(cfg);
    CHECK(d.Find("alice")->mobile == std::optional<std::string>("+8613800000001"));
    CHECK(d.Find("bob")->mobile == std::optional<std::string>("+86 10 5555 0002"));
    cfg.mobile_attr = "telephoneNumber";
    LdapDirectory t(cfg);
    CHECK(t.Find("alice")->mobile == std::optional<std::string>("+86 10 5555 0001"));
}

TEST_CASE("openldap: filter input is escaped", "[integration]") {
    Rig rig;
    for (const char* evil : {"*", "*)(uid=*", "alice)(uid=*", "*)(|(uid=*", "al*", "\\2a"}) {
        INFO(evil);
        auto r = rig.directory.Find(evil);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == wedesk::Errc::kNotFound);
    }
}

TEST_CASE("openldap: reset over ldaps and StartTLS: new password binds, old does not",
          "[integration]") {
    Rig rig;
    auto a = rig.directory.Find("alice");
    REQUIRE(a.ok());
    REQUIRE(rig.Bind("alice", kOldPw) == LDAP_SUCCESS);

    auto r = rig.directory.SetPassword(*a, Secret("New-Passw0rd-1"), false);
    REQUIRE(r.ok());
    CHECK(rig.Bind("alice", "New-Passw0rd-1", true) == LDAP_SUCCESS);
    CHECK(rig.Bind("alice", kOldPw) == LDAP_INVALID_CREDENTIALS);
    CHECK(rig.Attr("alice", "pwdReset").empty());

    LdapDirectory starttls(rig.server->Config(true));
    auto d = starttls.Find("dave");
    REQUIRE(d.ok());
    REQUIRE(starttls.SetPassword(*d, Secret("Dave-Passw0rd-2"), false).ok());
    CHECK(rig.Bind("dave", "Dave-Passw0rd-2", true) == LDAP_SUCCESS);
    CHECK(rig.Bind("dave", kOldPw) == LDAP_INVALID_CREDENTIALS);
}

TEST_CASE("openldap: a temporary password must be changed", "[integration]") {
    Rig rig;
    auto a = rig.directory.Find("alice");
    REQUIRE(a.ok());
    REQUIRE(rig.directory.SetPassword(*a, Secret("Temp-Passw0rd"), true).ok());
    CHECK(rig.Attr("alice", "pwdReset") == "TRUE");
    // The bind works, but anything except changing the password is refused.
    CHECK(rig.Bind("alice", "Temp-Passw0rd") == LDAP_SUCCESS);
    CHECK(rig.Bind("alice", "Temp-Passw0rd", true) == LDAP_INSUFFICIENT_ACCESS);

    // A later reset without must_change leaves the user free again.
    REQUIRE(rig.directory.SetPassword(*a, Secret("Final-Passw0rd"), false).ok());
    CHECK(rig.Attr("alice", "pwdReset").empty());
    CHECK(rig.Bind("alice", "Final-Passw0rd", true) == LDAP_SUCCESS);
}

TEST_CASE("openldap: weak passwords are refused by ppolicy, naming the rule", "[integration]") {
    Rig rig;
    auto a = rig.directory.Find("alice");
    REQUIRE(a.ok());

    auto r = rig.directory.SetPassword(*a, Secret("short1"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
    CHECK_THAT(r.error().message, Catch::Contains("too short"));
    CHECK(rig.Bind("alice", kOldPw) == LDAP_SUCCESS);

    REQUIRE(rig.directory.SetPassword(*a, Secret("Second-Passw0rd"), false).ok());
    r = rig.directory.SetPassword(*a, Secret("Second-Passw0rd"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
    CHECK_THAT(r.error().message, Catch::Contains("history"));

    r = rig.directory.SetPassword(*a, Secret(""), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
    CHECK(rig.Bind("alice", "Second-Passw0rd") == LDAP_SUCCESS);
}

TEST_CASE("openldap: unlock clears a lockout, and so does a reset", "[integration]") {
    Rig rig;
    for (int i = 0; i < 3; ++i) {
        REQUIRE(rig.Bind("bob", "wrong-password") == LDAP_INVALID_CREDENTIALS);
    }
    CHECK(rig.Bind("bob", kOldPw) == LDAP_INVALID_CREDENTIALS);  // locked
    auto bob = rig.directory.Find("bob");
    REQUIRE(bob.ok());
    CHECK(bob->locked);

    auto unlocked = rig.directory.Unlock(*bob);
    INFO((unlocked.ok() ? std::string() : unlocked.error().message));
    REQUIRE(unlocked.ok());
    CHECK_FALSE(rig.directory.Find("bob")->locked);
    CHECK(rig.Attr("bob", "pwdAccountLockedTime").empty());
    CHECK(rig.Bind("bob", kOldPw, true) == LDAP_SUCCESS);
    // Unlocking an account that is not locked is fine.
    CHECK(rig.directory.Unlock(*bob).ok());

    for (int i = 0; i < 3; ++i) {
        REQUIRE(rig.Bind("bob", "wrong-password") == LDAP_INVALID_CREDENTIALS);
    }
    REQUIRE(rig.directory.Find("bob")->locked);
    REQUIRE(rig.directory.SetPassword(*bob, Secret("Bob-New-Passw0rd"), false).ok());
    CHECK_FALSE(rig.directory.Find("bob")->locked);
    CHECK(rig.Bind("bob", "Bob-New-Passw0rd", true) == LDAP_SUCCESS);
}

TEST_CASE("openldap: protected accounts are never written", "[integration]") {
    Rig rig;
    auto carol = rig.directory.Find("carol");
    REQUIRE(carol.ok());
    REQUIRE(carol->is_protected);
    auto r = rig.directory.SetPassword(*carol, Secret("Hijack-Passw0rd"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kProtected);
    CHECK(rig.directory.Unlock(*carol).error().code == wedesk::Errc::kProtected);
    CHECK(rig.Bind("carol", kOldPw) == LDAP_SUCCESS);

    // A forged Account naming carol's DN under another name is refused as well.
    auto forged = *rig.directory.Find("alice");
    forged.dn = UserDn("carol");
    CHECK_FALSE(rig.directory.SetPassword(forged, Secret("Hijack-Passw0rd"), false).ok());
    CHECK(rig.Bind("carol", kOldPw) == LDAP_SUCCESS);

    // The service account itself lies outside base_dn's users.
    wedesk::directory::Account bot;
    bot.account = "resetbot";
    bot.dn = rig.server->Get("BIND_DN");
    CHECK(rig.directory.SetPassword(bot, Secret("Hijack-Passw0rd"), false).error().code ==
          wedesk::Errc::kNotFound);
}

TEST_CASE("openldap: TLS and network failures are 'unavailable'", "[integration]") {
    Rig rig;
    auto cfg = rig.cfg;
    cfg.ca_file = wedesk::testing::MakeOtherCa(rig.server->dir());
    LdapDirectory wrong_ca(cfg);
    CHECK(wrong_ca.Ping().error().code == wedesk::Errc::kUnavailable);
    CHECK(wrong_ca.Find("alice").error().code == wedesk::Errc::kUnavailable);
    cfg.starttls = true;
    cfg.uri = rig.server->Get("LDAP_URI");
    CHECK(LdapDirectory(cfg).Find("alice").error().code == wedesk::Errc::kUnavailable);

    auto down = rig.cfg;
    down.uri = "ldaps://127.0.0.1:" + std::to_string(wedesk::testing::FreePort());
    LdapDirectory d(down);
    auto r = d.Find("alice");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kUnavailable);
    wedesk::directory::Account a;
    a.account = "alice";
    a.dn = UserDn("alice");
    CHECK(d.SetPassword(a, Secret("New-Passw0rd-1"), false).error().code ==
          wedesk::Errc::kUnavailable);
    CHECK(d.Unlock(a).error().code == wedesk::Errc::kUnavailable);

    auto bad_bind = rig.cfg;
    bad_bind.bind_password = Secret("not-the-password");
    CHECK(LdapDirectory(bad_bind).Ping().error().code == wedesk::Errc::kDenied);
}

namespace {

/// A TCP listener on loopback that completes handshakes (the kernel's backlog) and never reads
/// or writes: a TLS client hello waits forever.
class SilentListener {
public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("openldap: a directory that hangs costs at most timeout_s, then the circuit opens",
          "[integration]") {
    Rig rig;
    SECTION("a listener that accepts and never speaks (the TLS handshake hangs)") {
        SilentListener silent;
        auto cfg = rig.cfg;
        cfg.uri = "ldaps://127.0.0.1:" + std::to_string(silent.port());
        cfg.timeout_s = 1;
        LdapDirectory d(cfg);
        for (int i = 0; i < LdapDirectory::kBreakerFailures; ++i) {
            const auto start = std::chrono::steady_clock::now();
            auto r = d.Find("alice");
            const double took = SecondsSince(start);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == wedesk::Errc::kUnavailable);
            CHECK(took < 4.0);  // the 1 s deadline, with room for a loaded machine
        }
        CHECK(d.CircuitOpen());
        auto paused = d.Find("alice");
        REQUIRE_FALSE(paused.ok());
        CHECK(paused.error().code == wedesk::Errc::kUnavailable);
        CHECK_THAT(paused.error().message, Catch::Contains("circuit open"));
    }
    SECTION("slapd frozen mid-service (SIGSTOP)") {
        auto cfg = rig.cfg;
        cfg.timeout_s = 1;
        LdapDirectory d(cfg);
        REQUIRE(d.Find("alice").ok());
        const pid_t pid = std::stoi(ReadFile(rig.server->Get("PID_FILE")));
        REQUIRE(::kill(pid, SIGSTOP) == 0);
        const auto start = std::chrono::steady_clock::now();
        auto r = d.Find("alice");
        const double took = SecondsSince(start);
        ::kill(pid, SIGCONT);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == wedesk::Errc::kUnavailable);
        CHECK(took < 4.0);
        // Thawed, it answers again (one failure does not open the circuit).
        CHECK_FALSE(d.CircuitOpen());
        CHECK(d.Find("alice").ok());
    }
}
