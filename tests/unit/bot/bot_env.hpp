#pragma once
// Fixture for the bot unit tests: a real SQLite file in a temp dir, a fake clock, the real
// TicketService with a recording Notifier, and a Bot built from BotDeps. Each Say() runs in its
// own write transaction, as the message pipeline does.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/fake_clock.hpp"
#include "fakes/recording_notifier.hpp"
#include "fakes/temp_dir.hpp"
#include "wedesk/bot/bot.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/dialog_repository.hpp"
#include "wedesk/tickets/ticket_service.hpp"
#include "wedesk/wecom/message.hpp"

namespace wedesk::bot::testing {

using wedesk::testing::RecordingNotifier;
using wedesk::testing::Sent;

struct BotEnv {
    BotEnv();
    ~BotEnv();

    /// A text message from `user`; the passive reply text.
    std::string Say(const std::string& user, const std::string& text);
    /// Any message (from_user must be set); the whole reply.
    BotReply Handle(wecom::InboundMessage m);
    /// The stored dialog of `user` (idle when none).
    store::DialogState State(const std::string& user);
    /// Imports people (SPEC users CSV).
    void Import(const std::string& csv);

    wedesk::testing::TempDir dir;
    wedesk::testing::FakeClock clock;
    config::Config config;
    std::unique_ptr<store::Database> db;
    RecordingNotifier notifier;
    std::unique_ptr<tickets::TicketService> tickets;
    std::unique_ptr<Bot> bot;
};

}  // namespace wedesk::bot::testing
