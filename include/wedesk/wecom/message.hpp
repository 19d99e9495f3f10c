#pragma once
/// WeCom message XML: the outer envelope of a callback POST, the decrypted inner message as a
/// typed InboundMessage, and the inner XML of passive replies. Parsing uses pugixml with no DTD
/// processing; CDATA and plain text nodes are both accepted.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wedesk/common/result.hpp"

namespace wedesk::wecom {

enum class MsgType { kText, kImage, kVoice, kVideo, kLocation, kLink, kFile, kEvent, kUnknown };

/// Known events; kOther keeps the raw name in InboundMessage::event.
enum class EventType {
    kNone,
    kSubscribe,
    kUnsubscribe,
    kEnterAgent,
    kClick,
    kView,
    kTemplateCardEvent,
    kLocation,
    kOther
};

struct InboundMessage {
    std::string to_user;    ///< ToUserName (our corp id)
    std::string from_user;  ///< FromUserName, lower-cased (WeCom UserIDs are case-insensitive)
    std::int64_t create_time = 0;
    MsgType type = MsgType::kUnknown;
    std::string raw_type;  ///< MsgType as sent
    std::string msg_id;    ///< MsgId as a string (never a number: 64-bit ids)
    std::string agent_id;

    std::string content;                               ///< text
    std::string media_id;                              ///< image, voice, video, file
    std::string pic_url;                               ///< image, link
    std::string format;                                ///< voice
    std::string thumb_media_id;                        ///< video
    std::string location_x, location_y, scale, label;  ///< location
    std::string title, description, url;               ///< link
    std::string file_name;                             ///< file (when present)

    EventType event_type = EventType::kNone;
    std::string event;      ///< Event as sent
    std::string event_key;  ///< EventKey (menu key, clicked card button key)
    std::string task_id;    ///< template_card_event
    std::string card_type;
    std::string response_code;
    /// template_card_event of a card with a selection: question key → chosen option ids.
    std::vector<std::pair<std::string, std::vector<std::string>>> selected;
    std::string latitude, longitude, precision;  ///< LOCATION event

    /// The first option chosen for `question_key` ("" when none).
    std::string SelectedOption(std::string_view question_key) const;

    /// The key under which a delivery is processed once: "msg:" + from_user + ":" + MsgId for
    /// messages (a MsgId from another sender is another message); for events (and
    /// anything else without a MsgId) "ev:" + from_user + ":" + create_time + ":" + event, with
    /// ":" + task_id + ":" + event_key appended when either of those is non-empty, and the
    /// chosen options (two clicks in one second with different choices are two deliveries).
    std::string DedupeKey() const;
};

/// Wire names of the typed values ("text", "template_card_event"), converted here and nowhere
/// else. Parsing compares case-insensitively (old 企业号 docs show CLICK/VIEW); an unknown name
/// gives kUnknown / kOther.
std::string_view MsgTypeName(MsgType t);
std::string_view EventName(EventType t);
MsgType ParseMsgType(std::string_view raw);
EventType ParseEventType(std::string_view raw);

/// The outer POST body: <xml><ToUserName/><Encrypt/><AgentID/></xml>. Returns the Encrypt text.
/// Error "parse_xml" when the XML is malformed or has no Encrypt element.
Result<std::string> ExtractEncrypt(std::string_view body);

/// The decrypted inner XML → InboundMessage. Error "parse_xml" when malformed or when
/// FromUserName or MsgType is missing.
Result<InboundMessage> ParseInbound(std::string_view inner_xml);

/// Inner XML of a passive text reply (To/From swapped: to = member, from = corp id).
std::string BuildTextReply(std::string_view to_user, std::string_view from_corp,
                           std::int64_t create_time, std::string_view content);

/// Inner XML of a passive update_button reply (greys out the clicked template-card button).
std::string BuildUpdateButtonReply(std::string_view to_user, std::string_view from_corp,
                                   std::int64_t create_time, std::string_view replace_name);

/// Text wrapped in CDATA, with any "]]>" split so the section cannot be closed early and any CR
/// written as "&#13;" between sections (a reader would turn a raw CR into LF).
std::string Cdata(std::string_view text);
/// `<name>` + Cdata(value) + `</name>`, and `<name>` + escaped text + `</name>`, appended.
void AppendCdataElement(std::string& out, std::string_view name, std::string_view value);
void AppendPlainElement(std::string& out, std::string_view name, std::string_view value);

}  // namespace wedesk::wecom
