// Inputs found by fuzz/xml_fuzz and fuzz/callback_fuzz (docs/fuzzing.md), replayed as unit tests.

#include <catch2/catch.hpp>

#include <string>

#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/wecom/message.hpp"

using namespace wedesk::wecom;
using wedesk::sim::BuildInboundXml;

TEST_CASE("fuzz xml_fuzz-crash-507c5488: a CR from &#13 — survives BuildInboundXml", "[unit]") {
    // Found by xml_fuzz: "&#13;" decodes to CR, which CDATA cannot carry (readers turn a raw CR
    // into LF), so the rebuilt message read back with LF in its content.
    const std::string input =
        "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>"
        "<Content>,!&#13;A[a]]]]><![CDATA[>b]]>&amp;c</Content></xml>";
    auto first = ParseInbound(input);
    REQUIRE(first.ok());
    // pugixml tolerates "]]>" in plain text; the CDATA section after it adds ">b".
    CHECK(first->content == ",!\rA[a]]]]>>b&c");

    const std::string rebuilt = BuildInboundXml(*first);
    auto second = ParseInbound(rebuilt);
    REQUIRE(second.ok());
    CHECK(second->content == first->content);
    CHECK(BuildInboundXml(*second) == rebuilt);
}

TEST_CASE("fuzz: CR in CDATA and plain elements is written as a character reference", "[unit]") {
    CHECK(Cdata("a\rb") == "<![CDATA[a]]>&#13;<![CDATA[b]]>");
    CHECK(Cdata("\r\n]]>\r") == "<![CDATA[]]>&#13;<![CDATA[\n]]]]><![CDATA[>]]>&#13;<![CDATA[]]>");

    auto reply =
        ParseInbound(BuildTextReply("zhangsan", "ww5f3c9a1e7b2d4068", 1, "line1\r\nline2\r"));
    REQUIRE(reply.ok());
    CHECK(reply->content == "line1\r\nline2\r");

    InboundMessage m;
    m.from_user = "zhangsan";
    m.type = MsgType::kLocation;
    m.raw_type = "location";
    m.location_x = "23.1\r34";  // plain (escaped, not CDATA) element
    m.label = "a\rb";
    auto back = ParseInbound(BuildInboundXml(m));
    REQUIRE(back.ok());
    CHECK(back->location_x == "23.1\r34");
    CHECK(back->label == "a\rb");
}
