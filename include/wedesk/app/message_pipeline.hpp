#pragma once
/// MessagePipeline: processes each WeCom delivery exactly once. For each delivery it looks it
/// up in the inbound log (a retry gets the stored reply), runs the bot, and records the reply;
/// only after COMMIT does the callback answer 200. A crash before commit leaves nothing, so
/// WeCom's retry processes the message as new.
///
/// Group commit: deliveries that arrive while a transaction is being processed wait in a queue;
/// the next HTTP thread to find no batch running becomes the leader, processes up to
/// kMaxBatch of them in one write transaction (each inside its own SAVEPOINT, so a failing
/// delivery is undone alone), commits once and hands every waiting thread its reply. Under
/// light load a batch is one delivery and nothing waits.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

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

    MessagePipeline(store::Database& db, Responder responder, const Sealer& sealer,
                    const Clock& clock, Random& random);
    Result<wecom::PassiveReply> Handle(const wecom::InboundMessage& message) override;
    /// Called after each commit (wakes the outbox worker so queued messages go out now).
    void SetOnCommit(std::function<void()> fn) { on_commit_ = std::move(fn); }

    /// Deliveries waiting for the batch in progress to finish.
    std::size_t Queued();
    /// Most deliveries committed together.
    static constexpr std::size_t kMaxBatch = 64;

private:
    struct Pending {
        const wecom::InboundMessage* message = nullptr;
        std::optional<Result<wecom::PassiveReply>> result;
        const char* outcome = "failed";
        bool done = false;
        std::condition_variable wake;  // done, or time to lead the next batch
        // Database::AfterCommit actions of this delivery: run by its own thread once the batch
        // committed, before the reply goes out (an SMS is sent without holding the writer).
        std::vector<std::function<void()>> after_commit;
    };
    void RunBatch(const std::vector<Pending*>& batch);
    // Inside the batch's transaction; `key` is the message's DedupeKey(). An exception means
    // this delivery must be undone.
    // `outcome` is set to "processed" or "duplicate" (counted once the batch commits).
    Result<wecom::PassiveReply> Process(const wecom::InboundMessage& message,
                                        const std::string& key, const char*& outcome);

    store::Database& db_;
    Responder responder_;
    const Sealer& sealer_;
    const Clock& clock_;
    Random& random_;
    std::function<void()> on_commit_;

    std::mutex queue_mu_;  // guards queue_, leading_ and every Pending's result/done
    std::deque<Pending*> queue_;
    bool leading_ = false;  // a thread is running a batch
};

}  // namespace wedesk::app
