#pragma once
// One logical step of the ticket service: a write transaction (or, when the calling thread
// already holds one, a SAVEPOINT inside it), with the step's notifications queued and handed
// to the Notifier just before the commit, so a refused or failed step sends nothing.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wedesk/common/log.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/store/database.hpp"

namespace wedesk::tickets {

struct Outgoing {
    enum class Kind { kText, kCard };
    Kind kind;
    std::string to;
    std::string body;
};

struct Step {
    SQLite::Database& conn;
    std::int64_t now;
    std::vector<Outgoing> out;

    void Text(const std::string& to, std::string body) {
        if (!to.empty()) {
            out.push_back({Outgoing::Kind::kText, to, std::move(body)});
        }
    }
    void Card(const std::string& to, std::string card_json) {
        if (!to.empty()) {
            out.push_back({Outgoing::Kind::kCard, to, std::move(card_json)});
        }
    }
};

inline Error DbError(const std::exception& e) {
    log::Get("tickets")->error("database error: {}", e.what());
    return Fail("db", "系统繁忙，请稍后再试。");
}

/// Runs `f(Step&) -> Result<T>` as one transaction; see the file comment.
template <class T, class F>
Result<T> RunStep(store::Database& db, Notifier& notifier, std::int64_t now, F&& f) {
    try {
        const bool joined = sqlite3_get_autocommit(db.Conn().getHandle()) == 0;
        std::optional<store::WriteTx> tx;
        if (joined) {
            db.Conn().exec("SAVEPOINT wedesk_tickets");
        } else {
            tx.emplace(db);
        }
        // The writer connection when this step opened the transaction itself.
        SQLite::Database& conn = joined ? db.Conn() : tx->Conn();
        auto undo_savepoint = [&] {
            if (joined) {
                try {
                    conn.exec("ROLLBACK TO wedesk_tickets");
                    conn.exec("RELEASE wedesk_tickets");
                } catch (const SQLite::Exception&) {
                    // The enclosing transaction is gone already; its owner sees the error.
                }
            }
        };
        try {
            Step step{conn, now, {}};
            Result<T> r = f(step);
            if (!r.ok()) {
                undo_savepoint();  // a WriteTx rolls back in its destructor
                return r;
            }
            for (const auto& o : step.out) {
                if (o.kind == Outgoing::Kind::kText) {
                    notifier.SendText(o.to, o.body);
                } else {
                    notifier.SendCard(o.to, o.body);
                }
            }
            if (joined) {
                conn.exec("RELEASE wedesk_tickets");
            } else {
                tx->Commit();
            }
            return r;
        } catch (...) {
            undo_savepoint();
            throw;
        }
    } catch (const std::exception& e) {
        return DbError(e);
    }
}

}  // namespace wedesk::tickets
