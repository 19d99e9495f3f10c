#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "fakes/fake_clock.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/wecom/api_client.hpp"

using namespace wedesk;
using namespace wedesk::wecom;
using nlohmann::json;
using wedesk::sim::ApiEmulator;
using wedesk::sim::DescribeMessage;

namespace {

constexpr const char* kCorp = "ww5f3c9a1e7b2d4068";
constexpr const char* kSecret = "app-secret-value";
constexpr int kAgent = 1000002;

struct Fixture {
    ApiEmulator emu{kCorp, kSecret, kAgent};
    testing::FakeClock clock;
    int port = emu.Start("127.0.0.1", 0);
    ApiClient api{emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 2};
};

json Card(const std::string& ticket) {
    return {{"card_type", "button_interaction"},
            {"source", {{"desc", "IT服务台"}}},
            {"main_title", {{"title", "新工单 " + ticket}, {"desc", "打印机卡纸"}}},
            {"task_id", "inc-" + ticket},
            {"button_list",
             {{{"type", 0}, {"text", "接单"}, {"style", 1}, {"key", "ticket_accept:" + ticket}},
              {{"type", 0}, {"text", "转派"}, {"style", 2}, {"key", "ticket_forward:" + ticket}}}}};
}

}  // namespace

TEST_CASE("api: one gettoken serves many sends", "[unit]") {
    Fixture f;
    REQUIRE(f.port > 0);
    for (int i = 0; i < 5; ++i) {
        auto r = f.api.SendText("zhangsan", "消息 " + std::to_string(i));
        REQUIRE(r.ok());
        CHECK_FALSE(r->msgid.empty());
    }
    auto md = f.api.SendMarkdown("zhangsan", "**工单** `IT20261127-0001`");
    REQUIRE(md.ok());
    CHECK(f.emu.GettokenCalls() == 1);
    CHECK(f.api.gettoken_calls() == 1);
    const auto got = f.emu.Received();
    REQUIRE(got.size() == 6);
    CHECK(got[0].touser == "zhangsan");
    CHECK(got[0].msgtype == "text");
    CHECK(got[0].body["text"]["content"] == "消息 0");
    CHECK(got[0].body["agentid"] == kAgent);
    CHECK(got[5].msgtype == "markdown");
}

TEST_CASE("api: many threads share one token refresh", "[unit]") {
    Fixture f;
    // Catch2 assertions are not thread-safe: threads record, the test thread checks.
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&f, &ok, i] {
            if (f.api.SendText("u" + std::to_string(i), "hello").ok()) {
                ++ok;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(ok == 6);
    CHECK(f.emu.GettokenCalls() == 1);
    CHECK(f.emu.Received().size() == 6);
}

TEST_CASE("api: token is refreshed shortly before expires_in", "[unit]") {
    Fixture f;
    REQUIRE(f.api.Token().ok());
    f.clock.Advance(std::chrono::seconds(7200 - 600));
    REQUIRE(f.api.Token().ok());
    CHECK(f.emu.GettokenCalls() == 1);
    f.clock.Advance(std::chrono::seconds(400));  // within the last 5 minutes
    REQUIRE(f.api.Token().ok());
    CHECK(f.emu.GettokenCalls() == 2);
}

TEST_CASE("api: 42001 refreshes the token and retries once", "[unit]") {
    Fixture f;
    auto first = f.api.Token();
    REQUIRE(first.ok());
    f.emu.ExpireToken();
    auto r = f.api.SendText("zhangsan", "after expiry");
    REQUIRE(r.ok());
    CHECK(f.emu.GettokenCalls() == 2);
    CHECK(f.emu.Received().size() == 1);
    auto second = f.api.Token();
    REQUIRE(second.ok());
    CHECK(*second != *first);
}

TEST_CASE("api: errcode -1 is a retryable error", "[unit]") {
    Fixture f;
    f.emu.FailNext(1, -1);
    auto r = f.api.SendText("zhangsan", "busy");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_-1");
    CHECK(WecomErrcode(r.error()) == -1);
    CHECK(IsRetryable(r.error()));
    CHECK(f.emu.Received().empty());
    // The next call goes through.
    CHECK(f.api.SendText("zhangsan", "busy").ok());
}

TEST_CASE("api: invalid recipients and bad payloads are permanent", "[unit]") {
    Fixture f;
    f.emu.AddInvalidUser("ghost");
    auto r = f.api.SendText("ghost", "hello");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_81013");
    CHECK_FALSE(IsRetryable(r.error()));

    auto partial = f.api.SendText("ghost|zhangsan", "hello");
    REQUIRE(partial.ok());
    CHECK(partial->invaliduser == "ghost");

    auto empty = f.api.SendText("zhangsan", "");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().CodeText() == "wecom_44004");
    CHECK_FALSE(IsRetryable(empty.error()));

    auto bad_card = f.api.SendTemplateCard("zhangsan", {{"card_type", "button_interaction"}});
    REQUIRE_FALSE(bad_card.ok());
    CHECK(bad_card.error().CodeText() == "wecom_40058");
    CHECK_FALSE(IsRetryable(bad_card.error()));
}

TEST_CASE("api: wrong secret is a permanent config error without leaking it", "[unit]") {
    ApiEmulator emu{kCorp, kSecret, kAgent};
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    testing::FakeClock clock;
    ApiClient api{emu.BaseUrl(), kCorp, Secret("wrong-secret-xyz"), kAgent, clock, 2};
    auto r = api.SendText("zhangsan", "hello");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_40001");
    CHECK_FALSE(IsRetryable(r.error()));
    CHECK(r.error().message.find("wrong-secret-xyz") == std::string::npos);
}

TEST_CASE("api: template card returns a response_code usable once for update", "[unit]") {
    Fixture f;
    auto r = f.api.SendTemplateCard("lisi", Card("IT20261127-0001"));
    REQUIRE(r.ok());
    REQUIRE_FALSE(r->response_code.empty());
    const auto got = f.emu.Received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].body["template_card"]["button_list"][0]["key"] == "ticket_accept:IT20261127-0001");
    CHECK(DescribeMessage(got[0].msgtype, got[0].body).find("[接单] ticket_accept:") !=
          std::string::npos);

    REQUIRE(f.api.UpdateTemplateCard({"lisi"}, r->response_code, "已接单").ok());
    const auto updates = f.emu.Updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].body["button"]["replace_name"] == "已接单");
    CHECK(updates[0].body["response_code"] == r->response_code);

    auto again = f.api.UpdateTemplateCard({"lisi"}, r->response_code, "已接单");
    REQUIRE_FALSE(again.ok());
    CHECK_FALSE(IsRetryable(again.error()));
}

TEST_CASE("api: emulator down or stopped is a retryable error", "[unit]") {
    Fixture f;
    REQUIRE(f.api.SendText("zhangsan", "up").ok());
    f.emu.SetDown(true);
    auto down = f.api.SendText("zhangsan", "down");
    REQUIRE_FALSE(down.ok());
    CHECK(down.error().CodeText() == "http_503");
    CHECK(IsRetryable(down.error()));
    f.emu.SetDown(false);
    f.emu.Stop();
    auto gone = f.api.SendText("zhangsan", "gone");
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == wedesk::Errc::kNetwork);
    CHECK(IsRetryable(gone.error()));
}

TEST_CASE("api: an answer slower than the timeout ends the call with a retryable error", "[unit]") {
    ApiEmulator emu{kCorp, kSecret, kAgent};
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    testing::FakeClock clock;
    ApiClient api{emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 1};
    REQUIRE(api.Token().ok());
    emu.SetDelay(std::chrono::seconds(30));
    auto r = api.SendText("zhangsan", "slow");
    REQUIRE_FALSE(r.ok());
    CHECK(IsRetryable(r.error()));
    emu.Stop();  // cuts the pending delayed answer short
}

TEST_CASE("api: duplicate check drops an identical copy", "[unit]") {
    Fixture f;
    auto a = f.api.SendText("zhangsan", "同一条", true);
    auto b = f.api.SendText("zhangsan", "同一条", true);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->msgid == b->msgid);
    CHECK(f.emu.Received().size() == 1);
    CHECK(f.emu.DuplicatesDropped() == 1);
    // Without the flag WeCom delivers again.
    REQUIRE(f.api.SendText("zhangsan", "同一条").ok());
    CHECK(f.emu.Received().size() == 2);
}

TEST_CASE("api: emulator lists messages per user for sim chat", "[unit]") {
    Fixture f;
    REQUIRE(f.api.SendText("ZhangSan", "给张三").ok());
    REQUIRE(f.api.SendText("lisi", "给李四").ok());
    REQUIRE(f.api.SendText("zhangsan", "再给张三").ok());
    httplib::Client cli(f.emu.BaseUrl());
    auto res = cli.Get("/sim/messages?touser=zhangsan&after=1");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto j = json::parse(res->body);
    REQUIRE(j["messages"].size() == 1);
    CHECK(j["messages"][0]["readable"] == "再给张三");
    CHECK(j["messages"][0]["seq"] == 3);
    CHECK(j["last_seq"] == 3);
}

TEST_CASE("api: WaitForMessages returns once the messages arrived", "[unit]") {
    Fixture f;
    std::atomic<bool> ok{false};
    std::thread sender([&f, &ok] { ok = f.api.SendText("zhangsan", "async").ok(); });
    CHECK(f.emu.WaitForMessages(1, std::chrono::seconds(10)));
    sender.join();
    CHECK(ok);
}

TEST_CASE("api: emulator faults can be injected over HTTP from another process", "[unit]") {
    Fixture f;
    httplib::Client cli(f.emu.BaseUrl());
    auto res = cli.Post("/sim/control?fail_next=1&errcode=45009", "", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto r = f.api.SendText("zhangsan", "throttled");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_45009");
    CHECK(IsRetryable(r.error()));
    auto bad = cli.Post("/sim/control?delay_ms=abc", "", "text/plain");
    REQUIRE(bad);
    CHECK(bad->status == 400);
}

TEST_CASE("api: emulator StartAt takes the api_base it should serve", "[unit]") {
    ApiEmulator emu{kCorp, kSecret};
    CHECK(emu.StartAt("https://qyapi.weixin.qq.com") == -1);
    CHECK(emu.StartAt("http://127.0.0.1:notaport") == -1);
    CHECK(emu.StartAt("http://127.0.0.1") == -1);
}

TEST_CASE("api client: media/upload then media/get round-trips a file, its type and name",
          "[unit]") {
    Fixture f;
    const std::string bytes = "\x89PNG\r\n\x1a\n-pixels-";
    auto id = f.api.UploadMedia("image", "报错截图.png", bytes, "image/png");
    REQUIRE(id.ok());
    auto got = f.api.GetMedia(*id, 1024);
    REQUIRE(got.ok());
    CHECK(got->bytes == bytes);
    CHECK(got->content_type == "image/png");
    CHECK(got->file_name == "报错截图.png");

    // Over the caller's cap: not read, "too_large", not worth a retry.
    auto big = f.api.GetMedia(*id, 4);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == wedesk::Errc::kTooLarge);
    CHECK_FALSE(IsRetryable(big.error()));
    // WeCom's errors come as JSON instead of the file.
    auto expired = f.api.GetMedia("no-such-media", 1024);
    REQUIRE_FALSE(expired.ok());
    CHECK(WecomErrcode(expired.error()) == 40007);
    CHECK_FALSE(IsRetryable(expired.error()));
    // WeCom refuses files of 5 bytes or less, and unknown types never leave wedesk.
    CHECK(WecomErrcode(f.api.UploadMedia("file", "a.txt", "12345", "").error()) == 40006);
    CHECK(f.api.UploadMedia("gif", "a.gif", "123456", "").error().code ==
          wedesk::Errc::kBadRequest);
}
