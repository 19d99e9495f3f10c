#pragma once
/// MessagePipeline: processes each WeCom delivery exactly once. In one write transaction it
/// looks the delivery up in the inbound log (a retry gets the stored reply), runs the bot, and
/// records the reply; only after COMMIT does the callback answer 200. A crash before commit
/// leaves nothing, so WeCom's retry processes the message as new.

#include <functional>

#include "wedesk/bot/bot.hpp"
#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/wecom/callback.hpp"

namespace wedesk::app {

class MessagePipeline final : public wecom::MessageHandler {
public:
    MessagePipeline(store::Database& db, bot::Bot& bot, const Sealer& sealer, const Clock& clock,
                    Random& random);
    Result<wecom::PassiveReply> Handle(const wecom::InboundMessage& message) override;
    /// Called after each commit (wakes the outbox worker so queued messages go out now).
    void SetOnCommit(std::function<void()> fn) { on_commit_ = std::move(fn); }

private:
    store::Database& db_;
    bot::Bot& bot_;
    const Sealer& sealer_;
    const Clock& clock_;
    Random& random_;
    std::function<void()> on_commit_;
};

}  // namespace wedesk::app
