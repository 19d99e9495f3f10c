#include "wedesk/store/database.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>

#include "wedesk/common/log.hpp"

namespace wedesk::store {

namespace {
constexpr int kBusyTimeoutMs = 10000;
}

std::unique_ptr<Database> Database::Open(const std::string& path) {
    if (path != ":memory:") {
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(parent, ec);
        }
    }
    std::unique_ptr<Database> db(new Database(path));
    try {
        db->Migrate();
    } catch (const SQLite::Exception& e) {
        throw std::runtime_error("database " + path + ": " + e.what());
    }
    return db;
}

Database::Database(std::string path) : path_(std::move(path)) {}

Database::~Database() = default;

std::unique_ptr<SQLite::Database> Database::NewConnection() const {
    try {
        auto conn = std::make_unique<SQLite::Database>(
            path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
        conn->setBusyTimeout(kBusyTimeoutMs);
        conn->exec("PRAGMA journal_mode=WAL");
        // NORMAL is durable against process crashes in WAL mode (only power loss can drop the
        // last commits), which is the guarantee WeCom retries need.
        conn->exec("PRAGMA synchronous=NORMAL");
        conn->exec("PRAGMA foreign_keys=ON");
        return conn;
    } catch (const SQLite::Exception& e) {
        throw std::runtime_error("cannot open database " + path_ + ": " + e.what());
    }
}

SQLite::Database& Database::Conn() {
    std::lock_guard lock(mu_);
    const auto key = path_ == ":memory:" ? std::thread::id{} : std::this_thread::get_id();
    auto it = conns_.find(key);
    if (it == conns_.end()) {
        it = conns_.emplace(key, NewConnection()).first;
    }
    return *it->second;
}

void Database::Migrate() {
    auto& conn = Conn();
    int current = conn.execAndGet("PRAGMA user_version").getInt();
    for (const auto& m : Migrations()) {
        if (m.version <= current) {
            continue;
        }
        SQLite::Transaction tx(conn, SQLite::TransactionBehavior::IMMEDIATE);
        // Re-read inside the write lock: another process may have migrated meanwhile.
        current = conn.execAndGet("PRAGMA user_version").getInt();
        if (m.version <= current) {
            continue;
        }
        conn.exec(m.sql);
        conn.exec("PRAGMA user_version=" + std::to_string(m.version));
        tx.commit();
        log::Get("store")->info("applied migration {} ({})", m.version, m.name);
        current = m.version;
    }
}

int Database::SchemaVersion() { return Conn().execAndGet("PRAGMA user_version").getInt(); }

bool Database::Healthy() {
    try {
        return Conn().execAndGet("PRAGMA quick_check").getString() == "ok";
    } catch (const SQLite::Exception&) {
        return false;
    }
}

void Database::Backup(const std::string& dest) {
    SQLite::Database out(dest, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Backup backup(out, Conn());
    // Copy in steps so writers are not blocked for the whole copy.
    while (backup.executeStep(256) != SQLITE_DONE) {
    }
}

void Database::Checkpoint() { Conn().exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

WriteTx::WriteTx(Database& db) : db_(db), lock_(db.write_mu_, std::defer_lock), conn_(db.Conn()) {
    if (db_.write_owner_.load() != std::this_thread::get_id()) {
        lock_.lock();
        db_.write_owner_ = std::this_thread::get_id();
    }
    try {
        conn_.exec("BEGIN IMMEDIATE");
    } catch (...) {
        Release();
        throw;
    }
}

WriteTx::~WriteTx() {
    if (!done_) {
        try {
            conn_.exec("ROLLBACK");
        } catch (const SQLite::Exception&) {
            // Nothing more to do: the connection has already rolled back.
        }
    }
    Release();
}

void WriteTx::Commit() {
    conn_.exec("COMMIT");
    done_ = true;
    Release();
}

void WriteTx::Release() {
    if (lock_.owns_lock()) {
        db_.write_owner_ = std::thread::id{};
        lock_.unlock();
    }
}

}  // namespace wedesk::store
