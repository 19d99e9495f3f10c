#include "wedesk/store/sql.hpp"

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include <string_view>
#include <unordered_map>
#include <utility>

namespace wedesk::store {

namespace {

constexpr std::size_t kMaxCachedStatements = 256;  // per connection

[[noreturn]] void Rethrow(const SQLite::Exception& e) {
    throw Error(e.what(), e.getErrorCode(), e.getExtendedErrorCode());
}

/// Runs `fn`, turning SQLiteCpp's exception into the store's.
template <typename F>
auto Guard(F&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const SQLite::Exception& e) {
        Rethrow(e);
    }
}

}  // namespace

bool Error::constraint() const { return code_ == SQLITE_CONSTRAINT; }

// --- Column -------------------------------------------------------------------------------

bool Column::isNull() const { return sqlite3_column_type(stmt_, index_) == SQLITE_NULL; }
int Column::getInt() const { return sqlite3_column_int(stmt_, index_); }
std::int64_t Column::getInt64() const { return sqlite3_column_int64(stmt_, index_); }
double Column::getDouble() const { return sqlite3_column_double(stmt_, index_); }
const void* Column::getBlob() const { return sqlite3_column_blob(stmt_, index_); }
int Column::getBytes() const { return sqlite3_column_bytes(stmt_, index_); }

std::string Column::getString() const {
    // Ask for the text first, then its length (the documented order: the length refers to the
    // representation last asked for).
    const auto* text = sqlite3_column_text(stmt_, index_);
    const int n = sqlite3_column_bytes(stmt_, index_);
    if (text == nullptr || n <= 0) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

// --- Conn ---------------------------------------------------------------------------------

struct CachedStatement {
    sqlite3_stmt* st = nullptr;
    bool in_use = false;
    ~CachedStatement() { sqlite3_finalize(st); }
};

struct StatementCache {
    std::unordered_map<std::string, std::unique_ptr<CachedStatement>> map;
};

Conn::Conn(std::unique_ptr<SQLite::Database> db, bool read_only)
    : db_(std::move(db)), cache_(std::make_unique<StatementCache>()), read_only_(read_only) {}

Conn::~Conn() = default;

void Conn::DropStatements() { cache_->map.clear(); }

int Conn::exec(const std::string& sql) {
    return Guard([&] { return db_->exec(sql); });
}

Value Conn::execAndGet(const std::string& sql) {
    Query q(*this, sql);
    if (!q.executeStep()) {
        throw Error("no row: " + sql, SQLITE_DONE, SQLITE_DONE);
    }
    Value v;
    const Column c = q.getColumn(0);
    v.null_ = c.isNull();
    v.i_ = c.getInt64();
    v.d_ = c.getDouble();
    v.s_ = c.getString();
    return v;
}

std::int64_t Conn::getLastInsertRowid() const { return db_->getLastInsertRowid(); }
int Conn::getChanges() const { return db_->getChanges(); }
bool Conn::InTransaction() const { return sqlite3_get_autocommit(db_->getHandle()) == 0; }

// --- Query --------------------------------------------------------------------------------

namespace {

[[noreturn]] void Fail(sqlite3* db, int rc, const std::string& what) {
    throw Error(what + ": " + sqlite3_errmsg(db), rc & 0xff, sqlite3_extended_errcode(db));
}

sqlite3_stmt* PrepareOn(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        Fail(db, rc, "prepare");
    }
    return st;
}

}  // namespace

Query::Query(Conn& conn, const std::string& sql) : db_(conn.db_->getHandle()) {
    auto& cache = conn.cache_->map;
    auto it = cache.find(sql);
    if (it == cache.end() && cache.size() < kMaxCachedStatements) {
        auto entry = std::make_unique<CachedStatement>();
        entry->st = PrepareOn(db_, sql);
        it = cache.emplace(sql, std::move(entry)).first;
    }
    if (it == cache.end() || it->second->in_use) {
        st_ = PrepareOn(db_, sql);  // a one-off statement, finalised by ~Query
        return;
    }
    it->second->in_use = true;
    st_ = it->second->st;
    in_use_ = &it->second->in_use;
}

Query::Query(Query&& other) noexcept : st_(other.st_), db_(other.db_), in_use_(other.in_use_) {
    other.st_ = nullptr;
    other.in_use_ = nullptr;
}

Query::~Query() {
    if (st_ == nullptr) {
        return;  // moved from
    }
    if (in_use_ == nullptr) {
        sqlite3_finalize(st_);
        return;
    }
    // An active statement would keep its connection's read snapshot open.
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    *in_use_ = false;
}

void Query::Check(int rc, const char* what) const {
    if (rc != SQLITE_OK) {
        Fail(db_, rc, what);
    }
}

void Query::bind(int index, int value) { Check(sqlite3_bind_int(st_, index, value), "bind"); }
void Query::bind(int index, unsigned value) {
    Check(sqlite3_bind_int64(st_, index, static_cast<sqlite3_int64>(value)), "bind");
}
void Query::bind(int index, long value) {
    Check(sqlite3_bind_int64(st_, index, static_cast<sqlite3_int64>(value)), "bind");
}
void Query::bind(int index, long long value) {
    Check(sqlite3_bind_int64(st_, index, static_cast<sqlite3_int64>(value)), "bind");
}
void Query::bind(int index, double value) { Check(sqlite3_bind_double(st_, index, value), "bind"); }
void Query::bind(int index, const std::string& value) {
    Check(sqlite3_bind_text(st_, index, value.data(), static_cast<int>(value.size()),
                            SQLITE_TRANSIENT),
          "bind");
}
void Query::bind(int index, const char* value) {
    Check(sqlite3_bind_text(st_, index, value, -1, SQLITE_TRANSIENT), "bind");
}
void Query::bind(int index, const void* blob, int size) {
    Check(sqlite3_bind_blob(st_, index, blob, size, SQLITE_TRANSIENT), "bind");
}
void Query::bind(int index) { Check(sqlite3_bind_null(st_, index), "bind"); }

int Query::getBindParameterCount() const { return sqlite3_bind_parameter_count(st_); }

bool Query::executeStep() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    Fail(db_, rc, "step");
}

int Query::exec() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) {
        throw Error("exec() of a statement that returns rows", SQLITE_MISUSE, SQLITE_MISUSE);
    }
    if (rc != SQLITE_DONE) {
        Fail(db_, rc, "step");
    }
    return sqlite3_changes(db_);
}

Column Query::getColumn(int index) const { return Column(st_, index); }
void Query::reset() { Check(sqlite3_reset(st_), "reset"); }
void Query::clearBindings() { Check(sqlite3_clear_bindings(st_), "clear bindings"); }

}  // namespace wedesk::store
