#include "wedesk/wecom/message.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "wedesk/common/enum_names.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::wecom {

namespace {

// pugixml never expands custom entities or loads external ones: a DOCTYPE is skipped and
// "&name;" stays literal text, so there is no XXE or entity expansion to switch off. The
// predefined entities and character references in plain text are decoded, CDATA is verbatim.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;

constexpr NameTable<MsgType, 8> kMsgTypeNames{{
    {MsgType::kText, "text"},
    {MsgType::kImage, "image"},
    {MsgType::kVoice, "voice"},
    {MsgType::kVideo, "video"},
    {MsgType::kLocation, "location"},
    {MsgType::kLink, "link"},
    {MsgType::kFile, "file"},
    {MsgType::kEvent, "event"},
}};

constexpr NameTable<EventType, 7> kEventNames{{
    {EventType::kSubscribe, "subscribe"},
    {EventType::kUnsubscribe, "unsubscribe"},
    {EventType::kEnterAgent, "enter_agent"},
    {EventType::kClick, "click"},
    {EventType::kView, "view"},
    {EventType::kTemplateCardEvent, "template_card_event"},
    {EventType::kLocation, "LOCATION"},
}};

/// All text of an element: plain text (entities decoded) and CDATA sections concatenated, so a
/// CDATA split around "]]>" reads back as one string.
constexpr std::size_t kMaxSelectedItems = 3;
constexpr std::size_t kMaxSelectedOptions = 20;

std::string TextOf(const pugi::xml_node& parent, const char* name) {
    std::string out;
    const pugi::xml_node el = parent.child(name);
    for (const pugi::xml_node& n : el.children()) {
        if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
            out.append(n.value());
        }
    }
    return out;
}

std::string TrimmedTextOf(const pugi::xml_node& parent, const char* name) {
    return text::Trim(TextOf(parent, name));
}

/// Escapes text for a plain (non-CDATA) element.
std::string Escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out.append("&amp;");
                break;
            case '<':
                out.append("&lt;");
                break;
            case '>':
                out.append("&gt;");
                break;
            case '\r':  // a literal CR would be read back as LF
                out.append("&#13;");
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view xml) {
    const pugi::xml_parse_result r =
        doc.load_buffer(xml.data(), xml.size(), kParseOptions, pugi::encoding_utf8);
    if (!r) {
        return Fail(Errc::kParseXml, std::string("malformed XML: ") + r.description());
    }
    pugi::xml_node root = doc.child("xml");
    if (!root) {
        return Fail(Errc::kParseXml, "no <xml> root element");
    }
    return root;
}

}  // namespace

std::string_view MsgTypeName(MsgType t) {
    return NameIn(kMsgTypeNames, t).value_or(std::string_view());
}

std::string_view EventName(EventType t) {
    return NameIn(kEventNames, t).value_or(std::string_view());
}

// Current docs use lower-case names, old 企业号 docs show CLICK/VIEW: compare case-insensitively.
MsgType ParseMsgType(std::string_view raw) {
    return ValueInIgnoringCase(kMsgTypeNames, raw).value_or(MsgType::kUnknown);
}

EventType ParseEventType(std::string_view raw) {
    return ValueInIgnoringCase(kEventNames, raw).value_or(EventType::kOther);
}

void AppendCdataElement(std::string& out, std::string_view name, std::string_view value) {
    out.append("<").append(name).append(">");
    out.append(Cdata(value));
    out.append("</").append(name).append(">");
}

void AppendPlainElement(std::string& out, std::string_view name, std::string_view value) {
    out.append("<").append(name).append(">");
    out.append(Escape(value));
    out.append("</").append(name).append(">");
}

std::string InboundMessage::DedupeKey() const {
    if (!msg_id.empty()) {
        // The sender too: a MsgId is only unique per sender as far as we can check, and the
        // same MsgId from someone else must not be answered with another person's reply.
        return "msg:" + from_user + ":" + msg_id;
    }
    std::string key = "ev:" + from_user + ":" + std::to_string(create_time) + ":" + event;
    if (!task_id.empty() || !event_key.empty()) {
        key.append(":").append(task_id).append(":").append(event_key);
    }
    for (const auto& [question, options] : selected) {
        key.append(":").append(question);
        for (const auto& o : options) {
            key.append("=").append(o);
        }
    }
    return key;
}

std::string InboundMessage::SelectedOption(std::string_view question_key) const {
    for (const auto& [question, options] : selected) {
        if (question == question_key && !options.empty()) {
            return options.front();
        }
    }
    return {};
}

Result<std::string> ExtractEncrypt(std::string_view body) {
    pugi::xml_document doc;
    auto root = LoadRoot(doc, body);
    if (!root) {
        return root.error();
    }
    // Trim only white space (pretty-printed bodies); Base64 itself has none.
    std::string encrypt = TrimmedTextOf(*root, "Encrypt");
    if (encrypt.empty()) {
        return Fail(Errc::kParseXml, "no Encrypt element");
    }
    return encrypt;
}

Result<InboundMessage> ParseInbound(std::string_view inner_xml) {
    pugi::xml_document doc;
    auto root_result = LoadRoot(doc, inner_xml);
    if (!root_result) {
        return root_result.error();
    }
    const pugi::xml_node root = *root_result;

    InboundMessage m;
    // WeCom UserIDs are case-insensitive and responses lower-case them (§9 item 15).
    m.from_user = text::AsciiLower(TrimmedTextOf(root, "FromUserName"));
    m.raw_type = TrimmedTextOf(root, "MsgType");
    if (m.from_user.empty()) {
        return Fail(Errc::kParseXml, "FromUserName missing");
    }
    if (m.raw_type.empty()) {
        return Fail(Errc::kParseXml, "MsgType missing");
    }
    m.type = ParseMsgType(m.raw_type);
    m.to_user = TrimmedTextOf(root, "ToUserName");

    const std::string create_time = TrimmedTextOf(root, "CreateTime");
    if (!create_time.empty()) {
        const char* end = create_time.data() + create_time.size();
        const auto [ptr, ec] = std::from_chars(create_time.data(), end, m.create_time);
        if (ec != std::errc() || ptr != end) {
            return Fail(Errc::kParseXml, "CreateTime is not an integer");
        }
    }
    // Kept as text: 64-bit ids exceed 2^53 and must not pass through a double (§5.4).
    m.msg_id = TrimmedTextOf(root, "MsgId");
    m.agent_id = TrimmedTextOf(root, "AgentID");

    // Unknown elements are ignored; fields of other types are simply read as empty.
    m.content = TextOf(root, "Content");
    m.media_id = TrimmedTextOf(root, "MediaId");
    m.pic_url = TrimmedTextOf(root, "PicUrl");
    m.format = TrimmedTextOf(root, "Format");
    m.thumb_media_id = TrimmedTextOf(root, "ThumbMediaId");
    m.location_x = TrimmedTextOf(root, "Location_X");
    m.location_y = TrimmedTextOf(root, "Location_Y");
    m.scale = TrimmedTextOf(root, "Scale");
    m.label = TextOf(root, "Label");
    m.title = TextOf(root, "Title");
    m.description = TextOf(root, "Description");
    m.url = TrimmedTextOf(root, "Url");
    m.file_name = TextOf(root, "FileName");

    if (m.type == MsgType::kEvent) {
        m.event = TrimmedTextOf(root, "Event");
        m.event_type = ParseEventType(m.event);
        m.event_key = TextOf(root, "EventKey");
        m.task_id = TrimmedTextOf(root, "TaskId");
        m.card_type = TrimmedTextOf(root, "CardType");
        m.response_code = TrimmedTextOf(root, "ResponseCode");
        // <SelectedItems><SelectedItem><QuestionKey/><OptionIds><OptionId/>…
        // At most 3 questions of at most 20 options exist; more is not WeCom and is ignored.
        for (const auto& item : root.child("SelectedItems").children("SelectedItem")) {
            if (m.selected.size() >= kMaxSelectedItems) {
                break;
            }
            std::vector<std::string> ids;
            for (const auto& id : item.child("OptionIds").children("OptionId")) {
                if (ids.size() >= kMaxSelectedOptions) {
                    break;
                }
                ids.push_back(text::Trim(id.text().get()));
            }
            m.selected.emplace_back(TrimmedTextOf(item, "QuestionKey"), std::move(ids));
        }
        m.latitude = TrimmedTextOf(root, "Latitude");
        m.longitude = TrimmedTextOf(root, "Longitude");
        m.precision = TrimmedTextOf(root, "Precision");
    }
    return m;
}

std::string Cdata(std::string_view text) {
    static constexpr std::string_view kEnd = "]]>";
    std::string out = "<![CDATA[";
    std::size_t pos = 0;
    for (;;) {
        const std::size_t hit = std::min(text.find(kEnd, pos), text.find('\r', pos));
        if (hit == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, hit - pos));
        if (text[hit] == '\r') {
            // A reader turns CR inside CDATA into LF (XML end-of-line handling): write it as a
            // character reference between two sections instead.
            out.append("]]>&#13;<![CDATA[");
            pos = hit + 1;
        } else {
            // "]]>" becomes "]]" + close + open + ">": the reader concatenates both sections.
            out.append("]]]]><![CDATA[>");
            pos = hit + kEnd.size();
        }
    }
    out.append("]]>");
    return out;
}

std::string BuildTextReply(std::string_view to_user, std::string_view from_corp,
                           std::int64_t create_time, std::string_view content) {
    std::string out = "<xml>";
    AppendCdataElement(out, "ToUserName", to_user);
    AppendCdataElement(out, "FromUserName", from_corp);
    AppendPlainElement(out, "CreateTime", std::to_string(create_time));
    AppendCdataElement(out, "MsgType", "text");
    AppendCdataElement(out, "Content", content);
    out.append("</xml>");
    return out;
}

std::string BuildUpdateButtonReply(std::string_view to_user, std::string_view from_corp,
                                   std::int64_t create_time, std::string_view replace_name) {
    std::string out = "<xml>";
    AppendCdataElement(out, "ToUserName", to_user);
    AppendCdataElement(out, "FromUserName", from_corp);
    AppendPlainElement(out, "CreateTime", std::to_string(create_time));
    AppendCdataElement(out, "MsgType", "update_button");
    out.append("<Button>");
    AppendCdataElement(out, "ReplaceName", replace_name);
    out.append("</Button></xml>");
    return out;
}

}  // namespace wedesk::wecom
