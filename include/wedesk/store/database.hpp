#pragma once
/// Database: the SQLite file every module stores into. Opening sets WAL, foreign keys and a
/// busy timeout, and applies the numbered migrations (src/store/migrations.cpp) in order.
/// Each thread gets its own connection (created on first use), so nothing SQLite is shared
/// between threads. WriteTx is one logical step: BEGIN IMMEDIATE ... COMMIT, or rollback.
///
/// Only store/ and the adapters that implement repositories include SQLiteCpp; modules above
/// (bot, tickets, reset, kb) see repository interfaces.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace SQLite {
class Database;
}

namespace wedesk::store {

/// One schema change: applied once, in version order, inside a transaction.
struct Migration {
    int version;
    const char* name;
    const char* sql;
};

class Database final {
public:
    /// Opens (creating if needed) and migrates. Throws std::runtime_error when the file cannot
    /// be opened or a migration fails: a fatal start-up problem. ":memory:" gives one shared
    /// connection (single-threaded tests only).
    static std::unique_ptr<Database> Open(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// The calling thread's connection.
    SQLite::Database& Conn();
    const std::string& path() const { return path_; }
    /// PRAGMA user_version after migrations.
    int SchemaVersion();
    /// `PRAGMA quick_check` answers "ok": for /healthz.
    bool Healthy();
    /// Online copy to `dest` with the SQLite backup API (safe while others write).
    void Backup(const std::string& dest);
    /// Truncating WAL checkpoint, for a clean shutdown.
    void Checkpoint();

private:
    explicit Database(std::string path);
    std::unique_ptr<SQLite::Database> NewConnection() const;
    void Migrate();

    friend class WriteTx;

    std::string path_;
    std::mutex mu_;  // guards conns_
    // Serialises this process's write transactions. SQLite would serialise them too, but its
    // busy handler makes waiters sleep (1, 2, 5 ... 100 ms), which under load turns a 1 ms
    // commit queue into 100+ ms tail latency; a mutex hands the lock over at once.
    std::mutex write_mu_;
    std::atomic<std::thread::id> write_owner_{};  // a nested WriteTx fails in SQLite, not here
    std::unordered_map<std::thread::id, std::unique_ptr<SQLite::Database>> conns_;
};

/// RAII write transaction on the calling thread's connection: BEGIN IMMEDIATE (so concurrent
/// writers queue on busy_timeout instead of failing on upgrade), Commit() or rollback.
class WriteTx final {
public:
    explicit WriteTx(Database& db);
    ~WriteTx();
    WriteTx(const WriteTx&) = delete;
    WriteTx& operator=(const WriteTx&) = delete;
    void Commit();
    SQLite::Database& Conn() { return conn_; }

private:
    void Release();

    Database& db_;
    std::unique_lock<std::mutex> lock_;  // Database::write_mu_, held until COMMIT or ROLLBACK
    SQLite::Database& conn_;
    bool done_ = false;
};

/// All migrations in version order (defined in src/store/migrations.cpp).
const std::vector<Migration>& Migrations();

}  // namespace wedesk::store
