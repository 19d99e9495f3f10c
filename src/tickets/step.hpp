#pragma once
// One logical step of the ticket service: a write transaction (or, when the calling thread
// already holds one, a SAVEPOINT inside it), with the step's notifications queued and handed
// to the Notifier just before the commit, so a refused or failed step sends nothing.

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "wedesk/common/card.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::tickets {

struct Outgoing {
    enum class Kind { kText, kCard, kRetireCard, kFile };
    Kind kind;
    std::string to;    // kRetireCard: the card's id
    std::string body;  // kRetireCard: the button's new name
    Card card;         // kCard
    FileMessage file;  // kFile
};

struct Step {
    store::Database& db;  // for other modules' repositories, which join this step
    store::Conn& conn;
    std::int64_t now;
    std::vector<Outgoing> out;

    void Text(const std::string& to, std::string body) {
        if (!to.empty()) {
            out.push_back({Outgoing::Kind::kText, to, std::move(body), {}, {}});
        }
    }
    void SendCard(const std::string& to, wedesk::Card card) {
        if (!to.empty()) {
            out.push_back({Outgoing::Kind::kCard, to, {}, std::move(card), {}});
        }
    }
    void SendFile(const std::string& to, FileMessage file) {
        if (!to.empty()) {
            out.push_back({Outgoing::Kind::kFile, to, {}, {}, std::move(file)});
        }
    }
    /// The card `task_id` no longer applies: its buttons are greyed out showing `replace_name`.
    void RetireCard(std::string task_id, std::string replace_name) {
        out.push_back(
            {Outgoing::Kind::kRetireCard, std::move(task_id), std::move(replace_name), {}, {}});
    }
};

/// Runs `f(Step&) -> Result<T>` as one transaction; see the file comment. A refusal (an
/// Error result) undoes the step and is the caller's answer. An infrastructure failure (a
/// SQLite error, a full disk, a broken constraint) is an exception: it undoes the step and
/// propagates, so the chat pipeline rolls back the whole delivery and answers 500 (WeCom
/// retries) instead of committing a "try again later" reply.
template <class T, class F>
Result<T> RunStep(store::Database& db, Notifier& notifier, std::int64_t now, F&& f) {
    {
        store::StepTx tx(db, "wedesk_tickets");
        Step step{db, tx.Conn(), now, {}};
        Result<T> r = f(step);
        if (!r.ok()) {
            return r;  // undone when tx goes
        }
        for (const auto& o : step.out) {
            switch (o.kind) {
                case Outgoing::Kind::kText:
                    notifier.SendText(o.to, o.body);
                    break;
                case Outgoing::Kind::kCard:
                    notifier.SendCard(o.to, o.card);
                    break;
                case Outgoing::Kind::kRetireCard:
                    notifier.RetireCard(o.to, o.body);
                    break;
                case Outgoing::Kind::kFile:
                    notifier.SendFile(o.to, o.file);
                    break;
            }
        }
        tx.Commit();
        return r;
    }
}

}  // namespace wedesk::tickets
