// libFuzzer target: the XML boundary of wecom/ (ExtractEncrypt, ParseInbound, BuildInboundXml,
// BuildTextReply, Cdata). Every input is used four ways:
//   1. as an outer callback body for ExtractEncrypt;
//   2. as an inner message for ParseInbound; a parsed message must survive
//      BuildInboundXml → ParseInbound with its key fields, and rebuilding is a fixpoint;
//   3. as the content of a passive text reply, which must read back unchanged;
//   4. as FuzzedDataProvider bytes for an arbitrary InboundMessage, whose BuildInboundXml must
//      always be well-formed and carry every field the parser reads for that type.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wedesk/common/text.hpp"
#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/wecom/message.hpp"

namespace {

using wedesk::text::AsciiLower;
using wedesk::text::Trim;
using wedesk::wecom::EventType;
using wedesk::wecom::InboundMessage;
using wedesk::wecom::MsgType;

[[noreturn]] void Die(const char* what, const std::string& detail) {
    std::fprintf(stderr, "invariant violated: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void Check(bool ok, const char* what, const std::string& detail = {}) {
    if (!ok) {
        Die(what, detail);
    }
}

bool IsAsciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// What an XML reader can hand back: no NUL (pugixml values are C strings). CR is fine: the
/// writers encode it as "&#13;" (a raw CR would be read back as LF).
std::string Readable(std::string s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c != '\0') {
            out.push_back(c);
        }
    }
    return out;
}

// Compares one field; names the field and both values on failure.
#define EXPECT_FIELD(field, expected, actual)                                                    \
    do {                                                                                         \
        if ((expected) != (actual)) {                                                            \
            Die("round trip of " field, std::string("expected [") + std::string(expected) +      \
                                            "] got [" + std::string(actual) + "]\nxml: " + xml); \
        }                                                                                        \
    } while (0)

/// Fields BuildInboundXml writes for `a`'s type must come back in `b`.
void ExpectKeyFields(const InboundMessage& a, const InboundMessage& b, const std::string& xml) {
    EXPECT_FIELD("to_user", a.to_user, b.to_user);
    EXPECT_FIELD("from_user", a.from_user, b.from_user);
    EXPECT_FIELD("create_time", std::to_string(a.create_time), std::to_string(b.create_time));
    Check(a.type == b.type, "round trip of type", xml);
    EXPECT_FIELD("raw_type", a.raw_type, b.raw_type);
    EXPECT_FIELD("msg_id", a.msg_id, b.msg_id);
    EXPECT_FIELD("agent_id", a.agent_id, b.agent_id);
    switch (a.type) {
        case MsgType::kText:
        case MsgType::kUnknown:
            EXPECT_FIELD("content", a.content, b.content);
            break;
        case MsgType::kImage:
            EXPECT_FIELD("pic_url", a.pic_url, b.pic_url);
            EXPECT_FIELD("media_id", a.media_id, b.media_id);
            break;
        case MsgType::kVoice:
            EXPECT_FIELD("media_id", a.media_id, b.media_id);
            EXPECT_FIELD("format", a.format, b.format);
            break;
        case MsgType::kVideo:
            EXPECT_FIELD("media_id", a.media_id, b.media_id);
            EXPECT_FIELD("thumb_media_id", a.thumb_media_id, b.thumb_media_id);
            break;
        case MsgType::kLocation:
            EXPECT_FIELD("location_x", a.location_x, b.location_x);
            EXPECT_FIELD("location_y", a.location_y, b.location_y);
            EXPECT_FIELD("scale", a.scale, b.scale);
            EXPECT_FIELD("label", a.label, b.label);
            break;
        case MsgType::kLink:
            EXPECT_FIELD("title", a.title, b.title);
            EXPECT_FIELD("description", a.description, b.description);
            EXPECT_FIELD("url", a.url, b.url);
            EXPECT_FIELD("pic_url", a.pic_url, b.pic_url);
            break;
        case MsgType::kFile:
            EXPECT_FIELD("media_id", a.media_id, b.media_id);
            EXPECT_FIELD("file_name", a.file_name, b.file_name);
            break;
        case MsgType::kEvent:
            EXPECT_FIELD("event", a.event, b.event);
            Check(a.event_type == b.event_type, "round trip of event_type", xml);
            switch (a.event_type) {
                case EventType::kLocation:
                    EXPECT_FIELD("latitude", a.latitude, b.latitude);
                    EXPECT_FIELD("longitude", a.longitude, b.longitude);
                    EXPECT_FIELD("precision", a.precision, b.precision);
                    break;
                case EventType::kSubscribe:
                case EventType::kUnsubscribe:
                    EXPECT_FIELD("event_key", a.event_key, b.event_key);
                    break;
                default:
                    EXPECT_FIELD("event_key", a.event_key, b.event_key);
                    EXPECT_FIELD("task_id", a.task_id, b.task_id);
                    if (!a.task_id.empty() || a.event_type == EventType::kTemplateCardEvent) {
                        EXPECT_FIELD("card_type", a.card_type, b.card_type);
                        EXPECT_FIELD("response_code", a.response_code, b.response_code);
                    }
                    break;
            }
            break;
    }
}

void CheckExtractEncrypt(std::string_view body) {
    auto r = wedesk::wecom::ExtractEncrypt(body);
    if (!r.ok()) {
        Check(r.error().code == wedesk::Errc::kParseXml,
              "ExtractEncrypt fails only with parse_xml");
        return;
    }
    Check(!r->empty(), "Encrypt is not empty");
    Check(!IsAsciiSpace(r->front()) && !IsAsciiSpace(r->back()), "Encrypt is trimmed");
}

void CheckParseRoundTrip(std::string_view inner) {
    auto first = wedesk::wecom::ParseInbound(inner);
    if (!first.ok()) {
        Check(first.error().code == wedesk::Errc::kParseXml,
              "ParseInbound fails only with parse_xml");
        return;
    }
    (void)first->DedupeKey();
    const std::string xml = wedesk::sim::BuildInboundXml(*first);
    auto second = wedesk::wecom::ParseInbound(xml);
    if (!second.ok()) {
        Die("ParseInbound(BuildInboundXml(m)) succeeds", second.error().message + "\nxml: " + xml);
    }
    ExpectKeyFields(*first, *second, xml);
    const std::string again = wedesk::sim::BuildInboundXml(*second);
    Check(again == xml, "BuildInboundXml is a fixpoint after one parse", xml + "\n" + again);
}

void CheckTextReply(std::string_view content_bytes) {
    const std::string content = Readable(std::string(content_bytes));
    const std::string xml =
        wedesk::wecom::BuildTextReply("zhangsan", "ww5f3c9a1e7b2d4068", 1718006400, content);
    auto r = wedesk::wecom::ParseInbound(xml);
    if (!r.ok()) {
        Die("a text reply parses", r.error().message + "\nxml: " + xml);
    }
    EXPECT_FIELD("reply content", content, r->content);
    EXPECT_FIELD("reply to_user", std::string("zhangsan"), r->to_user);
    EXPECT_FIELD("reply raw_type", std::string("text"), r->raw_type);
}

std::string Field(FuzzedDataProvider& fdp) { return Readable(fdp.ConsumeRandomLengthString(48)); }

void CheckBuiltMessage(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    InboundMessage m;
    m.type = static_cast<MsgType>(fdp.ConsumeIntegralInRange<int>(0, 8));
    m.event_type = static_cast<EventType>(fdp.ConsumeIntegralInRange<int>(0, 8));
    m.create_time = fdp.ConsumeIntegral<std::int64_t>();
    for (std::string* s :
         {&m.to_user,     &m.from_user,  &m.raw_type,      &m.msg_id,   &m.agent_id,
          &m.content,     &m.media_id,   &m.pic_url,       &m.format,   &m.thumb_media_id,
          &m.location_x,  &m.location_y, &m.scale,         &m.label,    &m.title,
          &m.description, &m.url,        &m.file_name,     &m.event,    &m.event_key,
          &m.task_id,     &m.card_type,  &m.response_code, &m.latitude, &m.longitude,
          &m.precision}) {
        *s = Field(fdp);
    }
    const std::string xml = wedesk::sim::BuildInboundXml(m);
    auto r = wedesk::wecom::ParseInbound(xml);
    if (!r.ok()) {
        // Well-formed always; only the two required fields may be missing.
        const bool no_from = Trim(m.from_user).empty();
        Check(r.error().message == (no_from ? "FromUserName missing" : "MsgType missing"),
              "BuildInboundXml is well-formed", r.error().message + "\nxml: " + xml);
        return;
    }
    EXPECT_FIELD("from_user", AsciiLower(Trim(m.from_user)), r->from_user);
    EXPECT_FIELD("to_user", Trim(m.to_user), r->to_user);
    Check(r->create_time == m.create_time, "create_time", xml);
    EXPECT_FIELD("msg_id", Trim(m.msg_id), r->msg_id);
    EXPECT_FIELD("agent_id", Trim(m.agent_id), r->agent_id);
    if (m.type != MsgType::kUnknown) {
        Check(r->type == m.type, "type", xml);
    }
    switch (m.type) {
        case MsgType::kText:
            EXPECT_FIELD("content", m.content, r->content);
            break;
        case MsgType::kLocation:
            EXPECT_FIELD("location_x", Trim(m.location_x), r->location_x);
            EXPECT_FIELD("label", m.label, r->label);
            break;
        case MsgType::kLink:
            EXPECT_FIELD("title", m.title, r->title);
            EXPECT_FIELD("description", m.description, r->description);
            EXPECT_FIELD("url", Trim(m.url), r->url);
            break;
        case MsgType::kFile:
            EXPECT_FIELD("file_name", m.file_name, r->file_name);
            break;
        case MsgType::kEvent:
            if (m.event_type != EventType::kNone && m.event_type != EventType::kOther) {
                Check(r->event_type == m.event_type, "event_type", xml);
            }
            if (m.event_type == EventType::kTemplateCardEvent) {
                EXPECT_FIELD("event_key", m.event_key, r->event_key);
                EXPECT_FIELD("task_id", Trim(m.task_id), r->task_id);
                EXPECT_FIELD("response_code", Trim(m.response_code), r->response_code);
            }
            if (m.event_type == EventType::kLocation) {
                EXPECT_FIELD("latitude", Trim(m.latitude), r->latitude);
            }
            break;
        default:
            break;
    }
    // Whatever was built, one more parse/build cycle changes nothing.
    CheckParseRoundTrip(xml);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    CheckExtractEncrypt(s);
    CheckParseRoundTrip(s);
    CheckTextReply(s);
    CheckBuiltMessage(data, size);
    return 0;
}
