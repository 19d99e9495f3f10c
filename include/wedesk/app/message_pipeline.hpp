#pragma once
/// MessagePipeline: processes each WeCom delivery exactly once. For each delivery it looks it
/// up in the inbound log (a retry gets the stored reply), runs the bot, and records the reply;
/// only after COMMIT does the callback answer 200. A crash before commit leaves nothing, so
/// WeCom's retry processes the message as new.
///
/// Group commit on one writer thread ("wd-writer"): Submit() queues a delivery and returns at
/// once; the writer takes up to kMaxBatch queued deliveries, processes them in one write
/// transaction (each inside its own SAVEPOINT, so a failing delivery is undone alone), commits
/// once and calls each delivery's `done` with its reply. No thread waits per delivery: the HTTP
/// event loop writes the reply from `done`. After-commit actions (an SMS to send) are handed to
/// the `external` executor, so a slow provider delays nobody's reply.
///
/// A reply with a FollowUp (a directory call runs after commit) is held after its commit for up
/// to `follow_up_wait`: the final text answers the delivery if it comes in time, otherwise the
/// stored interim text does and the final text goes out as an app message. A timer thread
/// ("wd-timers") ends those waits, so nothing waits on the writer or the external pool.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "wedesk/bot/bot.hpp"
#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/wecom/callback.hpp"

namespace wedesk::app {

class MessagePipeline final : public wecom::MessageHandler {
public:
    /// What answers one delivery (the bot, in the server), inside the delivery's transaction.
    using Responder = std::function<bot::BotReply(const wecom::InboundMessage&)>;
    /// Runs a job somewhere else (a bounded pool). Empty: jobs run on the writer thread.
    using Executor = std::function<void(std::function<void()>)>;

    /// How long a delivery whose reply has a FollowUp waits for the final text (WeCom allows
    /// a callback 5 s in all).
    static constexpr std::chrono::milliseconds kFollowUpWait{2000};

    /// Starts the writer thread.
    MessagePipeline(store::Database& db, Responder responder, const Sealer& sealer,
                    const Clock& clock, Random& random, Executor external = {},
                    std::chrono::milliseconds follow_up_wait = kFollowUpWait);
    /// Processes what is still queued, then stops the writer thread.
    ~MessagePipeline() override;
    MessagePipeline(const MessagePipeline&) = delete;
    MessagePipeline& operator=(const MessagePipeline&) = delete;

    void Submit(wecom::InboundMessage message, Done done) override;
    /// Called after each commit that wrote something (wakes the outbox worker).
    void SetOnCommit(std::function<void()> fn);

    /// Deliveries waiting for the writer.
    std::size_t Queued();
    /// Seconds the oldest delivery not yet answered has waited (queued or in the running
    /// batch); 0 when none.
    double OldestWaitSeconds();
    /// Most deliveries committed together.
    static constexpr std::size_t kMaxBatch = 64;
    /// More queued deliveries than this are refused at once (500: WeCom retries later).
    static constexpr std::size_t kMaxQueue = 20'000;

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    struct Pending {
        wecom::InboundMessage message;
        Done done;
        TimePoint queued_at;
        std::optional<Result<wecom::PassiveReply>> result;
        const char* outcome = "failed";
        std::shared_ptr<FollowUp> follow_up;  // the reply's final text comes later
        // Database::AfterCommit actions of this delivery, run once the batch committed.
        std::vector<std::function<void()>> after_commit;
    };
    void WriterLoop();
    void RunBatch(std::vector<Pending>& batch);
    // Inside the batch's transaction; `key` is the message's DedupeKey(). An exception means
    // this delivery must be undone.
    // `outcome` is set to "processed" or "duplicate" (counted once the batch commits).
    Result<wecom::PassiveReply> Process(const wecom::InboundMessage& message,
                                        const std::string& key, const char*& outcome,
                                        std::shared_ptr<FollowUp>& follow_up);
    // After commit, for a reply with a FollowUp: arms it to answer `p` with the final text or,
    // when its wait ends first, the interim one. False (nothing done) for any other reply.
    bool HoldForFollowUp(Pending& p);

    store::Database& db_;
    Responder responder_;
    const Sealer& sealer_;
    const Clock& clock_;
    Random& random_;
    Executor external_;
    std::chrono::milliseconds follow_up_wait_;
    struct Timers;                    // the follow-up waits' timer thread
    std::unique_ptr<Timers> timers_;  // before writer_: outlives the writer's use of it

    std::mutex queue_mu_;  // guards everything below
    std::condition_variable queue_cv_;
    std::deque<Pending> queue_;
    std::optional<TimePoint> batch_since_;  // oldest queued_at of the running batch
    std::function<void()> on_commit_;
    bool stop_ = false;
    std::thread writer_;  // last: starts after every member above exists
};

}  // namespace wedesk::app
