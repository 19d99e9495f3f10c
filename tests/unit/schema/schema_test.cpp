// schema::All(): every module's migrations in one ordered list, and what it does to a database.
#include "wedesk/schema/all.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "fakes/temp_dir.hpp"
#include "wedesk/directory/schema.hpp"
#include "wedesk/kb/schema.hpp"
#include "wedesk/outbox/schema.hpp"
#include "wedesk/reset/schema.hpp"
#include "wedesk/tickets/schema.hpp"

using namespace wedesk;

TEST_CASE("every module's migrations are applied once, in version order", "[unit][store]") {
    const auto& all = schema::All();
    std::size_t parts = store::CoreMigrations().size() + tickets::Migrations().size() +
                        kb::Migrations().size() + reset::Migrations().size() +
                        directory::Migrations().size() + outbox::Migrations().size();
    REQUIRE(all.size() == parts);
    for (std::size_t i = 1; i < all.size(); ++i) {
        CHECK(all[i - 1].version < all[i].version);  // unique and sorted
    }
    // The numbers have no holes: a hole means a migration was lost in a merge.
    CHECK(all.front().version == 1);
    CHECK(all.back().version == static_cast<int>(all.size()));

    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("s.db"), all);
    CHECK(db->SchemaVersion() == all.back().version);
    // Each module's tables exist.
    for (const char* table : {"users", "dialogs", "inbound_messages", "tickets", "kb_articles",
                              "reset_sessions", "directory_accounts", "outbox"}) {
        CAPTURE(table);
        CHECK(db->Conn()
                  .execAndGet(std::string("SELECT count(*) FROM sqlite_master WHERE name = '") +
                              table + "'")
                  .getInt() == 1);
    }
}

TEST_CASE("a database opened with only the store's migrations has only the store's tables",
          "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("core.db"), store::CoreMigrations());
    CHECK(
        db->Conn().execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'users'").getInt() ==
        1);
    CHECK(db->Conn()
              .execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'tickets'")
              .getInt() == 0);
}
