#include <stdexcept>

#include "bot_env.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/user_repository.hpp"

namespace wedesk::bot::testing {

BotEnv::BotEnv() {
    config.tickets.categories = {{"pc", "电脑"}, {"network", "网络"}, {"printer", "打印机"}};
    config.tickets.groups = {{"desktop", {"pc", "printer"}}, {"net", {"network"}}};
    config.tickets.dialog_timeout_min = 30;
    db = store::Database::Open(dir.File("bot.db"), wedesk::schema::All());
    tickets = std::make_unique<tickets::TicketService>(*db, config.tickets, notifier, clock);
    BotDeps deps{*db, config, clock};
    deps.tickets = tickets.get();
    deps.notifier = &notifier;
    bot = std::make_unique<Bot>(deps);
}

BotEnv::~BotEnv() = default;

BotReply BotEnv::Handle(wecom::InboundMessage m) {
    if (m.create_time == 0) {
        m.create_time = clock.NowSeconds();
    }
    store::WriteTx tx(*db);
    BotReply r = bot->Handle(m);
    tx.Commit();
    return r;
}

std::string BotEnv::Say(const std::string& user, const std::string& text) {
    wecom::InboundMessage m;
    m.from_user = user;
    m.type = wecom::MsgType::kText;
    m.raw_type = "text";
    m.content = text;
    return Handle(std::move(m)).passive.text;
}

store::DialogState BotEnv::State(const std::string& user) {
    return store::DialogRepository(*db).Load(user).value_or(store::DialogState{});
}

void BotEnv::Import(const std::string& csv) {
    store::UserRepository users(*db);
    auto r = users.ImportCsv(csv, clock.NowSeconds());
    if (!r.ok()) {
        throw std::runtime_error(r.error().message);
    }
}

}  // namespace wedesk::bot::testing
