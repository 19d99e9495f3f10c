#pragma once
/// Database: the SQLite file every module stores into. Opening sets WAL, foreign keys and a
/// busy timeout, and applies the given migrations (schema::All(): every module's, by version) in
/// order. Reads use the calling thread's own connection (created on first use). Writes go through
/// WriteTx, one logical step (BEGIN IMMEDIATE ... COMMIT, or rollback) on the one *writer*
/// connection, which the transaction lends to its thread: while a thread holds a WriteTx,
/// Conn() returns the writer connection to it. Only one WriteTx exists at a time, so the
/// writer's page cache stays warm (in WAL mode a commit by another connection would empty it).
///
/// SQLiteCpp is linked privately: modules see store/sql.hpp (Conn, Query, Error) only. Read
/// connections are opened read-only, so a write outside a transaction fails loudly.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "wedesk/store/sql.hpp"

namespace wedesk::store {

class Database;

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
    static std::unique_ptr<Database> Open(const std::string& path,
                                          const std::vector<Migration>& migrations);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// The calling thread's connection: the writer connection while this thread holds a
    /// WriteTx, its own read-only connection otherwise.
    store::Conn& Conn();
    const std::string& path() const { return path_; }
    /// PRAGMA user_version after migrations.
    int SchemaVersion();
    /// `PRAGMA quick_check` answers "ok": for /healthz.
    bool Healthy();
    /// Online copy to `dest` with the SQLite backup API (safe while others write). The copy
    /// is written to a new file of mode 0600 beside `dest` and renamed onto it, so a reader
    /// never sees half a copy. Throws std::runtime_error when `dest` exists and `overwrite`
    /// is false, or the copy fails.
    void Backup(const std::string& dest, bool overwrite = false);
    /// Truncating WAL checkpoint, for a clean shutdown.
    void Checkpoint();
    /// A PASSIVE checkpoint on the calling thread's connection (does not wait for readers or
    /// block writers). Returns the WAL frames still not checkpointed.
    int CheckpointPassive();
    /// Takes checkpoints out of the writer's COMMIT: by default SQLite checkpoints inside the
    /// commit that grows the WAL past 1000 pages, with an fsync, while every queued delivery
    /// waits. After this call the writer never checkpoints; `wal_pages(n)` is called after
    /// each of its commits with the WAL size, so the caller can run CheckpointPassive() on
    /// another thread. Call at start-up, before the writer is busy; an empty function restores
    /// SQLite's automatic checkpoints (at shutdown, once no other thread writes).
    void MoveCheckpointsOffWriter(std::function<void(int wal_pages)> wal_pages);

    /// Runs `fn` once the calling thread's write transaction has committed, outside the writer
    /// lock: for calls to other systems (an SMS provider) that must not hold every other write
    /// up. Dropped when that transaction, or the StepTx savepoint it was registered in, rolls
    /// back. Without a write transaction on this thread, `fn` runs at once. An action that
    /// throws is logged and the others still run.
    void AfterCommit(std::function<void()> fn);
    /// For a caller that commits many units of work at once (MessagePipeline): the actions
    /// registered since `AfterCommitMark()` are taken out (to be run by the unit's own thread
    /// with RunActions) or dropped (the unit was undone). Writer-owner only.
    std::size_t AfterCommitMark() const { return after_commit_.size(); }
    std::vector<std::function<void()>> TakeAfterCommit(std::size_t mark);
    void DropAfterCommit(std::size_t mark);
    static void RunActions(std::vector<std::function<void()>>& actions);

private:
    explicit Database(std::string path);
    std::unique_ptr<store::Conn> NewConnection(bool read_only) const;
    /// Logs (once per connection) SQL run on a connection by a thread that must not use it: a
    /// read connection's own thread, the writer's current owner. A check for a bug class that
    /// SQLite itself does not report; the cost is one callback per statement run.
    void WatchOwner(store::Conn& conn, bool writer, std::thread::id owner);
    struct ConnOwner;
    store::Conn& WriterConn();
    void InstallWalHook(store::Conn& writer);
    void Migrate(const std::vector<Migration>& migrations);

    friend class WriteTx;
    friend class StepTx;

    std::string path_;
    std::mutex mu_;  // guards conns_ and writer_
    // Serialises this process's write transactions. SQLite would serialise them too, but its
    // busy handler makes waiters sleep (1, 2, 5 ... 100 ms), which under load turns a 1 ms
    // commit queue into 100+ ms tail latency; a mutex hands the lock over at once.
    std::mutex write_mu_;
    std::atomic<std::thread::id> write_owner_{};  // a nested WriteTx fails in SQLite, not here
    // WatchOwner contexts (guarded by mu_); declared before the connections that use them.
    std::vector<std::unique_ptr<ConnOwner>> owners_;
    // Read connections (read-only), one per thread that reads.
    std::unordered_map<std::thread::id, std::unique_ptr<store::Conn>> conns_;
    // Used only by the thread holding write_mu_ (":memory:" uses its single connection).
    std::unique_ptr<store::Conn> writer_;
    // Checkpoints need a read-write connection of their own (a read-only one may not run
    // them); used under checkpoint_mu_.
    std::mutex checkpoint_mu_;
    std::unique_ptr<store::Conn> checkpointer_;
    std::function<void(int)> wal_pages_;  // set once at start-up, then read by the writer only
    // AfterCommit actions of the open write transaction; used by the write_mu_ owner only.
    std::vector<std::function<void()>> after_commit_;
};

/// RAII write transaction on the writer connection: takes the process's writer mutex, then
/// BEGIN IMMEDIATE (other processes, such as the admin CLI, queue on busy_timeout), Commit() or
/// rollback. Take Conn() from the transaction (or from Database::Conn() after it started).
class WriteTx final {
public:
    explicit WriteTx(Database& db);
    ~WriteTx();
    WriteTx(const WriteTx&) = delete;
    WriteTx& operator=(const WriteTx&) = delete;
    void Commit();
    store::Conn& Conn() { return conn_; }

private:
    static store::Conn& Acquire(Database& db, std::unique_lock<std::mutex>& lock);
    void Release();

    Database& db_;
    std::unique_lock<std::mutex> lock_;  // Database::write_mu_, held until COMMIT or ROLLBACK
    store::Conn& conn_;
    bool done_ = false;
};

/// One step of a module's work as a unit: when the calling thread already holds a WriteTx (the
/// pipeline's, around the bot), the step joins it as a SAVEPOINT, so it can still be undone
/// alone; otherwise it opens its own WriteTx. Commit() releases the savepoint or commits;
/// without Commit() the step is undone.
class StepTx final {
public:
    /// `name` names the savepoint (an SQL identifier). Without a name, for a step of exactly
    /// one statement (atomic by itself): a joined step then costs no savepoint.
    explicit StepTx(Database& db, const char* name = nullptr);
    ~StepTx();
    StepTx(const StepTx&) = delete;
    StepTx& operator=(const StepTx&) = delete;
    void Commit();
    store::Conn& Conn() { return conn_; }
    bool joined() const { return !tx_; }

private:
    /// Null when the calling thread holds the writer in an open transaction (the step joins
    /// it), else a WriteTx of the step's own.
    static std::unique_ptr<WriteTx> OwnTxUnlessJoined(Database& db);

    Database& db_;
    std::unique_ptr<WriteTx> tx_;  // null when joined
    store::Conn& conn_;
    std::string name_;
    std::size_t actions_mark_ = 0;  // joined: Database::after_commit_ size at the savepoint
    bool done_ = false;
};

/// The store's own migrations (inbound log, users, dialogs; src/store/migrations.cpp). Each
/// module has its own list; schema::All() is all of them in order.
const std::vector<Migration>& CoreMigrations();

}  // namespace wedesk::store
