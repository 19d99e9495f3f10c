// store::Database and store::Query: the statement cache, read-only readers, StepTx and
// AfterCommit actions.
#include "wedesk/store/database.hpp"
#include "wedesk/schema/all.hpp"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <thread>

#include "fakes/temp_dir.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/store/sql.hpp"

using namespace wedesk;

namespace {
// Schema and fixtures are written the way every module writes: in a write transaction (a read
// connection is read-only).
void Write(store::Database& db, const std::string& sql) {
    store::WriteTx tx(db);
    tx.Conn().exec(sql);
    tx.Commit();
}
}  // namespace

TEST_CASE("a prepared statement comes back reset and unbound", "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("p.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (k TEXT, v INTEGER)");
    Write(*db, "INSERT INTO t VALUES ('a', 1), ('b', 2)");
    const std::string sql = "SELECT v FROM t WHERE k = ?";
    {
        wedesk::store::Query q(db->Conn(), sql);
        q.bind(1, "a");
        REQUIRE(q.executeStep());
        CHECK(q.getColumn(0).getInt() == 1);
        // Left mid-result on purpose: the handle's end must reset it.
    }
    {
        wedesk::store::Query q(db->Conn(), sql);
        // Bindings were cleared: an unbound parameter is NULL and matches nothing.
        CHECK_FALSE(q.executeStep());
    }
    wedesk::store::Query q(db->Conn(), sql);
    q.bind(1, "b");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt() == 2);
}

TEST_CASE("the same SQL used twice at once gets two statements", "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("p.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (v INTEGER)");
    Write(*db, "INSERT INTO t VALUES (1), (2), (3)");
    const std::string sql = "SELECT v FROM t ORDER BY v";
    wedesk::store::Query outer(db->Conn(), sql);
    int pairs = 0;
    while (outer.executeStep()) {
        wedesk::store::Query inner(db->Conn(), sql);
        while (inner.executeStep()) {
            ++pairs;
        }
    }
    CHECK(pairs == 9);
}

TEST_CASE("a released statement does not keep an old snapshot on its connection", "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("p.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (v INTEGER)");
    Write(*db, "INSERT INTO t VALUES (1), (2)");
    const std::string sql = "SELECT count(*) FROM t";
    {
        wedesk::store::Query q(db->Conn(), sql);
        REQUIRE(q.executeStep());
        CHECK(q.getColumn(0).getInt() == 2);
    }
    // Another thread commits through the writer connection.
    std::thread([&] {
        store::WriteTx tx(*db);
        tx.Conn().exec("INSERT INTO t VALUES (3)");
        tx.Commit();
    }).join();
    wedesk::store::Query q(db->Conn(), sql);
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt() == 3);
}

TEST_CASE("a read connection is read-only: a write outside a transaction fails loudly",
          "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("r.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (v INTEGER)");
    CHECK(db->Conn().read_only());
    try {
        db->Conn().exec("INSERT INTO t VALUES (1)");
        FAIL("a read connection accepted an INSERT");
    } catch (const store::Error& e) {
        CHECK(e.code() == 8);  // SQLITE_READONLY
        CHECK_FALSE(e.constraint());
    }
    CHECK(db->Conn().execAndGet("SELECT count(*) FROM t").getInt() == 0);
    store::WriteTx tx(*db);
    CHECK_FALSE(tx.Conn().read_only());  // the writer, lent to this thread while it holds tx
    CHECK(&db->Conn() == &tx.Conn());
}

TEST_CASE("a constraint violation is a store::Error that says so", "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("c.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (v INTEGER UNIQUE)");
    store::WriteTx tx(*db);
    tx.Conn().exec("INSERT INTO t VALUES (1)");
    store::Query q(tx.Conn(), "INSERT INTO t VALUES (?)");
    q.bind(1, 1);
    try {
        q.exec();
        FAIL("a duplicate passed a UNIQUE constraint");
    } catch (const store::Error& e) {
        CHECK(e.constraint());
    }
}

TEST_CASE("a step joins the thread's transaction as a savepoint, or opens its own",
          "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("s.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (v INTEGER)");
    auto count = [&] { return db->Conn().execAndGet("SELECT count(*) FROM t").getInt(); };
    {
        store::StepTx step(*db, "s");
        CHECK_FALSE(step.joined());
        step.Conn().exec("INSERT INTO t VALUES (1)");
        step.Commit();
    }
    CHECK(count() == 1);
    {
        store::StepTx step(*db, "s");
        step.Conn().exec("INSERT INTO t VALUES (2)");
    }  // no Commit: undone
    CHECK(count() == 1);
    {
        store::WriteTx outer(*db);
        outer.Conn().exec("INSERT INTO t VALUES (10)");
        {
            store::StepTx kept(*db, "s");
            CHECK(kept.joined());
            CHECK(&kept.Conn() == &outer.Conn());
            kept.Conn().exec("INSERT INTO t VALUES (11)");
            kept.Commit();
        }
        {
            store::StepTx undone(*db, "s");
            undone.Conn().exec("INSERT INTO t VALUES (12)");
        }
        outer.Commit();
    }
    CHECK(count() == 3);
    CHECK(db->Conn().execAndGet("SELECT count(*) FROM t WHERE v = 12").getInt() == 0);
    {
        store::WriteTx outer(*db);
        store::StepTx step(*db, "s");
        step.Conn().exec("INSERT INTO t VALUES (20)");
        step.Commit();
    }  // the outer transaction is not committed: the step goes with it
    CHECK(count() == 3);
}

TEST_CASE("after-commit actions run once the transaction committed, outside the writer lock",
          "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("a.db"), wedesk::schema::All());
    Write(*db, "CREATE TABLE t (x INTEGER)");
    std::vector<std::string> ran;
    // No transaction on this thread: at once.
    db->AfterCommit([&] { ran.push_back("now"); });
    CHECK(ran == std::vector<std::string>{"now"});

    {
        store::WriteTx tx(*db);
        tx.Conn().exec("INSERT INTO t VALUES (1)");
        db->AfterCommit([&] {
            // Committed, and this thread may write again: the writer lock is free.
            store::WriteTx again(*db);
            again.Conn().exec("INSERT INTO t VALUES (2)");
            again.Commit();
            ran.push_back("after commit");
        });
        CHECK(ran.size() == 1);  // not before the commit
        tx.Commit();
    }
    CHECK(ran.back() == "after commit");
    CHECK(db->Conn().execAndGet("SELECT count(*) FROM t").getInt() == 2);

    {
        store::WriteTx tx(*db);
        db->AfterCommit([&] { ran.push_back("rolled back"); });
    }  // no Commit: rolled back, the action is dropped
    {
        store::WriteTx tx(*db);
        {
            store::StepTx kept(*db, "kept");
            db->AfterCommit([&] { ran.push_back("kept step"); });
            kept.Commit();
        }
        {
            store::StepTx undone(*db, "undone");
            db->AfterCommit([&] { ran.push_back("undone step"); });
        }  // the savepoint rolls back, with its action
        tx.Commit();
    }
    CHECK(ran == std::vector<std::string>{"now", "after commit", "kept step"});

    // An action that throws is logged; the next one still runs.
    {
        store::WriteTx tx(*db);
        db->AfterCommit([] { throw std::runtime_error("provider down"); });
        db->AfterCommit([&] { ran.push_back("second"); });
        tx.Commit();
    }
    CHECK(ran.back() == "second");
}

TEST_CASE("SQL run on a connection by a thread that must not use it is reported", "[unit][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("o.db"), wedesk::schema::All());
    const std::string log_file = dir.File("wedesk.log");
    REQUIRE(log::Setup("warn", "text", log_file));
    auto read_log = [&] {
        spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
        std::ifstream in(log_file);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    wedesk::store::Conn& mine = db->Conn();  // this thread's read connection
    mine.exec("SELECT 1");
    CHECK(read_log().find("bug:") == std::string::npos);  // its own thread: fine
    std::thread([&] { mine.exec("SELECT 2"); }).join();
    const auto logged = read_log();
    CHECK(logged.find("runs SQL on another thread's read connection: SELECT 2") !=
          std::string::npos);
    log::Setup("warn", "text");
}
