#include "wedesk/app/server_app.hpp"

#include "wedesk/app/message_pipeline.hpp"
#include "wedesk/bot/bot.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/http/server.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/wecom/callback.hpp"
#include "wedesk/wecom/crypto.hpp"

namespace wedesk::app {

Secret DeriveServerKey(const config::Config& config) {
    return Secret(HmacSha256(config.wecom.encoding_aes_key.Reveal(),
                             "wedesk-server-key:" + config.wecom.secret.Reveal()));
}

struct ServerApp::Impl {
    config::Config config;
    SystemClock system_clock;
    const Clock* clock = nullptr;
    OpenSslRandom random;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<wecom::WecomCrypto> crypto;
    std::unique_ptr<Sealer> sealer;
    std::unique_ptr<bot::Bot> bot;
    std::unique_ptr<MessagePipeline> pipeline;
    std::unique_ptr<wecom::CallbackHandler> callback;
    std::unique_ptr<http::HttpServer> http;
    bool running = false;
};

ServerApp::ServerApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServerApp::~ServerApp() { Stop(); }

Result<std::unique_ptr<ServerApp>> ServerApp::Create(const config::Config& config,
                                                     const Clock* clock) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->clock = clock != nullptr ? clock : &impl->system_clock;
    const auto& cfg = impl->config;

    auto crypto = wecom::WecomCrypto::Create(cfg.wecom.token, cfg.wecom.encoding_aes_key,
                                             cfg.wecom.corp_id);
    if (!crypto.ok()) {
        return Fail("config", "wecom.encoding_aes_key: " + crypto.error().message);
    }
    impl->crypto = std::make_unique<wecom::WecomCrypto>(std::move(crypto.value()));
    try {
        impl->db = store::Database::Open(cfg.database.path);
    } catch (const std::exception& e) {
        return Fail("database", e.what());
    }
    impl->sealer = std::make_unique<Sealer>(DeriveServerKey(cfg), "inbound-reply");

    bot::BotDeps deps{*impl->db, impl->config, *impl->clock};
    impl->bot = std::make_unique<bot::Bot>(deps);
    impl->pipeline = std::make_unique<MessagePipeline>(*impl->db, *impl->bot, *impl->sealer,
                                                       *impl->clock, impl->random);
    wecom::CallbackHandler::Options opts;
    opts.max_clock_skew_s = cfg.wecom.max_clock_skew_s;
    opts.max_body_bytes = cfg.server.max_body_bytes;
    impl->callback = std::make_unique<wecom::CallbackHandler>(*impl->crypto, *impl->pipeline,
                                                              *impl->clock, impl->random, opts);

    http::Routes routes;
    routes.callback_path = cfg.wecom.callback_path;
    routes.callback = impl->callback.get();
    auto* raw = impl.get();
    routes.health = [raw]() -> std::string {
        return raw->db->Healthy() ? "" : "database";
    };
    impl->http = std::make_unique<http::HttpServer>(std::move(routes), cfg.server.threads,
                                                    cfg.server.max_body_bytes);
    return std::unique_ptr<ServerApp>(new ServerApp(std::move(impl)));
}

Result<int> ServerApp::Start() {
    const int port = impl_->http->Start(impl_->config.server.host, impl_->config.server.port);
    if (port < 0) {
        return Fail("listen", "cannot listen on " + impl_->config.server.host + ":" +
                                  std::to_string(impl_->config.server.port));
    }
    impl_->running = true;
    return port;
}

void ServerApp::Stop() {
    if (!impl_ || !impl_->running) {
        return;
    }
    impl_->running = false;
    impl_->http->Stop();
    try {
        impl_->db->Checkpoint();
    } catch (const std::exception& e) {
        log::Get("app")->warn("WAL checkpoint at shutdown failed: {}", e.what());
    }
}

void ServerApp::RunBackgroundOnce() {}

}  // namespace wedesk::app
