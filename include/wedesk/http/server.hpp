#pragma once
/// HttpServer: the one listening socket, an event loop (Boost.Beast over Asio). An idle or slow
/// connection holds no thread: only a socket and a timer. Routes:
///   GET/POST {callback_path}  → wecom::CallbackHandler (URL verification, messages); a POST's
///                               reply is written when its delivery commits (no thread waits)
///   GET /healthz              → 200 {"status":"ok",...}, or 503 naming what is failing
///   GET /metrics              → Prometheus text (on the work pool: gauges read the database)
///   GET/POST /reset/{token}   → the password form (on the work pool: it talks to the directory)
/// Limits are enforced before a body is read: a body needs a Content-Length within
/// max_body_bytes (chunked or length-less → 411, too long → 413, any Content-Encoding → 415);
/// headers are bounded in size and count (431); headers and body each have a read deadline; an
/// idle keep-alive connection is closed after keepalive_timeout; past max_connections the
/// connection idle longest is shed first, and a new one gets 503 only when none is idle.
/// Handlers only translate HTTP to calls; the logic lives behind them.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "wedesk/wecom/callback.hpp"

namespace wedesk::http {

struct Page {
    int status = 200;
    std::string html;
};

/// What /healthz reports. `failing` empty means healthy; `detail` is a JSON object's members
/// (without braces) added to the answer, e.g. "\"oldest_queued_s\":0.0".
struct Health {
    std::string failing;
    std::string detail;
};

struct Routes {
    std::string callback_path = "/wecom/callback";
    wecom::CallbackHandler* callback = nullptr;
    /// Health, called on the event loop: must be cheap (no SQL, no I/O).
    std::function<Health()> health;
    /// GET /reset/{token}; empty: route answers 404. Runs on the work pool.
    std::function<Page(const std::string& token)> reset_show;
    /// POST /reset/{token} with form fields password, confirm, nonce (from an
    /// application/x-www-form-urlencoded body only; anything else is 415). Runs on the work
    /// pool.
    std::function<Page(const std::string& token, const std::string& password,
                       const std::string& confirm, const std::string& nonce)>
        reset_submit;
};

struct Limits {
    std::size_t max_body_bytes = 64 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_header_fields = 64;
    std::size_t max_connections = 1024;
    /// From the first byte of a request until its headers are complete; then again for the body.
    std::chrono::milliseconds request_timeout{10'000};
    /// A keep-alive connection with no request in progress is closed after this.
    std::chrono::milliseconds keepalive_timeout{60'000};
    /// Writing one response.
    std::chrono::milliseconds write_timeout{10'000};
    /// Threads of the work pool (blocking routes); requests queued beyond work_queue get 503.
    int work_threads = 4;
    std::size_t work_queue = 256;
};

class HttpServer final {
public:
    /// `threads`: event-loop threads.
    HttpServer(Routes routes, int threads, Limits limits);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds host:port (port 0: any free port) and starts serving on background threads.
    /// Returns the bound port, or -1 when the address cannot be bound. The socket accepts
    /// connections as soon as this returns.
    int Start(const std::string& host, int port);
    /// Graceful: stop accepting, close idle connections, let in-flight requests finish (up to
    /// `drain`), then stop the loop and join its threads.
    void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

    /// Connections open now.
    std::size_t Connections() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace wedesk::http
