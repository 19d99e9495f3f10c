#pragma once
/// The store's SQL surface, the only one modules see: a connection handle (Conn) lent by a
/// transaction, a statement on it (Query), the values it yields (Column, Value) and the one
/// exception it throws (Error). The engine behind them (SQLite through SQLiteCpp today) is
/// linked privately by the store; a second backend implements these same classes. Method
/// names follow SQLiteCpp's (bind, executeStep, getColumn) so queries read as before.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace SQLite {
class Database;
}  // namespace SQLite
struct sqlite3;
struct sqlite3_stmt;

namespace wedesk::store {

class Database;
struct StatementCache;

/// Any failure of the store: an SQL error, a constraint violation, a full disk, a busy or
/// read-only database. An infrastructure failure to the error contract (the delivery is undone
/// and answered 500), unless a caller turns a constraint() into a domain refusal on purpose.
class Error : public std::runtime_error {
public:
    Error(const std::string& what, int code, int extended_code)
        : std::runtime_error(what), code_(code), extended_code_(extended_code) {}
    int code() const { return code_; }
    int extended_code() const { return extended_code_; }
    /// A UNIQUE, FOREIGN KEY, CHECK or NOT NULL constraint refused the change.
    bool constraint() const;

private:
    int code_;
    int extended_code_;
};

/// One column of the current row of a Query; valid until the query steps again or goes.
class Column {
public:
    bool isNull() const;
    int getInt() const;
    std::int64_t getInt64() const;
    double getDouble() const;
    std::string getString() const;  ///< text or blob bytes, exactly ("" for NULL)
    const void* getBlob() const;
    int getBytes() const;

private:
    friend class Query;
    Column(struct sqlite3_stmt* stmt, int index) : stmt_(stmt), index_(index) {}
    struct sqlite3_stmt* stmt_;
    int index_;
};

/// A value copied out of a one-row, one-column query (Conn::execAndGet).
class Value {
public:
    bool isNull() const { return null_; }
    int getInt() const { return static_cast<int>(i_); }
    std::int64_t getInt64() const { return i_; }
    double getDouble() const { return d_; }
    const std::string& getString() const { return s_; }

private:
    friend class Conn;
    bool null_ = true;
    std::int64_t i_ = 0;
    double d_ = 0;
    std::string s_;
};

/// A connection, owned by the Database and lent out by WriteTx, StepTx or Database::Conn().
/// Used by one thread at a time (the store checks and logs a violation).
class Conn final {
public:
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    /// Runs one or more statements without results; returns the rows changed by the last.
    int exec(const std::string& sql);
    /// The first column of the first row (throws Error when there is no row).
    Value execAndGet(const std::string& sql);
    std::int64_t getLastInsertRowid() const;
    int getChanges() const;
    /// Inside BEGIN ... COMMIT (false once SQLite ended a transaction after an error).
    bool InTransaction() const;
    bool read_only() const { return read_only_; }

    /// For the store's own code (backup, checkpoints, hooks); not for modules.
    SQLite::Database& Raw() { return *db_; }

private:
    friend class Database;
    friend class Query;
    Conn(std::unique_ptr<SQLite::Database> db, bool read_only);
    /// Finalises the cached statements (before the database reports what is still open).
    void DropStatements();

    std::unique_ptr<SQLite::Database> db_;
    std::unique_ptr<StatementCache> cache_;  // declared after db_: finalised before it closes
    bool read_only_;
};

/// A prepared statement on a Conn, borrowed from that connection's statement cache (parsing
/// and planning were a tenth of a callback's CPU time): when the Query goes, the statement is
/// reset and its bindings cleared for the next user. The same SQL in use twice at once gets a
/// second, uncached statement. Indexes are 1-based for bind, 0-based for getColumn.
class Query final {
public:
    Query(Conn& conn, const std::string& sql);
    Query(Query&& other) noexcept;
    Query& operator=(Query&&) = delete;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query();

    void bind(int index, int value);
    void bind(int index, unsigned value);
    void bind(int index, long value);
    void bind(int index, long long value);
    void bind(int index, double value);
    void bind(int index, const std::string& value);
    void bind(int index, const char* value);
    void bind(int index, const void* blob, int size);
    void bind(int index);  ///< NULL
    /// How many parameters (?) the statement has.
    int getBindParameterCount() const;

    /// Steps once: true while a row is available.
    bool executeStep();
    /// Runs a statement that returns no rows; returns the rows it changed.
    int exec();
    Column getColumn(int index) const;
    /// Ready to run again with the same bindings (reset) or none (clearBindings).
    void reset();
    void clearBindings();

private:
    void Check(int rc, const char* what) const;

    struct sqlite3_stmt* st_ = nullptr;
    struct sqlite3* db_ = nullptr;
    bool* in_use_ = nullptr;  // the cache entry's flag; null for a one-off (finalised by ~Query)
};

}  // namespace wedesk::store
