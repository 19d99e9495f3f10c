#pragma once
/// HttpServer: the one listening socket (cpp-httplib, a fixed thread pool). Routes:
///   GET/POST {callback_path}  → wecom::CallbackHandler (URL verification, messages)
///   GET /healthz              → 200 {"status":"ok",...} when the DB answers, else 503
///   GET /metrics              → Prometheus text
///   GET/POST /reset/{token}   → the password form (when self-service reset is set up)
/// Handlers only translate HTTP to calls; the logic lives behind them.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "wedesk/wecom/callback.hpp"

namespace httplib {
class Server;
}

namespace wedesk::http {

struct Page {
    int status = 200;
    std::string html;
};

struct Routes {
    std::string callback_path = "/wecom/callback";
    wecom::CallbackHandler* callback = nullptr;
    /// Health: returns "" when healthy, else the failing part ("database", "outbox worker").
    std::function<std::string()> health;
    /// GET /reset/{token}; empty: route answers 404.
    std::function<Page(const std::string& token)> reset_show;
    /// POST /reset/{token} with form fields password, confirm.
    std::function<Page(const std::string& token, const std::string& password,
                       const std::string& confirm)>
        reset_submit;
};

class HttpServer final {
public:
    HttpServer(Routes routes, int threads, std::size_t max_body_bytes);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds host:port (port 0: any free port) and starts serving on a background thread.
    /// Returns the bound port, or -1 when the address cannot be bound. The socket accepts
    /// connections as soon as this returns.
    int Start(const std::string& host, int port);
    /// Graceful: stop accepting, let in-flight requests finish, join.
    void Stop();

private:
    void Install();

    Routes routes_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace wedesk::http
