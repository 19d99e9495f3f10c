#pragma once
/// ServerApp: wires a Config into concrete classes — database, crypto, domain services, bot,
/// message pipeline, HTTP server and background workers — and runs them. The only place that
/// knows every concrete class. Used by `wedesk serve` and by the integration tests, which start
/// it on port 0 and talk to it over loopback HTTP.

#include <chrono>
#include <memory>
#include <string>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/config/config.hpp"

namespace wedesk::app {

class ServerApp final {
public:
    /// Builds everything (opens and migrates the database). Errors are fatal start-up problems
    /// with a message for the operator. `clock` may be a test clock; it must outlive the app.
    static Result<std::unique_ptr<ServerApp>> Create(const config::Config& config,
                                                     Clock* clock = nullptr);
    ~ServerApp();
    ServerApp(const ServerApp&) = delete;
    ServerApp& operator=(const ServerApp&) = delete;

    /// Binds server.host:server.port (port 0 in tests: any free port) and starts serving and
    /// the background workers. Returns the bound port.
    Result<int> Start();
    /// Graceful stop: stop accepting, finish in-flight requests, stop workers, checkpoint WAL.
    void Stop();

    /// Runs one round of background work now (ticket timers, attachment fetches, outbox) — for
    /// tests with a fake clock; the workers do this on their own in production.
    void RunBackgroundOnce();
    /// Waits until every after-commit action handed to the external pool so far (an SMS to
    /// send) has finished; false when `timeout` passed first. For tests and tools: the reply to
    /// a chat step does not wait for these.
    bool WaitForExternalCalls(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// With `false`, Start() does not start the background threads (tests drive them with
    /// RunBackgroundOnce so a fake clock decides what is due).
    void SetBackgroundThreads(bool enabled);

    struct Impl;

private:
    explicit ServerApp(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Derives the server's own secret (HMAC key for SMS codes, sealing key for stored replies)
/// from configured secrets, so it is never stored in the database it protects.
Secret DeriveServerKey(const config::Config& config);

}  // namespace wedesk::app
