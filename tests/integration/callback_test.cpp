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
    CHECK(s.Count("inbound_messages", "dedupe_key LIKE 'msg:%:7381234567890123456'") == 1);
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

namespace {

/// The text of `<tag>` in a passive reply envelope (plain, or inside CDATA).
std::string Tag(const std::string& xml, const std::string& tag) {
    const auto open = xml.find("<" + tag + ">");
    const auto close = xml.find("</" + tag + ">");
    if (open == std::string::npos || close == std::string::npos) {
        return "";
    }
    std::string v = xml.substr(open + tag.size() + 2, close - open - tag.size() - 2);
    if (v.rfind("<![CDATA[", 0) == 0) {
        v = v.substr(9, v.size() - 12);
    }
    return v;
}

}  // namespace

TEST_CASE("a captured passive reply is neither decrypted by GET nor taken as a message",
          "[integration][security]") {
    TestServer s;
    auto r = s.client().SendText("zhangsan", "帮助");
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    const std::string encrypt = Tag(r->raw_body, "Encrypt");
    const std::string sig = Tag(r->raw_body, "MsgSignature");
    const std::string ts = Tag(r->raw_body, "TimeStamp");
    const std::string nonce = Tag(r->raw_body, "Nonce");
    REQUIRE_FALSE(encrypt.empty());
    const std::string query = "msg_signature=" + sig + "&timestamp=" + ts + "&nonce=" + nonce;
    const auto before = s.Count("inbound_messages");

    // Replayed as echostr: correctly signed with our key, but not an echo string.
    httplib::Client c(s.BaseUrl());
    auto oracle = c.Get(s.config().wecom.callback_path + "?" + query +
                        "&echostr=" + httplib::detail::encode_query_param(encrypt));
    REQUIRE(oracle);
    CHECK(oracle->status == 403);
    CHECK(oracle->body.find("报修") == std::string::npos);
    CHECK(oracle->body.find("<xml>") == std::string::npos);

    // Posted back as a callback: addressed to a member, from the corp, so not ours.
    auto replay = PostRaw(s, query, r->raw_body);
    REQUIRE(replay);
    CHECK(replay->status == 403);
    CHECK(s.Count("inbound_messages") == before);

    // WeCom's own verification still works.
    std::string expected;
    auto echo = s.client().VerifyUrl(&expected);
    REQUIRE(echo.ok());
    CHECK(*echo == expected);
}

TEST_CASE("a message naming another agent, or sent as the corp, is refused",
          "[integration][security]") {
    TestServer s;
    const auto corp = s.config().wecom.corp_id;
    int n = 0;
    auto inner = [&](const std::string& to, const std::string& from, const std::string& agent) {
        ++n;
        return "<xml><ToUserName><![CDATA[" + to + "]]></ToUserName><FromUserName><![CDATA[" +
               from + "]]></FromUserName><CreateTime>" + std::to_string(s.clock().NowSeconds()) +
               "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]>"
               "</Content><MsgId>" +
               std::to_string(7391000000000000000LL + n) + "</MsgId><AgentID>" + agent +
               "</AgentID></xml>";
    };
    const std::string ours = std::to_string(s.config().wecom.agent_id);
    for (const auto& xml : {inner(corp, "zhangsan", "1000999"), inner(corp, corp, ours),
                            inner("zhangsan", "lisi", ours)}) {
        auto refused = s.client().PostInner(xml);
        REQUIRE(refused.ok());
        CHECK(refused->status == 403);
    }
    CHECK(s.Count("inbound_messages") == 0);
    auto fine = s.client().PostInner(inner(corp, "zhangsan", ours));
    REQUIRE(fine.ok());
    CHECK(fine->status == 200);
}

TEST_CASE("the same MsgId from another sender is another message with its own reply",
          "[integration][security]") {
    TestServer s;
    wedesk::wecom::InboundMessage m;
    m.type = wedesk::wecom::MsgType::kText;
    m.raw_type = "text";
    m.msg_id = "7390000000000000001";
    m.from_user = "zhangsan";
    m.content = "报修 打印机卡纸";
    auto first = s.client().Send(m);
    REQUIRE(first.ok());
    m.from_user = "lisi";
    m.content = "帮助";
    auto second = s.client().Send(m);
    REQUIRE(second.ok());
    CHECK(second->content != first->content);
    CHECK_THAT(second->content, Catch::Contains("我是IT服务台"));
    CHECK(s.Count("inbound_messages") == 2);
}
