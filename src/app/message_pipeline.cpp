#include "wedesk/app/message_pipeline.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <stdexcept>
#include <string_view>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/inbound_log.hpp"

namespace wedesk::app {

namespace {

constexpr std::size_t kMaxTextReplyBytes = 2048;  // WeCom truncates longer passive texts

std::string KindName(wecom::PassiveReply::Kind k) {
    switch (k) {
        case wecom::PassiveReply::Kind::kText:
            return "text";
        case wecom::PassiveReply::Kind::kUpdateButton:
            return "update_button";
        case wecom::PassiveReply::Kind::kNone:
            break;
    }
    return "";
}

wecom::PassiveReply::Kind KindFrom(const std::string& s) {
    if (s == "text") {
        return wecom::PassiveReply::Kind::kText;
    }
    if (s == "update_button") {
        return wecom::PassiveReply::Kind::kUpdateButton;
    }
    return wecom::PassiveReply::Kind::kNone;
}

void Count(const std::string& outcome) {
    metrics::Global()
        .GetCounter("wedesk_messages_total", "Decrypted messages by processing outcome",
                    {{"outcome", outcome}})
        .Inc();
}

// The message of the exception being handled (call inside a catch block).
std::string CurrentError() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

}  // namespace

MessagePipeline::MessagePipeline(store::Database& db, Responder responder, const Sealer& sealer,
                                 const Clock& clock, Random& random)
    : db_(db), responder_(std::move(responder)), sealer_(sealer), clock_(clock), random_(random) {}

std::size_t MessagePipeline::Queued() {
    std::lock_guard lock(queue_mu_);
    return queue_.size();
}

Result<wecom::PassiveReply> MessagePipeline::Handle(const wecom::InboundMessage& message) {
    Pending mine;
    mine.message = &message;
    std::unique_lock lock(queue_mu_);
    queue_.push_back(&mine);
    while (!mine.done) {
        if (leading_) {
            mine.wake.wait(lock);
            continue;
        }
        // Lead: take what is queued (in arrival order), process it without the queue lock.
        leading_ = true;
        std::vector<Pending*> batch;
        while (!queue_.empty() && batch.size() < kMaxBatch) {
            batch.push_back(queue_.front());
            queue_.pop_front();
        }
        lock.unlock();
        try {
            RunBatch(batch);
        } catch (...) {
            // RunBatch answers every failure itself; this only keeps the queue alive (a leader
            // that left without handing over would stall every later delivery).
            for (auto* p : batch) {
                if (!p->result) {
                    p->result = Fail("internal", "processing failed");
                }
            }
        }
        lock.lock();
        leading_ = false;
        // Wake exactly who must run: each member of this batch, and the next leader.
        for (auto* p : batch) {
            p->done = true;
            if (p != &mine) {
                p->wake.notify_one();
            }
        }
        if (!queue_.empty()) {
            queue_.front()->wake.notify_one();
        }
    }
    lock.unlock();
    store::Database::RunActions(mine.after_commit);
    return std::move(*mine.result);
}

void MessagePipeline::RunBatch(const std::vector<Pending*>& batch) {
    try {
        store::WriteTx tx(db_);
        auto& conn = tx.Conn();
        for (auto* p : batch) {
            const std::string key = p->message->DedupeKey();
            if (sqlite3_get_autocommit(conn.getHandle()) != 0) {
                // SQLite ended the transaction after an error: nothing more can join it.
                throw std::runtime_error("transaction ended early");
            }
            const auto actions_mark = db_.AfterCommitMark();
            conn.exec("SAVEPOINT delivery");
            try {
                p->result = Process(*p->message, key, p->outcome);
                conn.exec("RELEASE delivery");
                p->after_commit = db_.TakeAfterCommit(actions_mark);
            } catch (...) {
                db_.DropAfterCommit(actions_mark);
                // This delivery alone is undone; WeCom will deliver it again.
                log::Get("pipeline")->error("processing {} failed: {}", key, CurrentError());
                p->result = Fail("internal", "processing failed");
                p->outcome = "failed";
                try {
                    conn.exec("ROLLBACK TO delivery");
                    conn.exec("RELEASE delivery");
                } catch (...) {
                    // The whole transaction is gone: the check above stops the batch.
                }
            }
        }
        tx.Commit();
    } catch (...) {
        // Nothing was committed: WeCom will deliver every message of the batch again.
        log::Get("pipeline")
            ->error("a batch of {} deliveries failed: {}", batch.size(), CurrentError());
        for (auto* p : batch) {
            p->result = Fail("internal", "processing failed");
            p->outcome = "failed";
            p->after_commit.clear();
        }
    }
    bool wrote = false;
    for (auto* p : batch) {
        Count(p->outcome);
        wrote = wrote || std::string_view(p->outcome) == "processed";
    }
    if (wrote && on_commit_) {
        on_commit_();
    }
}

Result<wecom::PassiveReply> MessagePipeline::Process(const wecom::InboundMessage& message,
                                                     const std::string& key, const char*& outcome) {
    store::InboundLog log(db_);
    if (auto seen = log.Find(key)) {
        outcome = "duplicate";
        log::Get("pipeline")->info("duplicate delivery {} answered from the log", key);
        wecom::PassiveReply r;
        r.kind = KindFrom(seen->kind);
        if (seen->sealed) {
            auto opened = sealer_.Open(seen->body);
            if (!opened.ok()) {
                return Fail("internal", "stored reply cannot be opened");
            }
            r.text = std::move(opened.value());
        } else {
            r.text = seen->body;
        }
        return r;
    }
    bot::BotReply reply = responder_(message);
    if (reply.passive.kind == wecom::PassiveReply::Kind::kText) {
        reply.passive.text = text::TruncateUtf8(reply.passive.text, kMaxTextReplyBytes);
    }
    store::LoggedReply logged;
    logged.kind = KindName(reply.passive.kind);
    logged.sealed = reply.sensitive;
    logged.body = reply.sensitive ? sealer_.Seal(reply.passive.text, random_) : reply.passive.text;
    log.Insert(key, message.from_user, message.raw_type, clock_.NowSeconds(), logged);
    outcome = "processed";
    return reply.passive;
}

}  // namespace wedesk::app
