#pragma once
// A httplib::Server on 127.0.0.1:<any port> running in a thread for the duration of a test.

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace wedesk::testing {

class LocalServer {
public:
    LocalServer() = default;
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;
    ~LocalServer() { Stop(); }

    httplib::Server& server() { return server_; }

    /// Binds (the socket listens from here on) and serves in a thread. Register handlers first.
    void Start() {
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        // The socket already listens (clients may connect); wait until stop() would take effect,
        // since httplib ignores a stop() that comes before its accept loop runs.
        while (!server_.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    void Stop() {
        if (thread_.joinable()) {
            server_.stop();
            thread_.join();
        }
    }
    int port() const { return port_; }
    std::string Url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
};

}  // namespace wedesk::testing
