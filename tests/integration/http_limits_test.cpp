// The HTTP server under hostile or careless clients, over real loopback sockets: bodies it must
// refuse unread (chunked, length-less, compressed, too long), slow and idle connections that
// must not delay anyone's callback, deadlines, and the connection cap.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "server_helpers.hpp"

using wedesk::testing::TestServer;

namespace {

/// One client socket to the server, written and read by hand.
class RawConn {
public:
    explicit RawConn(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~RawConn() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    RawConn(const RawConn&) = delete;
    int fd() const { return fd_; }
    RawConn& operator=(const RawConn&) = delete;

    bool Send(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            const auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Reads until one whole response (headers + Content-Length body) is in, the peer closes,
    /// or `timeout` passes. Returns what was read.
    std::string ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::string got;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto head_end = got.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                std::size_t length = 0;
                const auto cl = got.find("Content-Length: ");
                if (cl != std::string::npos && cl < head_end) {
                    length = std::stoul(got.substr(cl + 16));
                }
                if (got.size() >= head_end + 4 + length) {
                    return got;
                }
            }
            char buf[4096];
            const auto n = ReadSome(buf, sizeof buf, deadline);
            if (n <= 0) {
                return got;
            }
            got.append(buf, static_cast<std::size_t>(n));
        }
    }

    /// True when the server closes the connection within `timeout` (EOF or reset).
    bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        for (;;) {
            const auto n = ReadSome(buf, sizeof buf, deadline);
            if (n == 0 || (n < 0 && n != kTimedOut)) {
                return true;
            }
            if (n == kTimedOut) {
                return false;
            }
        }
    }

private:
    static constexpr long kTimedOut = -2;
    long ReadSome(char* buf, std::size_t size, std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return kTimedOut;
        }
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready == 0) {
            return kTimedOut;
        }
        const auto n = ::recv(fd_, buf, size, 0);
        return n < 0 ? -1 : static_cast<long>(n);
    }

    int fd_ = -1;
};

int StatusOf(const std::string& response) {
    if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) {
        return -1;
    }
    return std::stoi(response.substr(9, 3));
}

std::string PostHead(TestServer& s, const std::string& extra_headers) {
    return "POST " + s.config().wecom.callback_path +
           "?msg_signature=a&timestamp=1&nonce=2 HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n";
}

/// Room for a few hundred sockets on each side of the loopback.
void RaiseFileLimit() {
    rlimit r{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &r) == 0);
    if (r.rlim_cur < 4096 && r.rlim_max > r.rlim_cur) {
        r.rlim_cur = std::min<rlim_t>(r.rlim_max, 4096);
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
}

nlohmann::json Limits(int request_timeout_s, int keepalive_timeout_s, int max_connections = 1024) {
    return {{"server",
             {{"request_timeout_s", request_timeout_s},
              {"keepalive_timeout_s", keepalive_timeout_s},
              {"max_connections", max_connections},
              {"max_body_bytes", 4096}}}};
}

}  // namespace

TEST_CASE("bodies that would have to be read or inflated in full are refused unread",
          "[integration][http]") {
    TestServer s(Limits(5, 30));
    SECTION("chunked → 411") {
        RawConn c(s.port());
        REQUIRE(
            c.Send(PostHead(s, "Transfer-Encoding: chunked\r\n") + "10\r\n0123456789abcdef\r\n"));
        const auto r = c.ReadResponse();
        CHECK(StatusOf(r) == 411);
        CHECK(c.WaitClosed());
    }
    SECTION("no Content-Length → 411") {
        RawConn c(s.port());
        REQUIRE(c.Send(PostHead(s, "")));
        CHECK(StatusOf(c.ReadResponse()) == 411);
    }
    SECTION("gzip → 415") {
        RawConn c(s.port());
        REQUIRE(c.Send(PostHead(s, "Content-Encoding: gzip\r\nContent-Length: 20\r\n") +
                       std::string(20, '\x1f')));
        CHECK(StatusOf(c.ReadResponse()) == 415);
    }
    SECTION("400 MB announced → 413 before a byte of it is sent") {
        RawConn c(s.port());
        REQUIRE(c.Send(PostHead(s, "Content-Length: 400000000\r\n")));
        CHECK(StatusOf(c.ReadResponse()) == 413);
        CHECK(c.WaitClosed());
    }
    SECTION("headers over the size limit → 431") {
        RawConn c(s.port());
        REQUIRE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                       "\r\n\r\n"));
        CHECK(StatusOf(c.ReadResponse()) == 431);
    }
    SECTION("too many header fields → 431") {
        std::string many;
        for (int i = 0; i < 100; ++i) {
            many += "X-F" + std::to_string(i) + ": v\r\n";
        }
        RawConn c(s.port());
        REQUIRE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + "\r\n"));
        CHECK(StatusOf(c.ReadResponse()) == 431);
    }
    // The server still works, and nothing was stored.
    auto r = s.client().SendText("zhangsan", "帮助");
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(s.Count("inbound_messages") == 1);
}

TEST_CASE("200 trickling and 200 idle connections do not delay anyone's callback",
          "[integration][http]") {
    RaiseFileLimit();
    TestServer s(Limits(30, 60));
    std::vector<std::unique_ptr<RawConn>> hogs;
    for (int i = 0; i < 200; ++i) {
        hogs.push_back(std::make_unique<RawConn>(s.port()));  // idle: connected, silent
        auto slow = std::make_unique<RawConn>(s.port());
        REQUIRE(slow->Send("POST " + s.config().wecom.callback_path + " HTTP/1.1\r\nHo"));
        hogs.push_back(std::move(slow));  // trickling: a header that never ends
    }
    // Ten employees, each on their own connection, as WeCom would send them.
    std::vector<std::future<double>> answers;
    for (int i = 0; i < 10; ++i) {
        answers.push_back(std::async(std::launch::async, [&s, i] {
            auto client = s.MakeClient();
            const auto start = std::chrono::steady_clock::now();
            auto r = client->SendText("user" + std::to_string(i), "帮助");
            const double took =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return r.ok() && r->status == 200 && r->content.find("报修") != std::string::npos
                       ? took
                       : -1.0;
        }));
    }
    double slowest = 0;
    for (auto& a : answers) {
        const double took = a.get();
        REQUIRE(took >= 0);  // answered correctly
        slowest = std::max(slowest, took);
    }
    // WeCom gives a callback 5 s before it retries; the hogs must not push anyone near that.
    CHECK(slowest < 5.0);
    CHECK(s.Count("inbound_messages") == 10);
}

TEST_CASE("a request that trickles past request_timeout_s is cut off", "[integration][http]") {
    TestServer s(Limits(1, 60));
    RawConn c(s.port());
    REQUIRE(c.Send("GET /healthz HTTP/1.1\r\nHo"));
    CHECK(c.WaitClosed());
    // A body that stops halfway is cut off too, and nothing is processed.
    RawConn b(s.port());
    REQUIRE(b.Send(PostHead(s, "Content-Length: 100\r\n") + "<xml>"));
    CHECK(b.WaitClosed());
    CHECK(s.Count("inbound_messages") == 0);
}

TEST_CASE("an idle keep-alive connection is closed after keepalive_timeout_s",
          "[integration][http]") {
    TestServer s(Limits(5, 1));
    RawConn c(s.port());
    REQUIRE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = c.ReadResponse();
    CHECK(StatusOf(r) == 200);
    CHECK_THAT(r, Catch::Contains("\"status\":\"ok\""));
    CHECK(c.WaitClosed());
}

/// How many of `conns` the server closed within `timeout` (awaited with one poll over all).
std::size_t ClosedAmong(const std::vector<std::unique_ptr<RawConn>>& conns,
                        std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    for (const auto& c : conns) {
        fds.push_back({c->fd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) <= 0) {
        return 0;
    }
    std::size_t closed = 0;
    for (const auto& p : fds) {
        char b;
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && ::recv(p.fd, &b, 1, 0) <= 0) {
            ++closed;
        }
    }
    return closed;
}

TEST_CASE("past max_connections an idle connection makes room — with none idle, 503",
          "[integration][http]") {
    TestServer s(Limits(5, 60, 8));
    SECTION("idle connections are shed for a new one") {
        std::vector<std::unique_ptr<RawConn>> idle;
        for (int i = 0; i < 8; ++i) {
            idle.push_back(std::make_unique<RawConn>(s.port()));
        }
        // A ninth connection (the client's) is served; an idle one was closed for it.
        auto r = s.client().SendText("zhangsan", "帮助");
        REQUIRE(r.ok());
        CHECK(r->status == 200);
        CHECK(ClosedAmong(idle, std::chrono::seconds(10)) == 1);
    }
    SECTION("connections in the middle of a request are not shed; the newcomer gets 503") {
        std::vector<std::unique_ptr<RawConn>> busy;
        for (int i = 0; i < 8; ++i) {
            busy.push_back(std::make_unique<RawConn>(s.port()));
            REQUIRE(busy.back()->Send("GET /healthz HTTP/1.1\r\nHo"));
        }
        // A newcomer finds all eight busy once the server has read their first bytes. One
        // accepted before that (it shed a connection still looking idle) joins the busy ones.
        int status = 0;
        for (int attempt = 0; attempt < 50 && status != 503; ++attempt) {
            auto late = std::make_unique<RawConn>(s.port());
            status = StatusOf(late->ReadResponse(std::chrono::milliseconds(200)));
            if (status != 503) {
                REQUIRE(late->Send("GET /healthz HTTP/1.1\r\nHo"));
                busy.push_back(std::move(late));
            }
        }
        CHECK(status == 503);
    }
}
