#include "wedesk/app/message_pipeline.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <set>
#include <stdexcept>
#include <string_view>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/common/thread_name.hpp"
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

void Count(const char* outcome) {
    metrics::HotCounter("wedesk_messages_total", "Decrypted messages by processing outcome",
                        {{"outcome", outcome}})
        .Inc();
}

metrics::Histogram& QueueWait() {
    static auto& h = metrics::Global().GetHistogram(
        "wedesk_pipeline_queue_wait_seconds",
        "Time a decrypted delivery waited for the writer before its batch started",
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
    return h;
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

// One thread running timers: ends follow-up waits. Stopping ends every wait at once (its
// delivery gets the interim reply), so no delivery is left unanswered.
struct MessagePipeline::Timers {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    // The running timers; used on the timer thread only.
    std::set<std::shared_ptr<boost::asio::steady_timer>> live;
    std::thread thread{[this] {
        SetThreadName("wd-timers");
        io.run();
    }};
    ~Timers() {
        boost::asio::post(io, [this] {
            for (const auto& t : live) {
                t->cancel();  // its handler runs now and expires the follow-up
            }
        });
        work.reset();
        thread.join();
    }
    void ExpireAfter(std::shared_ptr<FollowUp> fu, std::chrono::milliseconds wait) {
        boost::asio::post(io, [this, fu = std::move(fu), wait]() mutable {
            auto timer = std::make_shared<boost::asio::steady_timer>(io, wait);
            live.insert(timer);
            timer->async_wait([this, timer, fu = std::move(fu)](const boost::system::error_code&) {
                live.erase(timer);
                fu->Expire();
            });
        });
    }
};

MessagePipeline::MessagePipeline(store::Database& db, Responder responder, const Sealer& sealer,
                                 const Clock& clock, Random& random, Executor external,
                                 std::chrono::milliseconds follow_up_wait)
    : db_(db),
      responder_(std::move(responder)),
      sealer_(sealer),
      clock_(clock),
      random_(random),
      external_(std::move(external)),
      follow_up_wait_(follow_up_wait),
      timers_(std::make_unique<Timers>()),
      writer_([this] {
          SetThreadName("wd-writer");
          WriterLoop();
      }) {}

MessagePipeline::~MessagePipeline() {
    {
        std::lock_guard lock(queue_mu_);
        stop_ = true;
    }
    queue_cv_.notify_all();
    writer_.join();
}

void MessagePipeline::SetOnCommit(std::function<void()> fn) {
    std::lock_guard lock(queue_mu_);
    on_commit_ = std::move(fn);
}

std::size_t MessagePipeline::Queued() {
    std::lock_guard lock(queue_mu_);
    return queue_.size();
}

double MessagePipeline::OldestWaitSeconds() {
    std::optional<TimePoint> oldest;
    {
        std::lock_guard lock(queue_mu_);
        oldest = batch_since_;
        if (!oldest && !queue_.empty()) {
            oldest = queue_.front().queued_at;
        }
    }
    if (!oldest) {
        return 0;
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - *oldest).count();
}

void MessagePipeline::Submit(wecom::InboundMessage message, Done done) {
    {
        std::lock_guard lock(queue_mu_);
        if (queue_.size() < kMaxQueue && !stop_) {
            auto& p = queue_.emplace_back();
            p.message = std::move(message);
            p.done = std::move(done);
            p.queued_at = std::chrono::steady_clock::now();
            queue_cv_.notify_one();
            return;
        }
    }
    Count("overloaded");
    done(Fail(Errc::kOverloaded, "too many deliveries queued"));
}

void MessagePipeline::WriterLoop() {
    std::unique_lock lock(queue_mu_);
    for (;;) {
        queue_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;  // stop_ and nothing left to process
        }
        std::vector<Pending> batch;
        while (!queue_.empty() && batch.size() < kMaxBatch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        batch_since_ = batch.front().queued_at;
        lock.unlock();
        const auto started = std::chrono::steady_clock::now();
        for (const auto& p : batch) {
            QueueWait().Observe(std::chrono::duration<double>(started - p.queued_at).count());
        }
        try {
            RunBatch(batch);
        } catch (...) {
            // RunBatch answers every failure itself; this only keeps the writer alive.
            for (auto& p : batch) {
                if (!p.result) {
                    p.result = Fail(Errc::kInternal, "processing failed");
                }
            }
        }
        bool wrote = false;
        for (auto& p : batch) {
            Count(p.outcome);
            wrote = wrote || std::string_view(p.outcome) == "processed";
            // A follow-up is armed before its call can end; any other reply is handed on after
            // the actions were handed over (or ran, without an executor).
            const bool held = HoldForFollowUp(p);
            if (!p.after_commit.empty()) {
                if (external_) {
                    external_([actions = std::move(p.after_commit)]() mutable {
                        store::Database::RunActions(actions);
                    });
                } else {
                    store::Database::RunActions(p.after_commit);
                }
            }
            if (!held) {
                p.done(std::move(*p.result));
            }
        }
        lock.lock();
        batch_since_.reset();
        if (wrote && on_commit_) {
            auto on_commit = on_commit_;
            lock.unlock();
            on_commit();
            lock.lock();
        }
    }
}

bool MessagePipeline::HoldForFollowUp(Pending& p) {
    if (!p.follow_up || !p.result->ok()) {
        return false;
    }
    p.follow_up->Arm([done = std::move(p.done), interim = std::move(*p.result)](
                         std::optional<FollowUp::Text> final_text) mutable {
        if (!final_text) {
            done(std::move(interim));
            return;
        }
        wecom::PassiveReply r;
        r.kind = wecom::PassiveReply::Kind::kText;
        r.text = text::TruncateUtf8(final_text->text, kMaxTextReplyBytes);
        WipeString(final_text->text);
        done(std::move(r));
    });
    timers_->ExpireAfter(std::move(p.follow_up), follow_up_wait_);
    return true;
}

void MessagePipeline::RunBatch(std::vector<Pending>& batch) {
    try {
        store::WriteTx tx(db_);
        auto& conn = tx.Conn();
        for (auto& p : batch) {
            const std::string key = p.message.DedupeKey();
            if (!conn.InTransaction()) {
                // SQLite ended the transaction after an error: nothing more can join it.
                throw std::runtime_error("transaction ended early");
            }
            const auto actions_mark = db_.AfterCommitMark();
            conn.exec("SAVEPOINT delivery");
            try {
                p.result = Process(p.message, key, p.outcome, p.follow_up);
                conn.exec("RELEASE delivery");
                p.after_commit = db_.TakeAfterCommit(actions_mark);
            } catch (...) {
                db_.DropAfterCommit(actions_mark);
                // This delivery alone is undone; WeCom will deliver it again.
                log::Get("pipeline")->error("processing {} failed: {}", key, CurrentError());
                p.result = Fail(Errc::kInternal, "processing failed");
                p.outcome = "failed";
                p.follow_up.reset();
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
        for (auto& p : batch) {
            p.result = Fail(Errc::kInternal, "processing failed");
            p.outcome = "failed";
            p.after_commit.clear();
            p.follow_up.reset();
        }
    }
}

Result<wecom::PassiveReply> MessagePipeline::Process(const wecom::InboundMessage& message,
                                                     const std::string& key, const char*& outcome,
                                                     std::shared_ptr<FollowUp>& follow_up) {
    store::InboundLog log(db_);
    if (auto seen = log.Find(key)) {
        outcome = "duplicate";
        log::Get("pipeline")->info("duplicate delivery {} answered from the log", key);
        wecom::PassiveReply r;
        r.kind = KindFrom(seen->kind);
        if (seen->sealed) {
            auto opened = sealer_.Open(seen->body);
            if (!opened.ok()) {
                return Fail(Errc::kInternal, "stored reply cannot be opened");
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
    if (reply.passive.kind == wecom::PassiveReply::Kind::kText) {
        follow_up = std::move(reply.follow_up);
    }
    return reply.passive;
}

}  // namespace wedesk::app
