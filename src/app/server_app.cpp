#include "wedesk/app/server_app.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "wedesk/app/message_pipeline.hpp"
#include "wedesk/bot/bot.hpp"
#include "wedesk/common/background_loop.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/common/thread_name.hpp"
#include "wedesk/directory/ldap_directory.hpp"
#include "wedesk/directory/local_directory.hpp"
#include "wedesk/http/server.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/outbox/outbox.hpp"
#include "wedesk/outbox/outbox_worker.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/sms/sms_sender.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/inbound_log.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/tickets/attachments.hpp"
#include "wedesk/tickets/ticket_service.hpp"
#include "wedesk/wecom/api_client.hpp"
#include "wedesk/wecom/callback.hpp"
#include "wedesk/wecom/crypto.hpp"

namespace wedesk::app {

namespace {

constexpr int kApiTimeoutS = 10;
constexpr auto kTickInterval = std::chrono::seconds(30);
// Attachments: fetched on every commit's kick, and retried at least this often.
constexpr auto kMediaPoll = std::chrono::seconds(15);
// Old attachment files are deleted by the ticker at most this often.
constexpr std::int64_t kPurgeIntervalS = 3600;
constexpr std::int64_t kInboundLogKeepS = 7 * 24 * 3600;
// The WAL is checkpointed by its own thread when it passes kCheckpointPages (SQLite's default
// auto-checkpoint size) and at least every kCheckpointInterval.
constexpr int kCheckpointPages = 1000;
constexpr auto kCheckpointInterval = std::chrono::seconds(1);
constexpr auto kMinCheckpointGap = std::chrono::milliseconds(250);

/// Account and mobile of a WeCom user from the imported people.
class ImportedUserLookup final : public reset::UserLookup {
public:
    explicit ImportedUserLookup(store::Database& db) : db_(db) {}
    reset::UserInfo Find(const std::string& userid) override {
        store::UserRepository users(db_);
        auto u = users.Find(userid);
        if (!u) {
            return {};
        }
        return {u->account, u->mobile};
    }
    std::vector<std::string> OwnersOf(const std::string& account) override {
        return store::UserRepository(db_).OwnersOf(account);
    }

private:
    store::Database& db_;
};

constexpr int kExternalThreads = 8;
// /healthz reports failure when a delivery has waited longer than this: WeCom gives up on a
// callback after 5 s.
constexpr double kMaxHealthyWaitS = 5.0;

constexpr const char* kResetGauge = "wedesk_reset_events";
// Gauges whose callbacks read this app's objects (removed when the app dies).
constexpr const char* kAppGauges[] = {kResetGauge,
                                      "wedesk_tickets",
                                      "wedesk_sla_breaches",
                                      "wedesk_kb_deflection_ratio",
                                      "wedesk_outbox_messages",
                                      "wedesk_outbox_paused"};

constexpr const char* kResetGaugeHelp = "Self-service reset outcomes since start";

void RegisterResetMetrics(reset::ResetService& reset) {
    metrics::Global().AddGaugeCallback(kResetGauge, kResetGaugeHelp, [&reset] {
        const auto c = reset.Counters();
        auto v = [](std::uint64_t n) { return static_cast<double>(n); };
        return std::vector<std::pair<metrics::Labels, double>>{
            {{{"event", "sms_sent"}}, v(c.sms_sent)},
            {{{"event", "sms_failed"}}, v(c.sms_failed)},
            {{{"event", "code_ok"}}, v(c.codes_ok)},
            {{{"event", "code_wrong"}}, v(c.codes_wrong)},
            {{{"event", "locked"}}, v(c.locked)},
            {{{"event", "refused"}}, v(c.refused)},
            {{{"event", "password_set"}}, v(c.passwords_set)},
            {{{"event", "unlock"}}, v(c.unlocks)},
            {{{"event", "directory_error"}}, v(c.directory_errors)},
            {{{"event", "sms_budget_refused"}}, v(c.sms_budget_refused)},
            {{{"event", "closed"}}, v(c.closed)}};
    });
}

/// Samples of a gauge whose source can fail (a database error): none then, and a log line.
template <class F>
std::vector<std::pair<metrics::Labels, double>> Sampled(const char* name, F&& f) {
    try {
        return f();
    } catch (const std::exception& e) {
        log::Get("app")->warn("gauge {} not sampled: {}", name, e.what());
        return {};
    }
}

void RegisterTicketMetrics(tickets::TicketService& tickets, kb::KnowledgeBase& kb) {
    metrics::Global().AddGaugeCallback("wedesk_tickets", "Tickets by status", [&tickets] {
        return Sampled("wedesk_tickets", [&tickets] {
            std::vector<std::pair<metrics::Labels, double>> out;
            auto s = tickets.Stats();
            if (s.ok()) {
                for (const auto& [status, n] : s->by_status) {
                    out.push_back({{{"status", status}}, static_cast<double>(n)});
                }
            }
            return out;
        });
    });
    metrics::Global().AddGaugeCallback(
        "wedesk_sla_breaches", "Tickets that breached an SLA target, by priority and target",
        [&tickets] {
            return Sampled("wedesk_sla_breaches", [&tickets] {
                std::vector<std::pair<metrics::Labels, double>> out;
                auto s = tickets.Stats();
                if (s.ok()) {
                    for (const auto& [prio, sla] : s->sla) {
                        out.push_back({{{"priority", prio}, {"target", "response"}},
                                       static_cast<double>(sla.response_breached)});
                        out.push_back({{{"priority", prio}, {"target", "resolve"}},
                                       static_cast<double>(sla.resolve_breached)});
                    }
                }
                return out;
            });
        });
    metrics::Global().AddGaugeCallback(
        "wedesk_kb_deflection_ratio",
        "Conversations solved by an article / conversations that got suggestions", [&kb] {
            const auto s = kb.Stats(0);
            return std::vector<std::pair<metrics::Labels, double>>{{{}, s.deflection_rate}};
        });
}

}  // namespace

Secret DeriveServerKey(const config::Config& config) {
    return Secret(HmacSha256(config.wecom.encoding_aes_key.Reveal(),
                             "wedesk-server-key:" + config.wecom.secret.Reveal()));
}

struct ServerApp::Impl {
    config::Config config;
    SystemClock system_clock;
    Clock* clock = nullptr;
    OpenSslRandom random;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<wecom::WecomCrypto> crypto;
    std::unique_ptr<Sealer> sealer;
    std::unique_ptr<Sealer> outbox_sealer;  // secret texts queued in the outbox
    std::unique_ptr<wecom::ApiClient> api;
    std::unique_ptr<outbox::Outbox> outbox;
    std::unique_ptr<outbox::OutboxWorker> outbox_worker;
    std::unique_ptr<tickets::TicketService> tickets;
    std::unique_ptr<tickets::Attachments> attachments;
    // The media thread: fetches new attachments from WeCom before their media_id expires.
    std::unique_ptr<BackgroundLoop> media_loop;
    std::int64_t last_purge = 0;  // ticker thread only
    std::unique_ptr<kb::KnowledgeBase> kb;
    std::unique_ptr<directory::Directory> directory;
    std::unique_ptr<sms::SmsSender> sms;
    std::unique_ptr<ImportedUserLookup> user_lookup;
    std::unique_ptr<reset::ResetService> reset;
    std::unique_ptr<bot::Bot> bot;
    // After-commit actions (SMS sends) and other calls to slow outside services: off the
    // writer and off the event loop.
    boost::asio::thread_pool external{kExternalThreads};
    std::mutex external_mu;  // guards external_pending
    std::condition_variable external_cv;
    int external_pending = 0;
    std::unique_ptr<MessagePipeline> pipeline;
    std::unique_ptr<wecom::CallbackHandler> callback;
    std::unique_ptr<http::HttpServer> http;

    bool background_threads = true;
    bool running = false;
    // The ticker thread: ticket timers (dispatch, SLA, auto close) and log pruning.
    std::thread ticker;
    std::mutex ticker_mu;
    std::condition_variable ticker_cv;
    bool ticker_stop = false;
    std::atomic<bool> ticker_healthy{true};
    // The last integrity check of the database (run by the ticker, not per /healthz call).
    std::atomic<bool> db_healthy{true};
    // The checkpointer thread: WAL checkpoints off the writer's commit path.
    std::thread checkpointer;
    std::mutex checkpoint_mu;
    std::condition_variable checkpoint_cv;
    bool checkpoint_stop = false;
    bool checkpoint_due = false;

    void TickOnce();
    void TickerLoop();
    void CheckpointLoop();
};

void ServerApp::Impl::TickOnce() {
    db_healthy = db->Healthy();
    try {
        auto r = tickets->Tick();
        ticker_healthy = r.ok();
        if (!r.ok()) {
            log::Get("app")->error("ticket timers failed: {}", r.error().message);
        }
    } catch (const std::exception& e) {
        ticker_healthy = false;  // the failed step was rolled back; the next tick tries again
        log::Get("app")->error("ticket timers failed: {}", e.what());
    }
    if (attachments && clock->NowSeconds() - last_purge >= kPurgeIntervalS) {
        last_purge = clock->NowSeconds();
        try {
            attachments->Purge();
        } catch (const std::exception& e) {
            log::Get("app")->warn("deleting old attachments failed: {}", e.what());
        }
    }
    try {
        store::WriteTx tx(*db);
        store::InboundLog(*db).Prune(clock->NowSeconds() - kInboundLogKeepS);
        tx.Commit();
    } catch (const std::exception& e) {
        log::Get("app")->warn("pruning the inbound log failed: {}", e.what());
    }
    if (outbox_worker) {
        outbox_worker->Kick();  // ticket timers may have queued messages
    }
}

void ServerApp::Impl::TickerLoop() {
    std::unique_lock lock(ticker_mu);
    while (!ticker_stop) {
        lock.unlock();
        TickOnce();
        lock.lock();
        ticker_cv.wait_for(lock, kTickInterval, [this] { return ticker_stop; });
    }
}

void ServerApp::Impl::CheckpointLoop() {
    std::unique_lock lock(checkpoint_mu);
    while (!checkpoint_stop) {
        checkpoint_cv.wait_for(lock, kCheckpointInterval,
                               [this] { return checkpoint_stop || checkpoint_due; });
        if (checkpoint_stop) {
            break;
        }
        checkpoint_due = false;
        lock.unlock();
        try {
            db->CheckpointPassive();
        } catch (const std::exception& e) {
            log::Get("app")->warn("WAL checkpoint failed: {}", e.what());
        }
        lock.lock();
        // Each checkpoint ends with an fsync: at most one per kMinCheckpointGap, however fast
        // the WAL grows (frames written meanwhile are copied by the next one).
        checkpoint_cv.wait_for(lock, kMinCheckpointGap, [this] { return checkpoint_stop; });
    }
}

ServerApp::ServerApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServerApp::~ServerApp() {
    Stop();
    if (impl_) {
        // The pipeline answers what is still queued through the callback handler and the HTTP
        // server's (stopped) loop: it goes first, while both still exist.
        impl_->pipeline.reset();
        impl_->external.join();  // SMS sends already handed over finish (each has its deadline)
    }
    // The registry is process-wide: its gauges must not outlive the objects they read.
    for (const char* gauge : kAppGauges) {
        metrics::Global().RemoveGauge(gauge);
    }
}

Result<std::unique_ptr<ServerApp>> ServerApp::Create(const config::Config& config, Clock* clock) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->clock = clock != nullptr ? clock : &impl->system_clock;
    const auto& cfg = impl->config;
    Clock& clk = *impl->clock;

    auto crypto =
        wecom::WecomCrypto::Create(cfg.wecom.token, cfg.wecom.encoding_aes_key, cfg.wecom.corp_id);
    if (!crypto.ok()) {
        return Fail(Errc::kConfig, "wecom.encoding_aes_key: " + crypto.error().message);
    }
    impl->crypto = std::make_unique<wecom::WecomCrypto>(std::move(crypto.value()));
    try {
        impl->db = store::Database::Open(cfg.database.path, schema::All());
    } catch (const std::exception& e) {
        return Fail(Errc::kDatabase, e.what());
    }
    auto& db = *impl->db;
    const Secret server_key = DeriveServerKey(cfg);
    impl->sealer = std::make_unique<Sealer>(server_key, "inbound-reply");

    // Outgoing messages: queued in the outbox inside each step's transaction, sent by a worker.
    impl->api =
        std::make_unique<wecom::ApiClient>(cfg.wecom.api_base, cfg.wecom.corp_id, cfg.wecom.secret,
                                           cfg.wecom.agent_id, clk, kApiTimeoutS);
    impl->outbox_sealer = std::make_unique<Sealer>(server_key, "outbox-secret");
    impl->outbox =
        std::make_unique<outbox::Outbox>(db, clk, impl->outbox_sealer.get(), &impl->random);
    outbox::WorkerOptions worker_opts;
    worker_opts.sealer = impl->outbox_sealer.get();
    impl->outbox_worker =
        std::make_unique<outbox::OutboxWorker>(db, *impl->api, clk, impl->random, worker_opts);
    outbox::RegisterMetrics(*impl->outbox, metrics::Global());
    metrics::Global().AddGaugeCallback(
        "wedesk_outbox_paused",
        "1 while WeCom refuses our configuration (e.g. 60020 untrusted IP) and sending waits",
        [worker = impl->outbox_worker.get()] {
            return std::vector<std::pair<metrics::Labels, double>>{
                {{}, worker->PausedReason().empty() ? 0.0 : 1.0}};
        });

    try {
        impl->tickets =
            std::make_unique<tickets::TicketService>(db, cfg.tickets, *impl->outbox, clk);
    } catch (const std::exception& e) {
        return Fail(Errc::kConfig, std::string("tickets: ") + e.what());
    }
    impl->kb = std::make_unique<kb::KnowledgeBase>(db, &clk);
    impl->attachments = std::make_unique<tickets::Attachments>(db, impl->config.tickets.attachments,
                                                               *impl->outbox, clk, *impl->api);
    impl->media_loop = std::make_unique<BackgroundLoop>("wd-media", kMediaPoll, [raw = impl.get()] {
        const auto r = raw->attachments->RunOnce();
        if (r.stored > 0) {
            raw->outbox_worker->Kick();  // the files for the assignees
        }
    });

    // Self-service reset: only when both the directory and SMS are configured.
    if (cfg.directory && cfg.sms) {
        try {
            if (cfg.directory->kind == "ldap") {
                impl->directory = std::make_unique<directory::LdapDirectory>(cfg.directory->ldap);
            } else {
                impl->directory = std::make_unique<directory::LocalDirectory>(db);
            }
        } catch (const std::exception& e) {
            return Fail(Errc::kConfig, std::string("directory: ") + e.what());
        }
        auto sms = sms::MakeSmsSender(*cfg.sms, cfg.server.demo, clk, impl->random);
        if (!sms.ok()) {
            return Fail(Errc::kConfig, "sms: " + sms.error().message);
        }
        impl->sms = std::move(sms.value());
        impl->user_lookup = std::make_unique<ImportedUserLookup>(db);
        impl->reset = std::make_unique<reset::ResetService>(
            cfg.reset, cfg.server.public_url, db, impl->directory.get(), impl->sms.get(),
            *impl->user_lookup, *impl->outbox, clk, impl->random, server_key);
        try {
            if (const int cut = impl->reset->Recover(); cut > 0) {
                log::Get("app")->warn(
                    "{} reset form submit(s) were cut short by the last stop: links reopened, "
                    "owners told (reset_audit outcome 'unknown')",
                    cut);
            }
        } catch (const std::exception& e) {
            return Fail(Errc::kDatabase, std::string("reset recovery: ") + e.what());
        }
        RegisterResetMetrics(*impl->reset);
    }
    RegisterTicketMetrics(*impl->tickets, *impl->kb);

    bot::BotDeps deps{db, impl->config, clk};
    deps.tickets = impl->tickets.get();
    deps.kb = impl->kb.get();
    deps.reset = impl->reset.get();
    deps.notifier = impl->outbox.get();
    impl->bot = std::make_unique<bot::Bot>(deps);
    impl->pipeline = std::make_unique<MessagePipeline>(
        db, [bot = impl->bot.get()](const wecom::InboundMessage& m) { return bot->Handle(m); },
        *impl->sealer, clk, impl->random,
        [raw = impl.get()](std::function<void()> job) {
            {
                std::lock_guard lock(raw->external_mu);
                ++raw->external_pending;
            }
            boost::asio::post(raw->external, [raw, job = std::move(job)] {
                thread_local const bool named = (SetThreadName("wd-ext"), true);
                (void)named;
                job();  // RunActions: catches and logs whatever an action throws
                std::lock_guard lock(raw->external_mu);
                if (--raw->external_pending == 0) {
                    raw->external_cv.notify_all();
                }
            });
        });
    auto* worker = impl->outbox_worker.get();
    impl->pipeline->SetOnCommit([worker, media = impl->media_loop.get()] {
        worker->Kick();
        media->Kick();  // attachments to fetch, if any (a pass with none is one query)
    });

    wecom::CallbackHandler::Options opts;
    opts.max_clock_skew_s = cfg.wecom.max_clock_skew_s;
    opts.max_body_bytes = cfg.server.max_body_bytes;
    opts.agent_id = std::to_string(cfg.wecom.agent_id);
    impl->callback = std::make_unique<wecom::CallbackHandler>(*impl->crypto, *impl->pipeline, clk,
                                                              impl->random, opts);

    http::Routes routes;
    routes.callback_path = cfg.wecom.callback_path;
    routes.callback = impl->callback.get();
    auto* raw = impl.get();
    routes.health = [raw]() {
        http::Health h;
        const double wait = raw->pipeline->OldestWaitSeconds();
        const auto* ldap = dynamic_cast<const directory::LdapDirectory*>(raw->directory.get());
        const std::string paused = raw->outbox_worker->PausedReason();
        h.detail = fmt::format(
            R"("oldest_delivery_wait_s":{:.3f},"queued_deliveries":{},"open_breakers":[{}],)"
            R"("outbox_paused":{})",
            wait, raw->pipeline->Queued(),
            ldap != nullptr && ldap->CircuitOpen() ? R"("directory")" : "",
            paused.empty() ? "false"
                           : nlohmann::json(paused).dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace));
        if (!raw->db_healthy) {
            h.failing = "database";
        } else if (wait > kMaxHealthyWaitS) {
            h.failing = "message pipeline";
        } else if (!raw->ticker_healthy) {
            h.failing = "ticket timers";
        }
        return h;
    };
    if (impl->reset) {
        auto* reset = impl->reset.get();
        routes.reset_show = [reset](const std::string& token) {
            const auto p = reset->ShowForm(token);
            return http::Page{p.status, p.html};
        };
        routes.reset_submit = [reset, worker](const std::string& token, const std::string& pw,
                                              const std::string& confirm,
                                              const std::string& nonce) {
            const auto p = reset->SubmitForm(token, pw, confirm, nonce);
            worker->Kick();  // the confirmation message
            return http::Page{p.status, p.html};
        };
    }
    http::Limits limits;
    limits.max_body_bytes = cfg.server.max_body_bytes;
    limits.max_connections = static_cast<std::size_t>(cfg.server.max_connections);
    limits.keepalive_timeout = std::chrono::seconds(cfg.server.keepalive_timeout_s);
    limits.request_timeout = std::chrono::seconds(cfg.server.request_timeout_s);
    impl->http = std::make_unique<http::HttpServer>(std::move(routes), cfg.server.threads, limits);
    return std::unique_ptr<ServerApp>(new ServerApp(std::move(impl)));
}

void ServerApp::SetBackgroundThreads(bool enabled) { impl_->background_threads = enabled; }

Result<int> ServerApp::Start() {
    // Workers and the checkpoint hook first: the hook's target is set before any request can
    // reach the writer, and a failed listen is undone by Stop() like any other start.
    impl_->running = true;
    if (impl_->background_threads) {
        impl_->checkpoint_stop = false;
        impl_->db->MoveCheckpointsOffWriter([raw = impl_.get()](int wal_pages) {
            if (wal_pages >= kCheckpointPages) {
                {
                    std::lock_guard lock(raw->checkpoint_mu);
                    raw->checkpoint_due = true;
                }
                raw->checkpoint_cv.notify_one();
            }
        });
        impl_->checkpointer = std::thread([raw = impl_.get()] {
            SetThreadName("wd-checkpoint");
            raw->CheckpointLoop();
        });
        impl_->outbox_worker->Start();
        impl_->media_loop->Start();
        impl_->ticker_stop = false;
        impl_->ticker = std::thread([raw = impl_.get()] {
            SetThreadName("wd-ticker");
            raw->TickerLoop();
        });
    }
    const int port = impl_->http->Start(impl_->config.server.host, impl_->config.server.port);
    if (port < 0) {
        Stop();
        return Fail(Errc::kListen, "cannot listen on " + impl_->config.server.host + ":" +
                                       std::to_string(impl_->config.server.port));
    }
    return port;
}

void ServerApp::Stop() {
    if (!impl_ || !impl_->running) {
        return;
    }
    impl_->running = false;
    impl_->http->Stop();  // no new requests; in-flight ones finish
    if (impl_->ticker.joinable()) {
        {
            std::lock_guard lock(impl_->ticker_mu);
            impl_->ticker_stop = true;
        }
        impl_->ticker_cv.notify_all();
        impl_->ticker.join();
    }
    if (impl_->checkpointer.joinable()) {
        {
            std::lock_guard lock(impl_->checkpoint_mu);
            impl_->checkpoint_stop = true;
        }
        impl_->checkpoint_cv.notify_all();
        impl_->checkpointer.join();
    }
    impl_->media_loop->Stop();     // a fetch in flight finishes (bounded by the API timeout)
    impl_->outbox_worker->Stop();  // the outbox state is in the database: nothing to flush
    impl_->db->MoveCheckpointsOffWriter(nullptr);  // nobody writes now; the hook's target is gone
    try {
        impl_->db->Checkpoint();
    } catch (const std::exception& e) {
        log::Get("app")->warn("WAL checkpoint at shutdown failed: {}", e.what());
    }
}

bool ServerApp::WaitForExternalCalls(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->external_mu);
    return impl_->external_cv.wait_for(lock, timeout,
                                       [this] { return impl_->external_pending == 0; });
}

void ServerApp::RunBackgroundOnce() {
    impl_->TickOnce();
    impl_->attachments->RunOnce();
    impl_->outbox_worker->RunOnce();
}

}  // namespace wedesk::app
