#include "wedesk/wecom/callback.hpp"

#include <algorithm>
#include <charconv>
#include <future>

#include "wedesk/common/log.hpp"

namespace wedesk::wecom {

namespace {

std::string Param(const std::map<std::string, std::string>& q, const std::string& key) {
    auto it = q.find(key);
    if (it == q.end()) {
        return {};
    }
    std::string v = it->second;
    // Form decoders turn a literal '+' into ' '; Base64 and hex never contain spaces, so
    // mapping back is a harmless safety net (WECOM_PROTOCOL.md §4).
    for (char& c : v) {
        if (c == ' ') {
            c = '+';
        }
    }
    return v;
}

// Maps a crypto/parse error to (status, outcome).
std::pair<int, std::string> Classify(const Error& e) {
    if (e.code == Errc::kSignature) {
        return {403, "bad_signature"};
    }
    if (e.code == Errc::kReceiveid) {
        return {403, "wrong_receiver"};
    }
    if (e.code == Errc::kParseXml) {
        return {400, "bad_xml"};
    }
    return {400, "bad_ciphertext"};  // base64, decrypt_aes, illegal_buffer
}

}  // namespace

CallbackHandler::CallbackHandler(const WecomCrypto& crypto, MessageHandler& handler,
                                 const Clock& clock, Random& random, Options options)
    : crypto_(crypto), handler_(handler), clock_(clock), random_(random), options_(options) {}

HttpAnswer CallbackHandler::Refuse(int status, std::string outcome,
                                   const std::string& detail) const {
    log::Get("callback")->warn("refused callback: {} ({})", outcome, detail);
    HttpAnswer a;
    a.status = status;
    a.body = status == 413 ? "too large" : (status >= 500 ? "try again" : "rejected");
    a.outcome = std::move(outcome);
    return a;
}

bool CallbackHandler::Fresh(std::string_view timestamp) const {
    if (options_.max_clock_skew_s <= 0) {
        return true;
    }
    std::int64_t ts = 0;
    const auto* end = timestamp.data() + timestamp.size();
    auto [p, ec] = std::from_chars(timestamp.data(), end, ts);
    if (ec != std::errc{} || p != end) {
        return false;
    }
    const std::int64_t now = clock_.NowSeconds();
    const std::int64_t skew = now > ts ? now - ts : ts - now;
    return skew <= options_.max_clock_skew_s;
}

HttpAnswer CallbackHandler::Verify(const std::map<std::string, std::string>& query) const {
    const auto sig = Param(query, "msg_signature");
    const auto ts = Param(query, "timestamp");
    const auto nonce = Param(query, "nonce");
    const auto echostr = Param(query, "echostr");
    if (sig.empty() || ts.empty() || nonce.empty() || echostr.empty()) {
        return Refuse(400, "missing_params", "verification without its four parameters");
    }
    if (!Fresh(ts)) {
        return Refuse(403, "stale", "timestamp outside max_clock_skew_s");
    }
    auto plain = crypto_.VerifyAndDecrypt(sig, ts, nonce, echostr);
    if (!plain.ok()) {
        auto [status, outcome] = Classify(plain.error());
        return Refuse(status, outcome, plain.error().message);
    }
    const std::string& echo = plain.value();
    const bool plausible =
        !echo.empty() && echo.size() <= kMaxEchoBytes &&
        std::all_of(echo.begin(), echo.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
    if (!plausible) {
        return Refuse(403, "bad_echostr",
                      "the signed plaintext is not an echo string (" + std::to_string(echo.size()) +
                          " bytes)");
    }
    log::Get("callback")->info("URL verification answered");
    HttpAnswer a;
    a.body = std::move(plain.value());  // exactly the plaintext: no quotes, BOM or newline
    a.outcome = "verified";
    return a;
}

CallbackHandler::Opened CallbackHandler::Open(const std::map<std::string, std::string>& query,
                                              std::string_view body) const {
    Opened o;
    if (body.size() > options_.max_body_bytes) {
        o.refusal = Refuse(413, "too_large", std::to_string(body.size()) + " bytes");
        return o;
    }
    const auto sig = Param(query, "msg_signature");
    const auto ts = Param(query, "timestamp");
    const auto nonce = Param(query, "nonce");
    if (sig.empty() || ts.empty() || nonce.empty()) {
        o.refusal = Refuse(400, "missing_params", "message without signature parameters");
        return o;
    }
    if (!Fresh(ts)) {
        o.refusal = Refuse(403, "stale", "timestamp outside max_clock_skew_s");
        return o;
    }
    auto encrypted = ExtractEncrypt(body);
    if (!encrypted.ok()) {
        o.refusal = Refuse(400, "bad_xml", encrypted.error().message);
        return o;
    }
    auto inner = crypto_.VerifyAndDecrypt(sig, ts, nonce, *encrypted);
    if (!inner.ok()) {
        auto [status, outcome] = Classify(inner.error());
        o.refusal = Refuse(status, outcome, inner.error().message);
        return o;
    }
    auto message = ParseInbound(*inner);
    if (!message.ok()) {
        o.refusal = Refuse(400, "bad_xml", message.error().message);
        return o;
    }
    // The envelope inside the signature: a ciphertext made by us for someone else (a passive
    // reply, addressed to a member and sent by the corp) is not a message to us.
    if (message->to_user != crypto_.corp_id()) {
        o.refusal = Refuse(403, "wrong_receiver", "ToUserName is not our corp id");
        return o;
    }
    if (message->from_user.empty() || message->from_user == crypto_.corp_id()) {
        o.refusal = Refuse(403, "wrong_sender", "FromUserName is not a member");
        return o;
    }
    if (!options_.agent_id.empty() && !message->agent_id.empty() &&
        message->agent_id != options_.agent_id) {
        o.refusal = Refuse(403, "wrong_agent", "AgentID " + message->agent_id + " is not ours");
        return o;
    }
    o.message = std::move(message.value());
    return o;
}

HttpAnswer CallbackHandler::Answer(const std::string& to_user,
                                   const Result<PassiveReply>& reply) const {
    if (!reply.ok()) {
        return Refuse(500, "error", reply.error().message);
    }
    HttpAnswer a;
    a.outcome = "ok";
    if (reply->kind == PassiveReply::Kind::kNone) {
        return a;  // empty 200: nothing to say
    }
    const auto now = clock_.NowSeconds();
    const std::string inner_xml =
        reply->kind == PassiveReply::Kind::kText
            ? BuildTextReply(to_user, crypto_.corp_id(), now, reply->text)
            : BuildUpdateButtonReply(to_user, crypto_.corp_id(), now, reply->text);
    // Our own TimeStamp (seconds) and a fresh nonce for the reply signature.
    a.content_type = "text/xml";
    a.body =
        crypto_.BuildEncryptedReply(inner_xml, std::to_string(now), random_.Digits(10), random_);
    return a;
}

void CallbackHandler::ReceiveAsync(const std::map<std::string, std::string>& query,
                                   std::string_view body, std::function<void(HttpAnswer)> done,
                                   Post post) const {
    Opened o = Open(query, body);
    if (!o.message) {
        done(std::move(o.refusal));
        return;
    }
    std::string to_user = o.message->from_user;
    handler_.Submit(
        std::move(*o.message), [this, to_user = std::move(to_user), done = std::move(done),
                                post = std::move(post)](Result<PassiveReply> reply) {
            post([this, to_user, done, reply = std::move(reply)] { done(Answer(to_user, reply)); });
        });
}

HttpAnswer CallbackHandler::Receive(const std::map<std::string, std::string>& query,
                                    std::string_view body) const {
    Opened o = Open(query, body);
    if (!o.message) {
        return o.refusal;
    }
    return Answer(o.message->from_user, handler_.Handle(*o.message));
}

Result<PassiveReply> MessageHandler::Handle(const InboundMessage& message) {
    std::promise<Result<PassiveReply>> p;
    auto f = p.get_future();
    Submit(message, [&p](Result<PassiveReply> r) { p.set_value(std::move(r)); });
    return f.get();
}

}  // namespace wedesk::wecom
