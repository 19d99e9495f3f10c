#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/sim/inbound_xml.hpp"

#include <httplib.h>
#include <pugixml.hpp>

namespace wedesk::sim {

namespace {

std::string ChildText(const pugi::xml_node& root, const char* name) {
    return root.child(name).text().as_string();
}

}  // namespace

SimClient::SimClient(std::string base_url, std::string callback_path,
                     const wecom::WecomCrypto& crypto, int agent_id, const Clock& clock,
                     Random& random)
    : callback_path_(std::move(callback_path)),
      crypto_(crypto),
      agent_id_(agent_id),
      clock_(clock),
      random_(random),
      http_(std::make_unique<httplib::Client>(base_url)) {
    http_->set_connection_timeout(5, 0);
    http_->set_read_timeout(30, 0);
    http_->set_keep_alive(true);
    // Headers and body go out in separate writes: without TCP_NODELAY each request waits for
    // the server's delayed ACK (about 40 ms on Linux).
    http_->set_tcp_nodelay(true);
}

SimClient::~SimClient() = default;

std::string SimClient::NextMsgId() {
    // 64-bit decimal ids like WeCom's: time-based high part, random low part, never repeating
    // within this client.
    const auto now = static_cast<std::uint64_t>(clock_.NowSeconds());
    ++msg_counter_;
    return std::to_string(now * 1000000000ULL % 9000000000000000000ULL +
                          random_.Below(1000000) * 1000 + msg_counter_ % 1000);
}

SimClient::Request SimClient::BuildRequest(const std::string& inner_xml) {
    const std::string ts = std::to_string(clock_.NowSeconds());
    const std::string nonce = random_.Digits(10);
    const std::string encrypted = crypto_.Encrypt(inner_xml, random_);
    Request r;
    r.body = "<xml><ToUserName>" + wecom::Cdata(crypto_.corp_id()) + "</ToUserName><Encrypt>" +
             wecom::Cdata(encrypted) + "</Encrypt><AgentID>" +
             wecom::Cdata(std::to_string(agent_id_)) + "</AgentID></xml>";
    r.path_and_query = callback_path_ +
                       "?msg_signature=" + crypto_.SignatureFor(ts, nonce, encrypted) +
                       "&timestamp=" + ts + "&nonce=" + nonce;
    return r;
}

Result<SimReply> SimClient::Post(const Request& request) {
    auto res = http_->Post(request.path_and_query, request.body, "text/xml");
    if (!res) {
        return Fail(Errc::kUnavailable,
                    "no answer from " + callback_path_ + ": " + httplib::to_string(res.error()));
    }
    return DecodeReply(res->status, res->body);
}

Result<SimReply> SimClient::DecodeReply(int status, const std::string& body) const {
    SimReply out;
    out.status = status;
    out.raw_body = body;
    if (status != 200 || body.empty()) {
        return out;
    }
    pugi::xml_document doc;
    if (!doc.load_buffer(body.data(), body.size())) {
        return Fail(Errc::kParseXml, "reply is not XML");
    }
    const auto root = doc.child("xml");
    const std::string encrypt = ChildText(root, "Encrypt");
    auto inner =
        crypto_.VerifyAndDecrypt(ChildText(root, "MsgSignature"), ChildText(root, "TimeStamp"),
                                 ChildText(root, "Nonce"), encrypt);
    if (!inner.ok()) {
        return Fail(inner.error().code, "reply does not verify: " + inner.error().message);
    }
    out.inner_xml = *inner;
    pugi::xml_document reply;
    if (!reply.load_buffer(out.inner_xml.data(), out.inner_xml.size())) {
        return Fail(Errc::kParseXml, "reply inner XML is malformed");
    }
    const auto r = reply.child("xml");
    out.msg_type = ChildText(r, "MsgType");
    out.content = out.msg_type == "update_button"
                      ? std::string(r.child("Button").child("ReplaceName").text().as_string())
                      : ChildText(r, "Content");
    return out;
}

Result<SimReply> SimClient::PostInner(const std::string& inner_xml) {
    return Post(BuildRequest(inner_xml));
}

Result<SimReply> SimClient::Send(wecom::InboundMessage msg) {
    if (msg.to_user.empty()) {
        msg.to_user = crypto_.corp_id();
    }
    if (msg.create_time == 0) {
        msg.create_time = clock_.NowSeconds();
    }
    if (msg.type != wecom::MsgType::kEvent && msg.msg_id.empty()) {
        msg.msg_id = NextMsgId();
    }
    if (msg.agent_id.empty()) {
        msg.agent_id = std::to_string(agent_id_);
    }
    return PostInner(sim::BuildInboundXml(msg));
}

Result<SimReply> SimClient::SendText(const std::string& userid, const std::string& text) {
    wecom::InboundMessage m;
    m.from_user = userid;
    m.type = wecom::MsgType::kText;
    m.raw_type = "text";
    m.content = text;
    return Send(std::move(m));
}

Result<SimReply> SimClient::SendImage(const std::string& userid, const std::string& media_id) {
    wecom::InboundMessage m;
    m.from_user = userid;
    m.type = wecom::MsgType::kImage;
    m.raw_type = "image";
    m.media_id = media_id;
    m.pic_url = "https://wework.qpic.cn/sim/" + media_id;
    return Send(std::move(m));
}

Result<SimReply> SimClient::SendMedia(const std::string& userid, const std::string& type,
                                      const std::string& media_id, const std::string& file_name) {
    if (type == "image") {
        return SendImage(userid, media_id);
    }
    wecom::InboundMessage m;
    m.from_user = userid;
    m.raw_type = type;
    m.type = type == "voice"   ? wecom::MsgType::kVoice
             : type == "video" ? wecom::MsgType::kVideo
                               : wecom::MsgType::kFile;
    m.media_id = media_id;
    if (m.type == wecom::MsgType::kVoice) {
        m.format = "amr";
    } else if (m.type == wecom::MsgType::kVideo) {
        m.thumb_media_id = media_id + "-thumb";
    } else {
        m.raw_type = "file";
        m.file_name = file_name;
    }
    return Send(std::move(m));
}

Result<SimReply> SimClient::SendEvent(const std::string& userid, const std::string& event,
                                      const std::string& event_key) {
    wecom::InboundMessage m;
    m.from_user = userid;
    m.type = wecom::MsgType::kEvent;
    m.raw_type = "event";
    m.event = event;
    m.event_key = event_key;
    return Send(std::move(m));
}

Result<SimReply> SimClient::ClickCard(
    const std::string& userid, const std::string& task_id, const std::string& event_key,
    const std::vector<std::pair<std::string, std::string>>& selected) {
    wecom::InboundMessage m;
    m.from_user = userid;
    m.type = wecom::MsgType::kEvent;
    m.raw_type = "event";
    m.event = "template_card_event";
    m.event_type = wecom::EventType::kTemplateCardEvent;
    m.event_key = event_key;
    m.task_id = task_id;
    m.card_type = "button_interaction";
    m.response_code = random_.Alnum(43);
    for (const auto& [question, option] : selected) {
        m.selected.push_back({question, {option}});
    }
    return Send(std::move(m));
}

Result<std::string> SimClient::VerifyUrl(std::string* expected_echo) {
    const std::string echo = random_.Digits(19);
    if (expected_echo != nullptr) {
        *expected_echo = echo;
    }
    const std::string ts = std::to_string(clock_.NowSeconds());
    const std::string nonce = random_.Digits(10);
    const std::string encrypted = crypto_.Encrypt(echo, random_);
    const std::string path = callback_path_ +
                             "?msg_signature=" + crypto_.SignatureFor(ts, nonce, encrypted) +
                             "&timestamp=" + ts + "&nonce=" + nonce +
                             "&echostr=" + httplib::detail::encode_query_param(encrypted);
    auto res = http_->Get(path);
    if (!res) {
        return Fail(Errc::kUnavailable, "no answer: " + httplib::to_string(res.error()));
    }
    if (res->status != 200) {
        return Fail(Errc::kRefused, "HTTP " + std::to_string(res->status));
    }
    return res->body;
}

}  // namespace wedesk::sim
