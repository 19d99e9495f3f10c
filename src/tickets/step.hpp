#pragma once
// One logical step of the ticket service: a write transaction (or, when the calling thread
// already holds one, a SAVEPOINT inside it), with the step's notifications queued and handed
// to the Notifier just before the commit, so a refused or failed step sends nothing.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include <cstdint>
#include <exception>
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
        store::StepTx tx(db, "wedesk_tickets");
        Step step{tx.Conn(), now, {}};
        Result<T> r = f(step);
        if (!r.ok()) {
            return r;  // undone when tx goes
        }
        for (const auto& o : step.out) {
            if (o.kind == Outgoing::Kind::kText) {
                notifier.SendText(o.to, o.body);
            } else {
                notifier.SendCard(o.to, o.body);
            }
        }
        tx.Commit();
        return r;
    } catch (const std::exception& e) {
        return DbError(e);
    }
}

}  // namespace wedesk::tickets
