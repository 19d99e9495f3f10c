#include "wedesk/http/server.hpp"

#include <httplib.h>

#include <chrono>
#include <map>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/thread_name.hpp"

namespace wedesk::http {

namespace {

std::map<std::string, std::string> QueryOf(const httplib::Request& req) {
    std::map<std::string, std::string> q;
    for (const auto& [k, v] : req.params) {
        q.emplace(k, v);  // first value wins; httplib decoded each exactly once
    }
    return q;
}

metrics::Histogram& CallbackLatency() {
    static auto& h = metrics::Global().GetHistogram(
        "wedesk_callback_duration_seconds", "Time to answer a WeCom callback",
        {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    return h;
}

void CountCallback(const std::string& method, const std::string& outcome) {
    metrics::Global()
        .GetCounter("wedesk_callbacks_total", "WeCom callbacks by method and outcome",
                    {{"method", method}, {"outcome", outcome}})
        .Inc();
}

/// httplib's pool, with its threads named "wd-http" for top -H and perf.
class NamedPool final : public httplib::TaskQueue {
public:
    explicit NamedPool(std::size_t n) : pool_(n) {}
    void enqueue(std::function<void()> fn) override {
        pool_.enqueue([fn = std::move(fn)] {
            thread_local const bool named = (SetThreadName("wd-http"), true);
            (void)named;
            fn();
        });
    }
    void shutdown() override { pool_.shutdown(); }

private:
    httplib::ThreadPool pool_;
};

}  // namespace

HttpServer::HttpServer(Routes routes, int threads, std::size_t max_body_bytes)
    : routes_(std::move(routes)), server_(std::make_unique<httplib::Server>()) {
    const auto n = static_cast<std::size_t>(threads > 0 ? threads : 1);
    server_->new_task_queue = [n] { return new NamedPool(n); };
    server_->set_payload_max_length(max_body_bytes);
    server_->set_read_timeout(10, 0);
    server_->set_write_timeout(10, 0);
    server_->set_keep_alive_max_count(1000);
    // Headers and body go out in two writes: without TCP_NODELAY the body waits for the client's
    // delayed ACK (40 ms on Linux) on every keep-alive request.
    server_->set_tcp_nodelay(true);
    Install();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Install() {
    auto& srv = *server_;
    if (routes_.callback != nullptr) {
        auto* cb = routes_.callback;
        auto respond = [](httplib::Response& res, const wecom::HttpAnswer& a,
                          const std::string& method, std::chrono::steady_clock::time_point start) {
            res.status = a.status;
            res.set_content(a.body, a.content_type.c_str());
            CountCallback(method, a.outcome);
            CallbackLatency().Observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        };
        srv.Get(routes_.callback_path,
                [cb, respond](const httplib::Request& req, httplib::Response& res) {
                    const auto start = std::chrono::steady_clock::now();
                    respond(res, cb->Verify(QueryOf(req)), "GET", start);
                });
        srv.Post(routes_.callback_path,
                 [cb, respond](const httplib::Request& req, httplib::Response& res) {
                     const auto start = std::chrono::steady_clock::now();
                     respond(res, cb->Receive(QueryOf(req), req.body), "POST", start);
                 });
    }
    srv.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        const std::string failing = routes_.health ? routes_.health() : "";
        if (failing.empty()) {
            res.set_content(R"({"status":"ok","version":")" WEDESK_VERSION R"("})",
                            "application/json");
        } else {
            res.status = 503;
            res.set_content(R"({"status":"unavailable","failing":")" + failing + R"("})",
                            "application/json");
        }
    });
    srv.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(metrics::Global().RenderPrometheus(), "text/plain; version=0.0.4");
    });
    srv.Get(R"(/reset/([A-Za-z0-9_-]{1,128}))",
            [this](const httplib::Request& req, httplib::Response& res) {
                if (!routes_.reset_show) {
                    res.status = 404;
                    return;
                }
                const Page p = routes_.reset_show(req.matches[1].str());
                res.status = p.status;
                res.set_content(p.html, "text/html; charset=utf-8");
            });
    srv.Post(R"(/reset/([A-Za-z0-9_-]{1,128}))", [this](const httplib::Request& req,
                                                        httplib::Response& res) {
        if (!routes_.reset_submit) {
            res.status = 404;
            return;
        }
        const Page p = routes_.reset_submit(req.matches[1].str(), req.get_param_value("password"),
                                            req.get_param_value("confirm"));
        res.status = p.status;
        res.set_header("Cache-Control", "no-store");
        res.set_content(p.html, "text/html; charset=utf-8");
    });
    srv.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            try {
                if (ep) {
                    std::rethrow_exception(ep);
                }
            } catch (const std::exception& e) {
                log::Get("http")->error("handler failed: {}", e.what());
            } catch (...) {
                log::Get("http")->error("handler failed");
            }
            res.status = 500;
            res.set_content("try again", "text/plain");
        });
}

int HttpServer::Start(const std::string& host, int port) {
    const int bound = port == 0 ? server_->bind_to_any_port(host)
                                : (server_->bind_to_port(host, port) ? port : -1);
    if (bound < 0) {
        return -1;
    }
    // The socket is already listening: clients connecting now wait in the backlog.
    thread_ = std::thread([this] {
        SetThreadName("wd-listen");
        server_->listen_after_bind();
    });
    return bound;
}

void HttpServer::Stop() {
    if (thread_.joinable()) {
        server_->stop();
        thread_.join();  // listen_after_bind returns after the pool drained in-flight requests
    }
}

}  // namespace wedesk::http
