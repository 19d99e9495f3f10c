// `wedesk serve`: run the server until SIGINT/SIGTERM.
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "app/commands.hpp"
#include "wedesk/app/server_app.hpp"
#include "wedesk/common/fatal_signal.hpp"
#include "wedesk/common/log.hpp"

namespace wedesk::app {

std::optional<config::Config> LoadConfigOrReport(const CliContext& ctx) {
    auto cfg = config::Load(ctx.config_path);
    if (!cfg.ok()) {
        std::cerr << "wedesk: config error: " << cfg.error().message << "\n";
        return std::nullopt;
    }
    return std::move(cfg.value());
}

namespace {

void WarnDemoSettings(const config::Config& cfg) {
    auto log = log::Get("app");
    if (cfg.server.demo) {
        log->warn("DEMO MODE: not for production use");
    }
    if (cfg.sms && cfg.sms->provider == "console") {
        log->warn("DEMO ONLY: SMS codes are written to this log (sms.provider=console)");
    }
    if (cfg.directory && cfg.directory->kind == "local") {
        log->warn("DEMO ONLY: passwords live in a local table (directory.kind=local)");
    }
    if (cfg.server.public_url.starts_with("http://")) {
        // Accepted by the configuration only in demo mode or on loopback (tests).
        log->warn("server.public_url is plain http: reset links must be served over https");
    }
}

int Serve(const CliContext& ctx) {
    auto cfg = LoadConfigOrReport(ctx);
    if (!cfg) {
        return 2;
    }
    if (!log::Setup(cfg->log.level, cfg->log.format, cfg->log.file)) {
        std::cerr << "wedesk: config error: log.level/log.format invalid\n";
        return 2;
    }
    InstallFatalSignalReport();
    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto app = ServerApp::Create(*cfg);
    if (!app.ok()) {
        std::cerr << "wedesk: cannot start: " << app.error().message << "\n";
        return 1;
    }
    auto port = (*app)->Start();
    if (!port.ok()) {
        std::cerr << "wedesk: cannot start: " << port.error().message << "\n";
        return 1;
    }
    log::Get("app")->info("wedesk {} listening on {}:{} (config {})", WEDESK_VERSION,
                          cfg->server.host, *port, ctx.config_path);
    WarnDemoSettings(*cfg);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log::Get("app")->info("signal {} received: stopping", sig);
    (*app)->Stop();
    log::Get("app")->info("stopped cleanly");
    return 0;
}

}  // namespace

void AddServeCommand(CLI::App& cli, CliContext& ctx) {
    auto* serve = cli.add_subcommand("serve", "run the server until SIGINT/SIGTERM");
    serve->fallthrough();
    serve->callback([&ctx] { ctx.exit_code = Serve(ctx); });
}

}  // namespace wedesk::app
