// WeCom message XML: parsing every inbound type and event, malformed input, reply builders and
// the simulator's BuildInboundXml.

#include <catch2/catch.hpp>

#include <string>

#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/wecom/message.hpp"

using namespace wedesk::wecom;
using wedesk::sim::BuildInboundXml;

namespace {

constexpr const char* kHead =
    "<xml><ToUserName><![CDATA[ww5f3c9a1e7b2d4068]]></ToUserName>"
    "<FromUserName><![CDATA[ZhangSan]]></FromUserName><CreateTime>1718006400</CreateTime>";

InboundMessage MustParse(const std::string& xml) {
    auto r = ParseInbound(xml);
    if (!r.ok()) {
        FAIL("ParseInbound failed: " << r.error().message);
    }
    return std::move(r).value();
}

std::string ParseError(const std::string& xml) {
    auto r = ParseInbound(xml);
    return r.ok() ? "ok" : r.error().CodeText();
}

}  // namespace

TEST_CASE("text message: CDATA, lower-cased sender, 64-bit MsgId kept as text", "[unit]") {
    const auto m = MustParse(std::string(kHead) +
                             "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[报修 a<b & "
                             "c]]></Content><MsgId>18446744073709551615</MsgId>"
                             "<AgentID>1000002</AgentID></xml>");
    CHECK(m.type == MsgType::kText);
    CHECK(m.raw_type == "text");
    CHECK(m.to_user == "ww5f3c9a1e7b2d4068");
    CHECK(m.from_user == "zhangsan");
    CHECK(m.create_time == 1718006400);
    CHECK(m.content == "报修 a<b & c");
    CHECK(m.msg_id == "18446744073709551615");
    CHECK(m.agent_id == "1000002");
    CHECK(m.event_type == EventType::kNone);
    CHECK(m.DedupeKey() == "msg:zhangsan:18446744073709551615");
}

TEST_CASE("plain text nodes are accepted and entities in them decoded", "[unit]") {
    const auto m = MustParse(
        "<xml>\n  <ToUserName>ww1</ToUserName>\n  <FromUserName> LiSi </FromUserName>\n"
        "  <CreateTime> 1718006401 </CreateTime>\n  <MsgType>text</MsgType>\n"
        "  <Content>a &amp; b &lt;c&gt; &#x4E2D;</Content>\n  <MsgId>7381234567890120001</MsgId>\n"
        "  <AgentID><![CDATA[1000002]]></AgentID>\n  <Unknown><X>1</X></Unknown>\n</xml>\n");
    CHECK(m.type == MsgType::kText);
    CHECK(m.from_user == "lisi");
    CHECK(m.create_time == 1718006401);
    CHECK(m.content == "a & b <c> 中");
    CHECK(m.agent_id == "1000002");
}

TEST_CASE("media, location, link and file messages", "[unit]") {
    SECTION("image") {
        const auto m =
            MustParse(std::string(kHead) +
                      "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://p/"
                      "0]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>1</MsgId></xml>");
        CHECK(m.type == MsgType::kImage);
        CHECK(m.pic_url == "https://p/0");
        CHECK(m.media_id == "m1");
    }
    SECTION("voice") {
        const auto m = MustParse(std::string(kHead) +
                                 "<MsgType>voice</MsgType><MediaId>m2</MediaId><Format>amr</"
                                 "Format><MsgId>2</MsgId></xml>");
        CHECK(m.type == MsgType::kVoice);
        CHECK(m.media_id == "m2");
        CHECK(m.format == "amr");
    }
    SECTION("video") {
        const auto m = MustParse(std::string(kHead) +
                                 "<MsgType>video</MsgType><MediaId>m3</MediaId><ThumbMediaId>t3</"
                                 "ThumbMediaId><MsgId>3</MsgId></xml>");
        CHECK(m.type == MsgType::kVideo);
        CHECK(m.media_id == "m3");
        CHECK(m.thumb_media_id == "t3");
    }
    SECTION("location") {
        const auto m = MustParse(
            std::string(kHead) +
            "<MsgType>location</MsgType><Location_X>31.2304</Location_X><Location_Y>121.4737</"
            "Location_Y><Scale>15</Scale><Label><![CDATA[上海市]]></Label><MsgId>4</MsgId>"
            "<AppType><![CDATA[wxwork]]></AppType></xml>");
        CHECK(m.type == MsgType::kLocation);
        CHECK(m.location_x == "31.2304");
        CHECK(m.location_y == "121.4737");
        CHECK(m.scale == "15");
        CHECK(m.label == "上海市");
    }
    SECTION("link") {
        const auto m = MustParse(std::string(kHead) +
                                 "<MsgType>link</MsgType><Title>T</Title><Description>D</"
                                 "Description><Url>https://x/?a=1&amp;b=2</Url><PicUrl>P</"
                                 "PicUrl><MsgId>5</MsgId></xml>");
        CHECK(m.type == MsgType::kLink);
        CHECK(m.title == "T");
        CHECK(m.description == "D");
        CHECK(m.url == "https://x/?a=1&b=2");
        CHECK(m.pic_url == "P");
    }
    SECTION("file") {
        const auto m = MustParse(std::string(kHead) +
                                 "<MsgType>file</MsgType><MediaId>m6</MediaId><FileName><![CDATA["
                                 "日志.zip]]></FileName><MsgId>6</MsgId></xml>");
        CHECK(m.type == MsgType::kFile);
        CHECK(m.media_id == "m6");
        CHECK(m.file_name == "日志.zip");
    }
}

TEST_CASE("unknown message types are not an error", "[unit]") {
    const auto m = MustParse(std::string(kHead) +
                             "<MsgType>miniprogram_notice</MsgType><MsgId>9</MsgId></xml>");
    CHECK(m.type == MsgType::kUnknown);
    CHECK(m.raw_type == "miniprogram_notice");
    CHECK(m.msg_id == "9");
}

TEST_CASE("events", "[unit]") {
    auto event = [](const std::string& name, const std::string& extra = "") {
        return MustParse(std::string(kHead) +
                         "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + name +
                         "]]></Event>" + extra + "<AgentID>1000002</AgentID></xml>");
    };
    CHECK(event("subscribe").event_type == EventType::kSubscribe);
    CHECK(event("unsubscribe").event_type == EventType::kUnsubscribe);
    CHECK(event("enter_agent", "<EventKey><![CDATA[]]></EventKey>").event_type ==
          EventType::kEnterAgent);
    for (const char* click : {"click", "CLICK", "Click"}) {
        const auto m = event(click, "<EventKey><![CDATA[MENU_MY_TICKETS]]></EventKey>");
        CHECK(m.type == MsgType::kEvent);
        CHECK(m.event_type == EventType::kClick);
        CHECK(m.event == click);
        CHECK(m.event_key == "MENU_MY_TICKETS");
    }
    CHECK(event("VIEW", "<EventKey>https://x</EventKey>").event_type == EventType::kView);
    CHECK(event("view").event_type == EventType::kView);

    const auto loc = event("LOCATION",
                           "<Latitude>23.104</Latitude><Longitude>113.320</Longitude>"
                           "<Precision>65.000</Precision>");
    CHECK(loc.event_type == EventType::kLocation);
    CHECK(loc.latitude == "23.104");
    CHECK(loc.longitude == "113.320");
    CHECK(loc.precision == "65.000");

    const auto card = event("template_card_event",
                            "<EventKey><![CDATA[ticket_accept:INC1]]></EventKey><TaskId><![CDATA["
                            "inc-INC1-1]]></TaskId><CardType><![CDATA[button_interaction]]></"
                            "CardType><ResponseCode><![CDATA[RC]]></ResponseCode>");
    CHECK(card.event_type == EventType::kTemplateCardEvent);
    CHECK(card.event_key == "ticket_accept:INC1");
    CHECK(card.task_id == "inc-INC1-1");
    CHECK(card.card_type == "button_interaction");
    CHECK(card.response_code == "RC");

    // A card with a selection: the chosen options come with the click.
    const auto picked = event("template_card_event",
                              "<EventKey><![CDATA[my_view]]></EventKey><TaskId><![CDATA[my-1]]>"
                              "</TaskId><CardType><![CDATA[button_interaction]]></CardType>"
                              "<SelectedItems><SelectedItem><QuestionKey><![CDATA[no]]>"
                              "</QuestionKey><OptionIds><OptionId><![CDATA[IT20261127-0002]]>"
                              "</OptionId></OptionIds></SelectedItem></SelectedItems>");
    CHECK(picked.SelectedOption("no") == "IT20261127-0002");
    CHECK(picked.SelectedOption("other").empty());
    CHECK(card.SelectedOption("no").empty());

    const auto other = event("template_card_menu_event");
    CHECK(other.event_type == EventType::kOther);
    CHECK(other.event == "template_card_menu_event");
}

TEST_CASE("dedupe keys", "[unit]") {
    InboundMessage m;
    m.from_user = "zhangsan";
    m.create_time = 1718006412;
    m.type = MsgType::kEvent;
    m.event = "subscribe";
    CHECK(m.DedupeKey() == "ev:zhangsan:1718006412:subscribe");
    m.event = "template_card_event";
    m.task_id = "inc-1";
    m.event_key = "ticket_accept:INC1";
    CHECK(m.DedupeKey() == "ev:zhangsan:1718006412:template_card_event:inc-1:ticket_accept:INC1");
    // Another choice on the same card in the same second is another click.
    m.selected = {{"no", {"IT20261127-0002"}}};
    CHECK(m.DedupeKey() ==
          "ev:zhangsan:1718006412:template_card_event:inc-1:ticket_accept:INC1:no=IT20261127-0002");
    m.selected.clear();
    m.task_id.clear();
    m.event = "click";
    m.event_key = "MENU_A";
    CHECK(m.DedupeKey() == "ev:zhangsan:1718006412:click::MENU_A");
    m.msg_id = "7381234567890120001";
    CHECK(m.DedupeKey() == "msg:zhangsan:7381234567890120001");
    m.from_user = "lisi";  // the same MsgId from someone else is another message
    CHECK(m.DedupeKey() == "msg:lisi:7381234567890120001");
}

TEST_CASE("malformed or incomplete XML is parse_xml, never a crash", "[unit]") {
    CHECK(ParseError("") == "parse_xml");
    CHECK(ParseError("not xml") == "parse_xml");
    CHECK(ParseError("<xml><FromUserName>a</xml>") == "parse_xml");
    CHECK(ParseError("<xml><FromUserName>a</FromUserName><MsgType>text</MsgType>") == "parse_xml");
    CHECK(ParseError("<other><FromUserName>a</FromUserName><MsgType>text</MsgType></other>") ==
          "parse_xml");
    CHECK(ParseError("<xml><MsgType>text</MsgType></xml>") == "parse_xml");         // no sender
    CHECK(ParseError("<xml><FromUserName>a</FromUserName></xml>") == "parse_xml");  // no type
    CHECK(ParseError("<xml><FromUserName></FromUserName><MsgType>text</MsgType></xml>") ==
          "parse_xml");
    CHECK(ParseError("<xml><FromUserName>a</FromUserName><MsgType>text</MsgType>"
                     "<CreateTime>12x</CreateTime></xml>") == "parse_xml");
    CHECK(ParseError("<xml><FromUserName>a</FromUserName><MsgType>text</MsgType>"
                     "<CreateTime>99999999999999999999999</CreateTime></xml>") == "parse_xml");
    CHECK(ParseError(std::string("<xml>\0</xml>", 12)) == "parse_xml");
    // Missing optional fields are fine.
    const auto m = MustParse("<xml><FromUserName>a</FromUserName><MsgType>text</MsgType></xml>");
    CHECK(m.create_time == 0);
    CHECK(m.content.empty());
    CHECK(m.msg_id.empty());
}

TEST_CASE("DOCTYPE and entities are never expanded", "[unit]") {
    const std::string xxe =
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">"
        "<!ENTITY big \"EXPANDED\">]>"
        "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType>"
        "<Content>&xxe;&big;</Content></xml>";
    // pugixml skips the DOCTYPE and leaves unknown entity references as literal text.
    auto r = ParseInbound(xxe);
    REQUIRE(r.ok());
    CHECK(r->content == "&xxe;&big;");
    const std::string laughs =
        "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
        "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>&c;</Content></xml>";
    auto l = ParseInbound(laughs);
    REQUIRE(l.ok());
    CHECK(l->content == "&c;");
}

TEST_CASE("CDATA sections are split so user text cannot close them", "[unit]") {
    CHECK(Cdata("") == "<![CDATA[]]>");
    CHECK(Cdata("abc") == "<![CDATA[abc]]>");
    CHECK(Cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>");
    CHECK(Cdata("]]>]]>") == "<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>");
    for (const std::string content : {"a]]>b", "]]>", "x]]]>y", "]]>]]><![CDATA[z", "]]"}) {
        INFO(content);
        const auto reply = BuildTextReply("zhangsan", "ww1", 1, content);
        CHECK(MustParse(reply).content == content);
    }
}

TEST_CASE("reply builders swap direction and use seconds", "[unit]") {
    CHECK(
        BuildTextReply("zhangsan", "ww5f3c9a1e7b2d4068", 1718006500, "已为您创建工单 INC0012345") ==
        "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA["
        "ww5f3c9a1e7b2d4068]]></FromUserName><CreateTime>1718006500</CreateTime><MsgType><![CDATA["
        "text]]></MsgType><Content><![CDATA[已为您创建工单 INC0012345]]></Content></xml>");
    CHECK(
        BuildUpdateButtonReply("lisi", "ww5f3c9a1e7b2d4068", 1718006500, "已接单") ==
        "<xml><ToUserName><![CDATA[lisi]]></ToUserName><FromUserName><![CDATA["
        "ww5f3c9a1e7b2d4068]]></FromUserName><CreateTime>1718006500</CreateTime><MsgType><![CDATA["
        "update_button]]></MsgType><Button><ReplaceName><![CDATA[已接单]]></ReplaceName></"
        "Button></xml>");
}

TEST_CASE("outer envelope: Encrypt extraction", "[unit]") {
    CHECK(ExtractEncrypt("<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[QUJD]]>"
                         "</Encrypt><AgentID><![CDATA[1]]></AgentID></xml>")
              .value() == "QUJD");
    CHECK(ExtractEncrypt("<xml>\n  <Encrypt>\n    QUJD\n  </Encrypt>\n</xml>\n").value() == "QUJD");
    CHECK(ExtractEncrypt("<xml><ToUserName>ww1</ToUserName></xml>").error().code ==
          wedesk::Errc::kParseXml);
    CHECK(ExtractEncrypt("<xml><Encrypt></Encrypt></xml>").error().code == wedesk::Errc::kParseXml);
    CHECK(ExtractEncrypt("<xml><Encrypt>QUJD</Encrypt>").error().code == wedesk::Errc::kParseXml);
    CHECK(ExtractEncrypt("").error().code == wedesk::Errc::kParseXml);
}

TEST_CASE("BuildInboundXml round-trips through ParseInbound", "[unit]") {
    auto base = [](MsgType type) {
        InboundMessage m;
        m.to_user = "ww5f3c9a1e7b2d4068";
        m.from_user = "zhangsan";
        m.create_time = 1718006400;
        m.type = type;
        m.agent_id = "1000002";
        return m;
    };
    std::vector<InboundMessage> cases;
    {
        auto m = base(MsgType::kText);
        m.content = "我的电脑 ]]> a<b & \"c\"";
        m.msg_id = "18446744073709551615";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kImage);
        m.pic_url = "https://p/0?a=1&b=2";
        m.media_id = "m1";
        m.msg_id = "1";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kVoice);
        m.media_id = "m2";
        m.format = "speex";
        m.msg_id = "2";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kVideo);
        m.media_id = "m3";
        m.thumb_media_id = "t3";
        m.msg_id = "3";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kLocation);
        m.location_x = "31.2304";
        m.location_y = "121.4737";
        m.scale = "15";
        m.label = "上海市";
        m.msg_id = "4";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kLink);
        m.title = "T";
        m.description = "D";
        m.url = "https://x/?a=1&b=2";
        m.pic_url = "P";
        m.msg_id = "5";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kFile);
        m.media_id = "m6";
        m.file_name = "日志.zip";
        m.msg_id = "6";
        cases.push_back(m);
    }
    for (auto [et, name] :
         {std::pair{EventType::kSubscribe, "subscribe"},
          std::pair{EventType::kUnsubscribe, "unsubscribe"},
          std::pair{EventType::kEnterAgent, "enter_agent"}, std::pair{EventType::kClick, "click"},
          std::pair{EventType::kView, "view"}}) {
        auto m = base(MsgType::kEvent);
        m.event_type = et;
        m.event = name;
        if (et == EventType::kClick || et == EventType::kView) {
            m.event_key = "KEY_1";
        }
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kEvent);
        m.event_type = EventType::kLocation;
        m.event = "LOCATION";
        m.latitude = "23.1";
        m.longitude = "113.3";
        m.precision = "65.0";
        cases.push_back(m);
    }
    {
        auto m = base(MsgType::kEvent);
        m.event_type = EventType::kTemplateCardEvent;
        m.event = "template_card_event";
        m.event_key = "ticket_accept:INC1";
        m.task_id = "inc-INC1-1";
        m.card_type = "button_interaction";
        m.response_code = "RC";
        cases.push_back(m);
    }
    for (const auto& in : cases) {
        const std::string xml = BuildInboundXml(in);
        INFO(xml);
        const auto out = MustParse(xml);
        CHECK(out.type == in.type);
        CHECK_FALSE(out.raw_type.empty());
        CHECK(out.to_user == in.to_user);
        CHECK(out.from_user == in.from_user);
        CHECK(out.create_time == in.create_time);
        CHECK(out.msg_id == in.msg_id);
        CHECK(out.agent_id == in.agent_id);
        CHECK(out.content == in.content);
        CHECK(out.media_id == in.media_id);
        CHECK(out.pic_url == in.pic_url);
        CHECK(out.format == in.format);
        CHECK(out.thumb_media_id == in.thumb_media_id);
        CHECK(out.location_x == in.location_x);
        CHECK(out.location_y == in.location_y);
        CHECK(out.scale == in.scale);
        CHECK(out.label == in.label);
        CHECK(out.title == in.title);
        CHECK(out.description == in.description);
        CHECK(out.url == in.url);
        CHECK(out.file_name == in.file_name);
        CHECK(out.event_type == in.event_type);
        CHECK(out.event == in.event);
        CHECK(out.event_key == in.event_key);
        CHECK(out.task_id == in.task_id);
        CHECK(out.card_type == in.card_type);
        CHECK(out.response_code == in.response_code);
        CHECK(out.latitude == in.latitude);
        CHECK(out.longitude == in.longitude);
        CHECK(out.precision == in.precision);
        CHECK(out.DedupeKey() == in.DedupeKey());
        CHECK(BuildInboundXml(out) == xml);
    }
    // The type field wins over a stale raw_type; an upper-case sender is sent as given.
    InboundMessage m = base(MsgType::kText);
    m.raw_type = "image";
    m.from_user = "ZhangSan";
    const auto parsed = MustParse(BuildInboundXml(m));
    CHECK(parsed.type == MsgType::kText);
    CHECK(parsed.from_user == "zhangsan");
}
