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

Database::~Database() {
    // SQLiteCpp closes a connection with sqlite3_close and asserts that it worked: a statement
    // still open on it would abort the process. Finalise the cache, then name any statement
    // someone still holds, so such an abort can be traced.
    statements_.clear();
    auto report = [](SQLite::Database& conn, const char* which) {
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
    if (writer_) {
        report(*writer_, "writer");
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

void Database::WatchOwner(SQLite::Database& conn, bool writer, std::thread::id owner) {
    auto ctx = std::make_unique<ConnOwner>();
    ctx->db = this;
    ctx->writer = writer;
    ctx->owner = owner;
    sqlite3_trace_v2(
        conn.getHandle(), SQLITE_TRACE_STMT,
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

std::unique_ptr<SQLite::Database> Database::NewConnection() const {
    try {
        // FULLMUTEX: SQLite locks each connection per call. By design a read connection
        // belongs to one thread and the writer is used only under write_mu_, so the lock is
        // never contended; it is kept because a crash-test loop once found a read connection's
        // statement list damaged at shutdown (the way two threads using one unlocked connection
        // damage it), cause not yet found. Uncontended; its cost was not re-measured.
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
    if (write_owner_.load() == std::this_thread::get_id() && writer_) {
        return *writer_;
    }
    const auto key = path_ == ":memory:" ? std::thread::id{} : std::this_thread::get_id();
    auto it = conns_.find(key);
    if (it == conns_.end()) {
        it = conns_.emplace(key, NewConnection()).first;
        if (path_ != ":memory:") {
            WatchOwner(*it->second, false, key);
        }
    }
    return *it->second;
}

struct Database::CachedStatement {
    std::unique_ptr<SQLite::Statement> st;
    bool in_use = false;
};

namespace {
constexpr std::size_t kMaxCachedStatements = 256;  // per connection
}

Stmt::Stmt(SQLite::Statement* st, bool* in_use, std::unique_ptr<SQLite::Statement> owned)
    : st_(st), in_use_(in_use), owned_(std::move(owned)) {}

Stmt::Stmt(Stmt&& other) noexcept
    : st_(other.st_), in_use_(other.in_use_), owned_(std::move(other.owned_)) {
    other.st_ = nullptr;
    other.in_use_ = nullptr;
}

Stmt::~Stmt() {
    if (st_ == nullptr || in_use_ == nullptr) {
        return;  // moved from, or a one-off statement finalised with owned_
    }
    // An active statement would keep its connection's read snapshot open.
    st_->tryReset();
    try {
        st_->clearBindings();
    } catch (const SQLite::Exception&) {
        // clear_bindings cannot fail on a valid statement; nothing to undo anyway.
    }
    *in_use_ = false;
}

Stmt Database::Prepare(const std::string& sql) {
    SQLite::Database& conn = Conn();
    StatementCache* cache = nullptr;
    {
        std::lock_guard lock(mu_);
        cache = &statements_[&conn];
    }
    auto it = cache->find(sql);
    if (it == cache->end() && cache->size() < kMaxCachedStatements) {
        auto entry = std::make_unique<CachedStatement>();
        entry->st = std::make_unique<SQLite::Statement>(conn, sql);
        it = cache->emplace(sql, std::move(entry)).first;
    }
    if (it == cache->end() || it->second->in_use) {
        auto own = std::make_unique<SQLite::Statement>(conn, sql);
        auto* raw = own.get();
        return Stmt(raw, nullptr, std::move(own));
    }
    it->second->in_use = true;
    return Stmt(it->second->st.get(), &it->second->in_use, nullptr);
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
            SQLite::Backup backup(out, Conn());
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

void Database::Checkpoint() { Conn().exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

SQLite::Database& Database::WriterConn() {
    if (path_ == ":memory:") {
        return Conn();
    }
    std::lock_guard lock(mu_);
    if (!writer_) {
        writer_ = NewConnection();
        WatchOwner(*writer_, true, {});
        InstallWalHook(*writer_);
    }
    return *writer_;
}

void Database::InstallWalHook(SQLite::Database& writer) {
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
    const int rc = sqlite3_wal_checkpoint_v2(Conn().getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log_frames, &checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        throw std::runtime_error(std::string("checkpoint: ") + sqlite3_errstr(rc));
    }
    return log_frames > checkpointed ? log_frames - checkpointed : 0;
}

SQLite::Database& WriteTx::Acquire(Database& db, std::unique_lock<std::mutex>& lock) {
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
        } catch (const SQLite::Exception&) {
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

namespace {

// The thread's open WriteTx to join, or a new one.
std::unique_ptr<WriteTx> OwnTxUnlessJoined(Database& db) {
    if (sqlite3_get_autocommit(db.Conn().getHandle()) == 0) {
        return nullptr;
    }
    return std::make_unique<WriteTx>(db);
}

}  // namespace

StepTx::StepTx(Database& db, const char* name)
    : db_(db), tx_(OwnTxUnlessJoined(db)), conn_(tx_ ? tx_->Conn() : db.Conn()), name_(name) {
    if (!tx_) {
        actions_mark_ = db_.after_commit_.size();
        conn_.exec("SAVEPOINT " + name_);
    }
}

StepTx::~StepTx() {
    if (done_ || tx_) {
        return;  // committed, or the WriteTx rolls back in its own destructor
    }
    db_.DropAfterCommit(actions_mark_);
    try {
        conn_.exec("ROLLBACK TO " + name_);
        conn_.exec("RELEASE " + name_);
    } catch (const SQLite::Exception&) {
        // The enclosing transaction is gone already; its owner sees the error.
    }
}

void StepTx::Commit() {
    if (tx_) {
        tx_->Commit();
    } else {
        conn_.exec("RELEASE " + name_);
    }
    done_ = true;
}

}  // namespace wedesk::store
