// The real server over loopback HTTP against the published WeCom vectors: URL verification,
// every POST vector, every negative vector, duplicate delivery (also across a restart), size
// and freshness limits, health and metrics.
#include <httplib.h>
#include <catch2/catch.hpp>

#include "server_helpers.hpp"

using wedesk::testing::TestServer;
using wedesk::testing::Vectors;

namespace {

// The vectors carry fixed 2024 timestamps: replay them with the freshness check off.
nlohmann::json NoSkew() { return {{"wecom", {{"max_clock_skew_s", 0}}}}; }

httplib::Result PostRaw(TestServer& s, const std::string& query, const std::string& body) {
    httplib::Client c(s.BaseUrl());
    return c.Post(s.config().wecom.callback_path + "?" + query, body, "text/xml");
}

}  // namespace

TEST_CASE("URL verification answers exactly the decrypted echostr", "[integration]") {
    TestServer s(NoSkew());
    httplib::Client c(s.BaseUrl());
    for (const auto& v : Vectors()["url_verification"]) {
        INFO(v["id"].get<std::string>());
        auto res = c.Get("/wecom/callback?" + v["query_string"].get<std::string>());
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body == v["expected_response_body"].get<std::string>());
    }
}

TEST_CASE("every POST vector is accepted and answered with a verifiable reply", "[integration]") {
    TestServer s(NoSkew());
    for (const auto& v : Vectors()["post_messages"]) {
        INFO(v["id"].get<std::string>());
        auto res = PostRaw(s, v["query_string"], v["body"]);
        REQUIRE(res);
        CHECK(res->status == 200);
    }
    // Messages have MsgIds; events dedupe on user + time + event: all distinct here.
    CHECK(s.Count("inbound_messages") == static_cast<long long>(Vectors()["post_messages"].size()));
}

TEST_CASE("every negative vector is refused with 4xx, nothing echoed, nothing stored",
          "[integration]") {
    TestServer s(NoSkew());
    httplib::Client c(s.BaseUrl());
    for (const auto& v : Vectors()["negative"]) {
        INFO(v["id"].get<std::string>());
        httplib::Result res =
            v["method"] == "GET" ? c.Get("/wecom/callback?" + v["query_string"].get<std::string>())
                                 : c.Post("/wecom/callback?" + v["query_string"].get<std::string>(),
                                          v["body"].get<std::string>(), "text/xml");
        REQUIRE(res);
        CHECK(res->status >= 400);
        CHECK(res->status < 500);
        CHECK(res->body.find("<xml") == std::string::npos);
        CHECK(res->body.find("5927386049152738461") == std::string::npos);
    }
    CHECK(s.Count("inbound_messages") == 0);
}

TEST_CASE("help is answered and the reply swaps To and From", "[integration]") {
    TestServer s;
    auto r = s.client().SendText("ZhangSan", "帮助");
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->msg_type == "text");
    CHECK_THAT(r->content, Catch::Contains("报修"));
    CHECK_THAT(r->inner_xml, Catch::Contains("<ToUserName><![CDATA[zhangsan]]></ToUserName>"));
    CHECK_THAT(r->inner_xml, Catch::Contains("<FromUserName><![CDATA[" + s.config().wecom.corp_id +
                                             "]]></FromUserName>"));
}

TEST_CASE("a retried delivery is processed once and gets the same reply, across a restart",
          "[integration]") {
    TestServer s;
    const auto req = s.client().BuildRequest(
        "<xml><ToUserName><![CDATA[" + s.config().wecom.corp_id +
        "]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>" +
        std::to_string(s.clock().NowSeconds()) +
        "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content>"
        "<MsgId>7381234567890123456</MsgId><AgentID>1000002</AgentID></xml>");
    httplib::Client c(s.BaseUrl());
    auto first = c.Post(req.path_and_query, req.body, "text/xml");
    REQUIRE(first);
    REQUIRE(first->status == 200);
    auto second = c.Post(req.path_and_query, req.body, "text/xml");
    REQUIRE(second);
    CHECK(second->status == 200);
    CHECK(s.Count("inbound_messages") == 1);
    auto a = s.client().DecodeReply(first->status, first->body);
    auto b = s.client().DecodeReply(second->status, second->body);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK_THAT(a->content, Catch::Contains("报修"));
    CHECK(b->content == a->content);

    s.Restart();
    httplib::Client c2(s.BaseUrl());
    auto third = c2.Post(req.path_and_query, req.body, "text/xml");
    REQUIRE(third);
    CHECK(third->status == 200);
    auto c3 = s.client().DecodeReply(third->status, third->body);
    REQUIRE(c3.ok());
    CHECK(c3->content == a->content);
    CHECK(s.Count("inbound_messages") == 1);
    CHECK(s.Count("inbound_messages", "dedupe_key = '7381234567890123456'") == 1);
}

TEST_CASE("oversized, stale, unsigned and malformed requests are refused", "[integration]") {
    TestServer s(nlohmann::json{{"server", {{"max_body_bytes", 2048}}}});
    SECTION("oversized body") {
        auto res = PostRaw(s, "msg_signature=a&timestamp=1&nonce=2", std::string(4096, 'x'));
        REQUIRE(res);
        CHECK(res->status == 413);
    }
    SECTION("stale timestamp") {
        auto req = s.client().BuildRequest("<xml/>");
        s.clock().Advance(std::chrono::seconds(301));
        httplib::Client c(s.BaseUrl());
        auto res = c.Post(req.path_and_query, req.body, "text/xml");
        REQUIRE(res);
        CHECK(res->status == 403);
    }
    SECTION("missing parameters") {
        auto res = PostRaw(s, "", "<xml><Encrypt>abc</Encrypt></xml>");
        REQUIRE(res);
        CHECK(res->status == 400);
    }
    SECTION("not XML at all") {
        auto res = PostRaw(
            s, "msg_signature=a&timestamp=" + std::to_string(s.clock().NowSeconds()) + "&nonce=2",
            "\x01\x02 not xml <<<");
        REQUIRE(res);
        CHECK(res->status == 400);
    }
    SECTION("signed and encrypted but the inner XML is garbage") {
        auto r = s.client().PostInner("this is not xml");
        REQUIRE(r.ok());
        CHECK(r->status == 400);
    }
    CHECK(s.Count("inbound_messages") == 0);
}

TEST_CASE("healthz and metrics answer", "[integration]") {
    TestServer s;
    REQUIRE(s.client().SendText("wangwu", "help").ok());
    httplib::Client c(s.BaseUrl());
    auto h = c.Get("/healthz");
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK_THAT(h->body, Catch::Contains("\"status\":\"ok\""));
    CHECK_THAT(h->body, Catch::Contains("\"queued_deliveries\":0"));
    CHECK_THAT(h->body, Catch::Contains("\"open_breakers\":[]"));
    auto m = c.Get("/metrics");
    REQUIRE(m);
    CHECK(m->status == 200);
    CHECK_THAT(m->body, Catch::Contains("wedesk_callbacks_total{method=\"POST\",outcome=\"ok\"}"));
    CHECK_THAT(m->body, Catch::Contains("wedesk_callback_duration_seconds_count"));
}
