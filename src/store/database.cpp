#include "wedesk/store/database.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "wedesk/common/log.hpp"

namespace wedesk::store {

namespace {
constexpr int kBusyTimeoutMs = 10000;
}

std::unique_ptr<Database> Database::Open(const std::string& path,
                                         const std::vector<Migration>& migrations) {
    if (path != ":memory:") {
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(parent, ec);
        }
    }
    std::unique_ptr<Database> db(new Database(path));
    try {
        db->Migrate(migrations);
    } catch (const SQLite::Exception& e) {
        throw std::runtime_error("database " + path + ": " + e.what());
    }
    return db;
}

Database::Database(std::string path) : path_(std::move(path)) {}

Database::~Database() {
    // SQLiteCpp closes a connection with sqlite3_close and asserts that it worked: a statement
    // still open on it would abort the process. Name any statement someone still holds besides
    // the caches (finalised with their connections), so such an abort can be traced.
    auto report = [](store::Conn& c, const char* which) {
        SQLite::Database& conn = c.Raw();
        // Bounded: a statement list damaged by a bug must not turn into an endless log.
        int left = 32;
        for (sqlite3_stmt* st = sqlite3_next_stmt(conn.getHandle(), nullptr);
             st != nullptr && left-- > 0; st = sqlite3_next_stmt(conn.getHandle(), st)) {
            const std::string_view sql = sqlite3_sql(st) != nullptr ? sqlite3_sql(st) : "";
            if (sql.find("'main'.") != std::string_view::npos) {
                continue;  // FTS5's own statements (it names the schema): closed with its tables
            }
            log::Get("store")->error(
                "closing the database with a statement still open on a {} "
                "connection: {}",
                which, sql);
        }
    };
    std::lock_guard lock(mu_);
    for (auto& [id, conn] : conns_) {
        conn->DropStatements();
    }
    if (writer_) {
        writer_->DropStatements();
    }
    if (writer_) {
        report(*writer_, "writer");
    }
    if (checkpointer_) {
        report(*checkpointer_, "checkpoint");
    }
    for (auto& [id, conn] : conns_) {
        report(*conn, "read");
    }
}

struct Database::ConnOwner {
    const Database* db;
    bool writer;
    std::thread::id owner;  // read connections
    std::atomic<bool> reported{false};
};

void Database::WatchOwner(store::Conn& conn, bool writer, std::thread::id owner) {
    auto ctx = std::make_unique<ConnOwner>();
    ctx->db = this;
    ctx->writer = writer;
    ctx->owner = owner;
    sqlite3_trace_v2(
        conn.Raw().getHandle(), SQLITE_TRACE_STMT,
        [](unsigned, void* c, void* stmt, void*) -> int {
            auto* o = static_cast<ConnOwner*>(c);
            const auto me = std::this_thread::get_id();
            const bool ok = o->writer ? o->db->write_owner_.load() == me : o->owner == me;
            if (!ok && !o->reported.exchange(true)) {
                char thread[16] = "?";
                pthread_getname_np(pthread_self(), thread, sizeof thread);
                const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
                log::Get("store")->error(
                    "bug: thread {} runs SQL on {} connection: {}", thread,
                    o->writer ? "the writer without holding it" : "another thread's read",
                    sql != nullptr ? sql : "");
            }
            return 0;
        },
        ctx.get());
    owners_.push_back(std::move(ctx));
}

std::unique_ptr<store::Conn> Database::NewConnection(bool read_only) const {
    try {
        // FULLMUTEX: SQLite locks each connection per call. By design a read connection
        // belongs to one thread and the writer is used only under write_mu_, so the lock is
        // never contended; it is kept because a crash-test loop once found a read connection's
        // statement list damaged at shutdown (the way two threads using one unlocked connection
        // damage it), cause not yet found. Uncontended; its cost was not re-measured.
        const int mode =
            (read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
            SQLite::OPEN_FULLMUTEX;
        auto conn = std::make_unique<SQLite::Database>(path_, mode);
        conn->setBusyTimeout(kBusyTimeoutMs);
        if (!read_only) {
            conn->exec("PRAGMA journal_mode=WAL");
        }
        // NORMAL is durable against process crashes in WAL mode (only power loss can drop the
        // last commits), which is the guarantee WeCom retries need.
        conn->exec("PRAGMA synchronous=NORMAL");
        conn->exec("PRAGMA foreign_keys=ON");
        return std::unique_ptr<store::Conn>(new store::Conn(std::move(conn), read_only));
    } catch (const SQLite::Exception& e) {
        throw std::runtime_error("cannot open database " + path_ + ": " + e.what());
    }
}

store::Conn& Database::Conn() {
    std::lock_guard lock(mu_);
    if (write_owner_.load() == std::this_thread::get_id() && writer_) {
        return *writer_;
    }
    if (path_ == ":memory:") {
        return *writer_;  // one shared connection, opened by Open()
    }
    const auto key = std::this_thread::get_id();
    auto it = conns_.find(key);
    if (it == conns_.end()) {
        it = conns_.emplace(key, NewConnection(true)).first;
        WatchOwner(*it->second, false, key);
    }
    return *it->second;
}

void Database::Migrate(const std::vector<Migration>& migrations) {
    std::unique_lock lock(write_mu_);
    write_owner_ = std::this_thread::get_id();
    struct Release {
        Database* db;
        ~Release() { db->write_owner_ = std::thread::id{}; }
    } release{this};
    SQLite::Database& conn = WriterConn().Raw();
    int current = conn.execAndGet("PRAGMA user_version").getInt();
    for (const auto& m : migrations) {
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
    } catch (const std::exception&) {
        return false;
    }
}

void Database::Backup(const std::string& dest, bool overwrite) {
    namespace fs = std::filesystem;
    if (!overwrite && fs::exists(dest)) {
        throw std::runtime_error(dest + " exists (use --force to replace it)");
    }
    // The copy holds everything the database holds: readable by its owner only.
    const std::string tmp = dest + ".part";
    fs::remove(tmp);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
    }
    ::close(fd);
    try {
        {
            SQLite::Database out(tmp, SQLite::OPEN_READWRITE);
            SQLite::Backup backup(out, Conn().Raw());
            // Copy in steps so writers are not blocked for the whole copy.
            while (backup.executeStep(256) != SQLITE_DONE) {
            }
        }
        fs::rename(tmp, dest);
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
}

void Database::AfterCommit(std::function<void()> fn) {
    if (write_owner_.load() != std::this_thread::get_id()) {
        std::vector<std::function<void()>> now{std::move(fn)};
        RunActions(now);  // no write transaction on this thread: nothing to wait for
        return;
    }
    after_commit_.push_back(std::move(fn));
}

std::vector<std::function<void()>> Database::TakeAfterCommit(std::size_t mark) {
    std::vector<std::function<void()>> out;
    if (mark < after_commit_.size()) {
        out.assign(
            std::make_move_iterator(after_commit_.begin() + static_cast<std::ptrdiff_t>(mark)),
            std::make_move_iterator(after_commit_.end()));
        after_commit_.resize(mark);
    }
    return out;
}

void Database::DropAfterCommit(std::size_t mark) {
    if (mark < after_commit_.size()) {
        after_commit_.resize(mark);
    }
}

void Database::RunActions(std::vector<std::function<void()>>& actions) {
    for (auto& fn : actions) {
        try {
            fn();
        } catch (const std::exception& e) {
            log::Get("store")->error("an action after commit failed: {}", e.what());
        } catch (...) {
            log::Get("store")->error("an action after commit failed");
        }
    }
    actions.clear();
}

void Database::Checkpoint() {
    std::lock_guard lock(write_mu_);  // no write transaction of ours runs meanwhile
    write_owner_ = std::this_thread::get_id();
    try {
        WriterConn().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (...) {
        write_owner_ = std::thread::id{};
        throw;
    }
    write_owner_ = std::thread::id{};
}

store::Conn& Database::WriterConn() {
    std::lock_guard lock(mu_);
    if (!writer_) {
        writer_ = NewConnection(false);
        if (path_ != ":memory:") {
            WatchOwner(*writer_, true, {});
            InstallWalHook(*writer_);
        }
    }
    return *writer_;
}

void Database::InstallWalHook(store::Conn& conn) {
    SQLite::Database& writer = conn.Raw();
    if (!wal_pages_) {
        // SQLite's defaults: checkpoints inside COMMIT from 1000 pages on.
        sqlite3_wal_hook(writer.getHandle(), nullptr, nullptr);
        sqlite3_wal_autocheckpoint(writer.getHandle(), 1000);
        return;
    }
    sqlite3_wal_autocheckpoint(writer.getHandle(), 0);
    sqlite3_wal_hook(
        writer.getHandle(),
        [](void* self, sqlite3*, const char*, int pages) -> int {
            static_cast<Database*>(self)->wal_pages_(pages);
            return SQLITE_OK;
        },
        this);
}

void Database::MoveCheckpointsOffWriter(std::function<void(int wal_pages)> wal_pages) {
    if (path_ == ":memory:") {
        return;  // no WAL
    }
    std::lock_guard lock(mu_);
    wal_pages_ = std::move(wal_pages);
    if (writer_) {
        InstallWalHook(*writer_);
    }
}

int Database::CheckpointPassive() {
    int log_frames = 0;
    int checkpointed = 0;
    std::lock_guard lock(checkpoint_mu_);
    if (!checkpointer_) {
        checkpointer_ = NewConnection(false);
    }
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_->Raw().getHandle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        throw std::runtime_error(std::string("checkpoint: ") + sqlite3_errstr(rc));
    }
    return log_frames > checkpointed ? log_frames - checkpointed : 0;
}

store::Conn& WriteTx::Acquire(Database& db, std::unique_lock<std::mutex>& lock) {
    if (db.write_owner_.load() != std::this_thread::get_id()) {
        lock.lock();
        db.write_owner_ = std::this_thread::get_id();
    }
    try {
        return db.WriterConn();
    } catch (...) {
        if (lock.owns_lock()) {
            db.write_owner_ = std::thread::id{};
            lock.unlock();
        }
        throw;
    }
}

WriteTx::WriteTx(Database& db)
    : db_(db), lock_(db.write_mu_, std::defer_lock), conn_(Acquire(db, lock_)) {
    try {
        conn_.exec("BEGIN IMMEDIATE");
    } catch (...) {
        Release();
        throw;
    }
}

WriteTx::~WriteTx() {
    if (!done_) {
        db_.after_commit_.clear();  // nothing was committed: nothing follows it
        try {
            conn_.exec("ROLLBACK");
        } catch (const std::exception&) {
            // Nothing more to do: the connection has already rolled back.
        }
    }
    Release();
}

void WriteTx::Commit() {
    conn_.exec("COMMIT");
    done_ = true;
    auto actions = std::move(db_.after_commit_);
    db_.after_commit_.clear();
    Release();
    Database::RunActions(actions);  // outside the writer lock
}

void WriteTx::Release() {
    if (lock_.owns_lock()) {
        db_.write_owner_ = std::thread::id{};
        lock_.unlock();
    }
}

std::unique_ptr<WriteTx> StepTx::OwnTxUnlessJoined(Database& db) {
    // Joins only the writer this thread holds, while SQLite still has its transaction open;
    // asking Conn() here would open a read connection for a thread that only writes.
    if (db.write_owner_.load() == std::this_thread::get_id() && db.WriterConn().InTransaction()) {
        return nullptr;
    }
    return std::make_unique<WriteTx>(db);
}

StepTx::StepTx(Database& db, const char* name)
    : db_(db),
      tx_(OwnTxUnlessJoined(db)),
      conn_(tx_ ? tx_->Conn() : db.Conn()),
      name_(name != nullptr ? name : "") {
    if (!tx_) {
        actions_mark_ = db_.after_commit_.size();
        if (!name_.empty()) {
            conn_.exec("SAVEPOINT " + name_);
        }
    }
}

StepTx::~StepTx() {
    if (done_ || tx_) {
        return;  // committed, or the WriteTx rolls back in its own destructor
    }
    db_.DropAfterCommit(actions_mark_);
    if (name_.empty()) {
        return;  // one statement: atomic by itself, nothing of it to undo
    }
    try {
        conn_.exec("ROLLBACK TO " + name_);
        conn_.exec("RELEASE " + name_);
    } catch (const std::exception&) {
        // The enclosing transaction is gone already; its owner sees the error.
    }
}

void StepTx::Commit() {
    if (tx_) {
        tx_->Commit();
    } else if (!name_.empty()) {
        conn_.exec("RELEASE " + name_);
    }
    done_ = true;
}

}  // namespace wedesk::store
