#include "wedesk/sim/inbound_xml.hpp"

namespace wedesk::sim {

using wecom::AppendCdataElement;
using wecom::AppendPlainElement;
using wecom::EventType;
using wecom::InboundMessage;
using wecom::MsgType;

std::string BuildInboundXml(const InboundMessage& msg) {
    // The raw names are kept when they agree with the typed value (e.g. "CLICK"), so a parsed
    // message is rebuilt as it came; otherwise the canonical name is used.
    std::string type_name(wecom::MsgTypeName(msg.type));
    if (msg.type == MsgType::kUnknown ||
        (!msg.raw_type.empty() && wecom::ParseMsgType(msg.raw_type) == msg.type)) {
        type_name = msg.raw_type;
    }

    std::string out = "<xml>";
    AppendCdataElement(out, "ToUserName", msg.to_user);
    AppendCdataElement(out, "FromUserName", msg.from_user);
    AppendPlainElement(out, "CreateTime", std::to_string(msg.create_time));
    AppendCdataElement(out, "MsgType", type_name);

    // Element order as WeCom sends them (developer docs 90239/90240).
    switch (msg.type) {
        case MsgType::kText:
            AppendCdataElement(out, "Content", msg.content);
            break;
        case MsgType::kImage:
            AppendCdataElement(out, "PicUrl", msg.pic_url);
            AppendCdataElement(out, "MediaId", msg.media_id);
            break;
        case MsgType::kVoice:
            AppendCdataElement(out, "MediaId", msg.media_id);
            AppendCdataElement(out, "Format", msg.format);
            break;
        case MsgType::kVideo:
            AppendCdataElement(out, "MediaId", msg.media_id);
            AppendCdataElement(out, "ThumbMediaId", msg.thumb_media_id);
            break;
        case MsgType::kLocation:
            AppendPlainElement(out, "Location_X", msg.location_x);
            AppendPlainElement(out, "Location_Y", msg.location_y);
            AppendPlainElement(out, "Scale", msg.scale);
            AppendCdataElement(out, "Label", msg.label);
            break;
        case MsgType::kLink:
            AppendCdataElement(out, "Title", msg.title);
            AppendCdataElement(out, "Description", msg.description);
            AppendCdataElement(out, "Url", msg.url);
            AppendCdataElement(out, "PicUrl", msg.pic_url);
            break;
        case MsgType::kFile:
            AppendCdataElement(out, "MediaId", msg.media_id);
            if (!msg.file_name.empty()) {
                AppendCdataElement(out, "FileName", msg.file_name);
            }
            break;
        case MsgType::kEvent: {
            std::string event_name(wecom::EventName(msg.event_type));
            if (msg.event_type == EventType::kOther || msg.event_type == EventType::kNone ||
                (!msg.event.empty() && wecom::ParseEventType(msg.event) == msg.event_type)) {
                event_name = msg.event;
            }
            AppendCdataElement(out, "Event", event_name);
            switch (msg.event_type) {
                case EventType::kSubscribe:
                case EventType::kUnsubscribe:
                    // No EventKey in these (docs 90240).
                    if (!msg.event_key.empty()) {
                        AppendCdataElement(out, "EventKey", msg.event_key);
                    }
                    break;
                case EventType::kLocation:
                    AppendPlainElement(out, "Latitude", msg.latitude);
                    AppendPlainElement(out, "Longitude", msg.longitude);
                    AppendPlainElement(out, "Precision", msg.precision);
                    break;
                case EventType::kTemplateCardEvent:
                    AppendCdataElement(out, "EventKey", msg.event_key);
                    AppendCdataElement(out, "TaskId", msg.task_id);
                    AppendCdataElement(out, "CardType", msg.card_type);
                    AppendCdataElement(out, "ResponseCode", msg.response_code);
                    if (!msg.selected.empty()) {
                        out += "<SelectedItems>";
                        for (const auto& [question, ids] : msg.selected) {
                            out += "<SelectedItem>";
                            AppendCdataElement(out, "QuestionKey", question);
                            out += "<OptionIds>";
                            for (const auto& id : ids) {
                                AppendCdataElement(out, "OptionId", id);
                            }
                            out += "</OptionIds></SelectedItem>";
                        }
                        out += "</SelectedItems>";
                    }
                    break;
                default:
                    AppendCdataElement(out, "EventKey", msg.event_key);
                    if (!msg.task_id.empty()) {
                        AppendCdataElement(out, "TaskId", msg.task_id);
                        AppendCdataElement(out, "CardType", msg.card_type);
                        AppendCdataElement(out, "ResponseCode", msg.response_code);
                    }
                    break;
            }
            break;
        }
        case MsgType::kUnknown:
            if (!msg.content.empty()) {
                AppendCdataElement(out, "Content", msg.content);
            }
            break;
    }
    if (!msg.msg_id.empty()) {
        AppendPlainElement(out, "MsgId", msg.msg_id);
    }
    if (!msg.agent_id.empty()) {
        AppendPlainElement(out, "AgentID", msg.agent_id);
    }
    if (msg.type == MsgType::kLocation) {
        AppendCdataElement(out, "AppType", "wxwork");
    }
    out.append("</xml>");
    return out;
}

}  // namespace wedesk::sim
