#include <catch2/catch.hpp>

#include <thread>

#include "fakes/temp_dir.hpp"
#include "wedesk/directory/local_directory.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"

using wedesk::Secret;
using wedesk::directory::LocalDirectory;

namespace {

struct Fixture {
    wedesk::testing::TempDir dir;
    std::unique_ptr<wedesk::store::Database> db =
        wedesk::store::Database::Open(dir.File("t.db"), wedesk::schema::All());
    LocalDirectory directory{*db};

    Fixture() {
        REQUIRE(
            directory.AddAccount("alice", "Alice Test", "+8613800000001", Secret("Old-Passw0rd"))
                .ok());
        REQUIRE(
            directory.AddAccount("root", "Root", std::nullopt, Secret("Root-Passw0rd"), true).ok());
    }
};

}  // namespace

TEST_CASE("local directory finds accounts", "[unit]") {
    Fixture f;
    auto a = f.directory.Find("alice");
    REQUIRE(a.ok());
    CHECK(a->account == "alice");
    CHECK(a->dn == "alice");
    CHECK(a->display_name == "Alice Test");
    CHECK(a->mobile == std::optional<std::string>("+8613800000001"));
    CHECK_FALSE(a->locked);
    CHECK_FALSE(a->is_protected);
    CHECK(f.directory.Find("ALICE").ok());

    auto r = f.directory.Find("root");
    REQUIRE(r.ok());
    CHECK(r->is_protected);
    CHECK_FALSE(r->mobile.has_value());

    CHECK(f.directory.Find("nobody").error().code == wedesk::Errc::kNotFound);
    CHECK(f.directory.Find("' OR 1=1 --").error().code == wedesk::Errc::kNotFound);
    CHECK(f.directory.Ping().ok());
}

TEST_CASE("local directory stores salted slow hashes, never the password", "[unit]") {
    Fixture f;
    REQUIRE(f.directory.AddAccount("bob", "Bob", std::nullopt, Secret("Old-Passw0rd")).ok());
    wedesk::store::Query q(f.db->Conn(),
                           "SELECT password_hash FROM directory_accounts WHERE account IN "
                           "('alice', 'bob') ORDER BY account");
    REQUIRE(q.executeStep());
    const std::string alice = q.getColumn(0).getString();
    REQUIRE(q.executeStep());
    const std::string bob = q.getColumn(0).getString();
    CHECK(alice.rfind("pbkdf2-sha256$200000$", 0) == 0);
    CHECK(alice.find("Old-Passw0rd") == std::string::npos);
    CHECK(alice != bob);  // same password, different salt
    CHECK(f.directory.CheckPassword("alice", Secret("Old-Passw0rd")));
    CHECK(f.directory.CheckPassword("bob", Secret("Old-Passw0rd")));
    CHECK_FALSE(f.directory.CheckPassword("alice", Secret("old-passw0rd")));
    CHECK_FALSE(f.directory.CheckPassword("nobody", Secret("Old-Passw0rd")));
}

TEST_CASE("local directory reset: new password works, old does not", "[unit]") {
    Fixture f;
    auto a = f.directory.Find("alice");
    REQUIRE(a.ok());
    REQUIRE(f.directory.SetPassword(*a, Secret("New-Passw0rd"), false).ok());
    CHECK(f.directory.CheckPassword("alice", Secret("New-Passw0rd")));
    CHECK_FALSE(f.directory.CheckPassword("alice", Secret("Old-Passw0rd")));
    CHECK_FALSE(f.directory.MustChange("alice"));

    REQUIRE(f.directory.SetPassword(*a, Secret("Temp-Passw0rd"), true).ok());
    CHECK(f.directory.MustChange("alice"));
    REQUIRE(f.directory.SetPassword(*a, Secret("Other-Passw0rd"), false).ok());
    CHECK_FALSE(f.directory.MustChange("alice"));
}

TEST_CASE("local directory policy refuses weak passwords and says why", "[unit]") {
    Fixture f;
    auto a = f.directory.Find("alice");
    REQUIRE(a.ok());
    auto r = f.directory.SetPassword(*a, Secret("short"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
    CHECK_THAT(r.error().message, Catch::Contains("too short"));

    r = f.directory.SetPassword(*a, Secret("Old-Passw0rd"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kPolicy);
    CHECK_THAT(r.error().message, Catch::Contains("current"));
    CHECK(f.directory.CheckPassword("alice", Secret("Old-Passw0rd")));
}

TEST_CASE("local directory lock, unlock, and reset clears the lock", "[unit]") {
    Fixture f;
    REQUIRE(f.directory.Lock("alice").ok());
    auto a = f.directory.Find("alice");
    REQUIRE(a.ok());
    CHECK(a->locked);
    REQUIRE(f.directory.Unlock(*a).ok());
    CHECK_FALSE(f.directory.Find("alice")->locked);
    CHECK(f.directory.CheckPassword("alice", Secret("Old-Passw0rd")));

    REQUIRE(f.directory.Lock("alice").ok());
    REQUIRE(f.directory.SetPassword(*a, Secret("New-Passw0rd"), false).ok());
    CHECK_FALSE(f.directory.Find("alice")->locked);
    CHECK(f.directory.Lock("nobody").error().code == wedesk::Errc::kNotFound);
}

TEST_CASE("local directory refuses protected and unknown accounts", "[unit]") {
    Fixture f;
    auto root = f.directory.Find("root");
    REQUIRE(root.ok());
    auto r = f.directory.SetPassword(*root, Secret("New-Passw0rd"), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kProtected);
    CHECK(f.directory.CheckPassword("root", Secret("Root-Passw0rd")));
    CHECK(f.directory.Unlock(*root).error().code == wedesk::Errc::kProtected);

    wedesk::directory::Account ghost;
    ghost.account = "ghost";
    CHECK(f.directory.SetPassword(ghost, Secret("New-Passw0rd"), false).error().code ==
          wedesk::Errc::kNotFound);
}

TEST_CASE("local directory works from several threads", "[unit]") {
    Fixture f;
    auto a = f.directory.Find("alice");
    REQUIRE(a.ok());
    bool ok1 = false;
    bool ok2 = false;
    std::thread t1([&] { ok1 = f.directory.Find("alice").ok(); });
    std::thread t2(
        [&] { ok2 = f.directory.SetPassword(*a, Secret("Thread-Passw0rd"), false).ok(); });
    t1.join();
    t2.join();
    CHECK(ok1);
    CHECK(ok2);
    CHECK(f.directory.CheckPassword("alice", Secret("Thread-Passw0rd")));
}
