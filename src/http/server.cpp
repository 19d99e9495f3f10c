#include "wedesk/http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "query.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/thread_name.hpp"

namespace wedesk::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

metrics::Histogram& CallbackLatency() {
    static auto& h = metrics::Global().GetHistogram(
        "wedesk_callback_duration_seconds", "Time to answer a WeCom callback",
        {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    return h;
}

void CountCallback(const std::string& method, const std::string& outcome) {
    metrics::HotCounter("wedesk_callbacks_total", "WeCom callbacks by method and outcome",
                        {{"method", method}, {"outcome", outcome}})
        .Inc();
}

void CountRefused(const char* reason) {
    metrics::HotCounter("wedesk_http_refused_total",
                        "Requests or connections refused by the server's limits, by reason",
                        {{"reason", reason}})
        .Inc();
}

const std::regex& ResetPath() {
    static const std::regex re(R"(^/reset/([A-Za-z0-9_-]{1,128})$)");
    return re;
}

struct Response {
    int status = 200;
    std::string content_type = "text/plain";
    std::string body;
    bool no_store = false;
    bool page = false;   ///< an HTML page: sent with the browser security headers
    bool close = false;  ///< close the connection after this response
};

Response Plain(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string JsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        if (static_cast<unsigned char>(c) >= 0x20) {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

class Session;

struct HttpServer::Impl {
    Impl(Routes r, int n_threads, Limits l)
        : routes(std::move(r)),
          limits(l),
          loop_threads(n_threads > 0 ? n_threads : 1),
          work(static_cast<std::size_t>(l.work_threads > 0 ? l.work_threads : 1)) {}

    Routes routes;
    Limits limits;
    int loop_threads;
    // Every open connection, for shedding and for closing idle ones at Stop. (Declared before
    // the io_context: handlers it still holds at destruction unregister their sessions.)
    mutable std::mutex sessions_mu;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
    std::atomic<std::size_t> work_queued{0};
    std::atomic<bool> stopping{false};
    // Requests being handled (read complete, response not yet written); Stop waits for 0.
    std::mutex drain_mu;
    std::condition_variable drain_cv;
    int in_flight = 0;
    net::thread_pool work;
    net::io_context ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;

    void RequestStarted() {
        std::lock_guard lock(drain_mu);
        ++in_flight;
    }
    void RequestDone() {
        std::lock_guard lock(drain_mu);
        if (--in_flight == 0) {
            drain_cv.notify_all();
        }
    }

    void Accept();
    void OnAccept(beast::error_code ec, tcp::socket socket);
    /// Closes the connection that has been idle longest; false when none is idle.
    bool ShedOne();
    void Register(const std::shared_ptr<Session>& s);
    void Unregister(Session* s);
    /// Runs `job` on the work pool; false (nothing queued) when the pool's queue is full.
    bool OnWorkPool(std::function<void()> job);
};

/// One TCP connection: wait for a request (idle), read its headers and body under deadlines,
/// dispatch it, write the response, repeat while keep-alive.
class Session final : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, HttpServer::Impl& server)
        : stream_(std::move(socket)), server_(server) {}
    ~Session() { server_.Unregister(this); }

    void Start() {
        net::dispatch(stream_.get_executor(),
                      [self = shared_from_this()] { self->WaitForRequest(); });
    }

    /// Idle since (steady clock ticks), or -1 while a request is in progress.
    std::int64_t IdleSince() const { return idle_since_.load(std::memory_order_relaxed); }

    /// Closes the connection from any thread (runs on the connection's strand). A request
    /// that started meanwhile is answered first; the connection closes after it.
    void Close() {
        MarkIdle(false);  // not a candidate for shedding again
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (self->in_request_) {
                self->keep_alive_ = false;
                return;
            }
            beast::error_code ec;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
            self->stream_.close();
        });
    }

private:
    void MarkIdle(bool idle) {
        idle_since_.store(idle ? Clock::now().time_since_epoch().count() : -1,
                          std::memory_order_relaxed);
    }

    // Keep-alive wait: nothing buffered yet. Holds no thread; closed after keepalive_timeout.
    void WaitForRequest() {
        if (server_.stopping) {
            return Shutdown();
        }
        if (buffer_.size() > 0) {
            return ReadHeader();  // a pipelined request is already here
        }
        MarkIdle(true);
        stream_.expires_after(server_.limits.keepalive_timeout);
        stream_.async_read_some(buffer_.prepare(4096),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    self->buffer_.commit(n);
                                    if (ec || n == 0) {
                                        return self->Shutdown();  // closed, idle too long, or shed
                                    }
                                    self->ReadHeader();
                                });
    }

    void ReadHeader() {
        MarkIdle(false);
        header_.emplace();
        header_->header_limit(static_cast<std::uint32_t>(server_.limits.max_header_bytes));
        // Judged in OnHeader, with a clear status. (Not boost::none: Beast 1.74 compares the
        // length with an empty optional and refuses every body.)
        header_->body_limit(std::numeric_limits<std::uint64_t>::max());
        stream_.expires_after(server_.limits.request_timeout);
        bhttp::async_read_header(
            stream_, buffer_, *header_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
    }

    void OnHeader(beast::error_code ec) {
        if (ec == bhttp::error::header_limit) {
            CountRefused("header_too_large");
            return Refuse(431, "header too large");
        }
        if (ec) {
            if (ec == beast::error::timeout) {
                CountRefused("header_timeout");
            }
            return Shutdown();  // timeout, reset, or a request that is not HTTP
        }
        const auto& req = header_->get();
        std::size_t fields = 0;
        for (auto it = req.begin(); it != req.end(); ++it) {
            ++fields;
        }
        if (fields > server_.limits.max_header_fields) {
            CountRefused("too_many_headers");
            return Refuse(431, "too many header fields");
        }
        if (header_->chunked() ||
            (req.method() == bhttp::verb::post && !header_->content_length())) {
            // A POST says how long its body is; chunked bodies are refused unread.
            CountRefused("length_required");
            return Refuse(411, "length required");
        }
        if (header_->is_done()) {
            return Dispatch(std::string());  // no body
        }
        // A body of a known length is coming: refuse what we would have to inflate to judge.
        const auto enc = req[bhttp::field::content_encoding];
        if (!enc.empty() && !beast::iequals(enc, "identity")) {
            CountRefused("content_encoding");
            return Refuse(415, "content encoding not accepted");
        }
        if (*header_->content_length() > server_.limits.max_body_bytes) {
            CountRefused("body_too_large");
            return Refuse(413, "too large");
        }
        body_.emplace(std::move(*header_));
        body_->body_limit(server_.limits.max_body_bytes);
        stream_.expires_after(server_.limits.request_timeout);
        bhttp::async_read(stream_, buffer_, *body_,
                          [self = shared_from_this()](beast::error_code ec2, std::size_t) {
                              if (ec2) {
                                  if (ec2 == beast::error::timeout) {
                                      CountRefused("body_timeout");
                                  }
                                  log::Get("http")->debug("reading a body failed: {}",
                                                          ec2.message());
                                  return self->Shutdown();
                              }
                              self->Dispatch(std::move(self->body_->get().body()));
                          });
    }

    /// A refusal before the body was read: answer and close (the body is not consumed).
    void Refuse(int status, const char* body) {
        Response r = Plain(status, body);
        r.close = true;
        keep_alive_ = false;
        Write(std::move(r));
    }

    void Dispatch(std::string body) {
        const bhttp::request_header<>& req = body_ ? body_->get().base() : header_->get().base();
        keep_alive_ = (body_ ? body_->keep_alive() : header_->keep_alive()) && !server_.stopping;
        const auto method = req.method();
        const std::string target(req.target());
        const auto qpos = target.find('?');
        const std::string path = target.substr(0, qpos);
        const std::string query = qpos == std::string::npos ? "" : target.substr(qpos + 1);
        in_request_ = true;
        server_.RequestStarted();
        const auto& routes = server_.routes;

        if (routes.callback != nullptr && path == routes.callback_path) {
            const auto start = Clock::now();
            if (method == bhttp::verb::get) {
                auto a = routes.callback->Verify(ParseQuery(query));
                return AnswerCallback("GET", a, start);
            }
            if (method == bhttp::verb::post) {
                // The reply is written when the delivery commits: nothing waits meanwhile.
                auto self = shared_from_this();
                routes.callback->ReceiveAsync(
                    ParseQuery(query), body,
                    [self, start](wecom::HttpAnswer a) {
                        self->AnswerCallback("POST", a, start);  // on the strand (or inline)
                    },
                    [self](std::function<void()> job) {
                        net::post(self->stream_.get_executor(), std::move(job));
                    });
                return;
            }
            return Write(Plain(405, "method not allowed"));
        }
        if (path == "/healthz" && method == bhttp::verb::get) {
            return Write(Healthz());
        }
        if (path == "/metrics" && method == bhttp::verb::get) {
            return OnWorkPool([] {
                Response r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = metrics::Global().RenderPrometheus();
                return r;
            });
        }
        std::smatch m;
        if (std::regex_match(path, m, ResetPath())) {
            const std::string token = m[1].str();
            if (method == bhttp::verb::get && routes.reset_show) {
                return OnWorkPool(
                    [show = routes.reset_show, token] { return PageResponse(show(token)); });
            }
            if (method == bhttp::verb::post && routes.reset_submit) {
                // Fields come from a form body only, never from the URL (a password in a query
                // string ends up in logs and history).
                const auto type = std::string(req[bhttp::field::content_type]);
                if (type.rfind("application/x-www-form-urlencoded", 0) != 0) {
                    Response r = Plain(415, "the form must be application/x-www-form-urlencoded");
                    r.page = true;
                    return Write(std::move(r));
                }
                auto form = ParseQuery(body);
                return OnWorkPool([submit = routes.reset_submit, token, form = std::move(form)] {
                    auto field = [&form](const char* k) {
                        auto it = form.find(k);
                        return it == form.end() ? std::string() : it->second;
                    };
                    return PageResponse(
                        submit(token, field("password"), field("confirm"), field("nonce")));
                });
            }
        }
        return Write(Plain(404, "not found"));
    }

    static Response PageResponse(const Page& p) {
        Response r;
        r.status = p.status;
        r.content_type = "text/html; charset=utf-8";
        r.body = p.html;
        r.no_store = true;
        r.page = true;
        return r;
    }

    Response Healthz() const {
        const Health h = server_.routes.health ? server_.routes.health() : Health{};
        Response r;
        r.content_type = "application/json";
        std::string extra = h.detail.empty() ? "" : "," + h.detail;
        if (h.failing.empty()) {
            r.body = R"({"status":"ok","version":")" WEDESK_VERSION R"(")" + extra + "}";
        } else {
            r.status = 503;
            r.body = R"({"status":"unavailable","failing":")" + JsonEscape(h.failing) + '"' +
                     extra + "}";
        }
        return r;
    }

    void AnswerCallback(const std::string& method, const wecom::HttpAnswer& a,
                        Clock::time_point start) {
        CountCallback(method, a.outcome);
        CallbackLatency().Observe(std::chrono::duration<double>(Clock::now() - start).count());
        Response r;
        r.status = a.status;
        r.content_type = a.content_type;
        r.body = a.body;
        Write(std::move(r));
    }

    /// Runs a blocking handler on the work pool and writes its response from the loop.
    template <class F>
    void OnWorkPool(F handler) {
        auto self = shared_from_this();
        const bool queued = server_.OnWorkPool([self, handler = std::move(handler)] {
            Response r;
            try {
                r = handler();
            } catch (const std::exception& e) {
                log::Get("http")->error("handler failed: {}", e.what());
                r = Plain(500, "try again");
            }
            net::post(self->stream_.get_executor(),
                      [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
        });
        if (!queued) {
            CountRefused("work_queue_full");
            Write(Plain(503, "busy, try again"));
        }
    }

    void Write(Response r) {
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
            static_cast<bhttp::status>(r.status), 11);
        res->set(bhttp::field::content_type, r.content_type);
        if (r.no_store) {
            res->set(bhttp::field::cache_control, "no-store");
        }
        if (r.page) {
            // From wedesk itself, not left to the proxy: no scripts, no framing, no referrer
            // (the URL holds a reset token), forms post only back here.
            res->set("Content-Security-Policy",
                     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                     "frame-ancestors 'none'; base-uri 'none'");
            res->set("X-Frame-Options", "DENY");
            res->set("Referrer-Policy", "no-referrer");
            res->set("X-Content-Type-Options", "nosniff");
        }
        res->body() = std::move(r.body);
        if (r.close || server_.stopping) {
            keep_alive_ = false;
        }
        res->keep_alive(keep_alive_);
        res->prepare_payload();
        stream_.expires_after(server_.limits.write_timeout);
        bhttp::async_write(stream_, *res,
                           [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                               self->OnWritten(ec);
                           });
    }

    void OnWritten(beast::error_code ec) {
        if (in_request_) {
            in_request_ = false;
            server_.RequestDone();
        }
        header_.reset();
        body_.reset();
        if (ec || !keep_alive_) {
            return Shutdown();
        }
        WaitForRequest();
    }

    // Lingering close: send FIN, then read and discard what the client still sends (a body we
    // refused to read) for a moment, so the kernel does not answer it with a reset that could
    // destroy our response before the client read it.
    void Shutdown() {
        MarkIdle(false);
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) {
            stream_.close();
            return;
        }
        stream_.expires_after(std::chrono::seconds(1));
        Discard();
    }
    void Discard() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec) {
                                        self->stream_.close();
                                        return;
                                    }
                                    self->Discard();
                                });
    }

    beast::tcp_stream stream_;
    HttpServer::Impl& server_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::empty_body>> header_;
    std::optional<bhttp::request_parser<bhttp::string_body>> body_;
    std::array<char, 4096> scratch_{};
    bool keep_alive_ = true;
    bool in_request_ = false;
    std::atomic<std::int64_t> idle_since_{-1};
};

void HttpServer::Impl::Register(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(sessions_mu);
    sessions.emplace(s.get(), s);
}

void HttpServer::Impl::Unregister(Session* s) {
    std::lock_guard lock(sessions_mu);
    sessions.erase(s);
}

bool HttpServer::Impl::ShedOne() {
    std::shared_ptr<Session> victim;
    {
        std::lock_guard lock(sessions_mu);
        std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
        for (const auto& [raw, weak] : sessions) {
            const auto since = raw->IdleSince();
            if (since >= 0 && since < oldest) {
                if (auto s = weak.lock()) {
                    oldest = since;
                    victim = std::move(s);
                }
            }
        }
    }
    if (!victim) {
        return false;
    }
    victim->Close();
    return true;
}

bool HttpServer::Impl::OnWorkPool(std::function<void()> job) {
    if (work_queued.fetch_add(1) >= limits.work_queue) {
        --work_queued;
        return false;
    }
    net::post(work, [this, job = std::move(job)] {
        thread_local const bool named = (SetThreadName("wd-work"), true);
        (void)named;
        --work_queued;
        job();
    });
    return true;
}

void HttpServer::Impl::Accept() {
    acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
        OnAccept(ec, std::move(s));
    });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping) {
        return;
    }
    if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::size_t open = 0;
        {
            std::lock_guard lock(sessions_mu);
            open = sessions.size();
        }
        if (open >= limits.max_connections && !ShedOne()) {
            // Every connection is busy with a request: this one is told so and closed.
            CountRefused("connection_limit");
            static constexpr std::string_view kBusy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: "
                "close\r\n\r\n";
            net::write(socket, net::buffer(kBusy.data(), kBusy.size()), ignored);
            socket.shutdown(tcp::socket::shutdown_both, ignored);
        } else {
            if (open >= limits.max_connections) {
                CountRefused("shed_idle");
            }
            auto session = std::make_shared<Session>(std::move(socket), *this);
            Register(session);
            session->Start();
        }
    } else {
        log::Get("http")->warn("accept failed: {}", ec.message());
    }
    Accept();
}

HttpServer::HttpServer(Routes routes, int threads, Limits limits)
    : impl_(std::make_unique<Impl>(std::move(routes), threads, limits)) {
    metrics::Global().AddGaugeCallback("wedesk_http_connections", "Open HTTP connections", [this] {
        return std::vector<std::pair<metrics::Labels, double>>{
            {{}, static_cast<double>(Connections())}};
    });
}

HttpServer::~HttpServer() {
    Stop();
    metrics::Global().RemoveGauge("wedesk_http_connections");
}

std::size_t HttpServer::Connections() const {
    std::lock_guard lock(impl_->sessions_mu);
    return impl_->sessions.size();
}

int HttpServer::Start(const std::string& host, int port) {
    beast::error_code ec;
    const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
        log::Get("http")->error("cannot listen on {}: {}", host, ec.message());
        return -1;
    }
    tcp::endpoint ep(address, static_cast<unsigned short>(port));
    auto& acc = impl_->acceptor.emplace(impl_->ioc);
    acc.open(ep.protocol(), ec);
    if (!ec) {
        acc.set_option(net::socket_base::reuse_address(true), ec);
        acc.bind(ep, ec);
    }
    if (!ec) {
        acc.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        log::Get("http")->error("cannot listen on {}:{}: {}", host, port, ec.message());
        impl_->acceptor.reset();
        return -1;
    }
    const int bound = acc.local_endpoint().port();
    impl_->stopping = false;
    impl_->Accept();
    for (int i = 0; i < impl_->loop_threads; ++i) {
        impl_->threads.emplace_back([this] {
            SetThreadName("wd-http");
            impl_->ioc.run();
        });
    }
    return bound;
}

void HttpServer::Stop(std::chrono::milliseconds drain) {
    if (impl_->threads.empty()) {
        return;
    }
    impl_->stopping = true;
    net::post(impl_->ioc, [impl = impl_.get()] {
        beast::error_code ec;
        impl->acceptor->close(ec);
    });
    // Idle connections close now; busy ones close after their response (keep-alive off).
    while (impl_->ShedOne()) {
    }
    {
        std::unique_lock lock(impl_->drain_mu);
        if (!impl_->drain_cv.wait_for(lock, drain, [this] { return impl_->in_flight == 0; })) {
            log::Get("http")->warn("stopping with {} requests still in progress", impl_->in_flight);
        }
    }
    std::vector<std::shared_ptr<Session>> open;  // released outside the lock: ~Session takes it
    {
        std::lock_guard lock(impl_->sessions_mu);
        for (const auto& [raw, weak] : impl_->sessions) {
            if (auto s = weak.lock()) {
                open.push_back(std::move(s));
            }
        }
    }
    for (auto& s : open) {
        s->Close();
    }
    open.clear();
    impl_->ioc.stop();
    for (auto& t : impl_->threads) {
        t.join();
    }
    impl_->threads.clear();
    impl_->work.join();
    impl_->acceptor.reset();
}

}  // namespace wedesk::http
