// libFuzzer target: wecom::CallbackHandler (Receive / Verify) with the credentials of
// tests/data/wecom_vectors.json and a trivial MessageHandler. The input is split
// deterministically by its first byte (flags):
//   bits 0-1  mode: 0 raw POST   rest = "k=v&k=v…" query line, "\n", body
//                   1 raw GET    rest = query line
//                   2 sealed POST  rest = inner XML; the harness encrypts and signs it with the
//                                  vector credentials, so the parser and handler are reached
//                                  through the real crypto
//                   3 sealed GET   rest = echo plaintext, encrypted and signed likewise
//   bit 2     raw modes: re-sign msg_signature over the actual timestamp/nonce/data (reaches
//             Decrypt with arbitrary ciphertext); sealed modes: corrupt the signature
//   bit 3     sealed POST: pretty-printed envelope with ToUserName/AgentID and CDATA
//   bits 4-5  handler reply: none, text, update_button, none
//   bit 6     the handler fails (→ 500)
//   bit 7     freshness check on (max_clock_skew_s 300, clock at 1718006400), else off

#include <pugixml.hpp>

#include <algorithm>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fakes/fake_clock.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/wecom/callback.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

namespace {

using wedesk::Result;
using wedesk::wecom::CallbackHandler;
using wedesk::wecom::HttpAnswer;
using wedesk::wecom::InboundMessage;
using wedesk::wecom::PassiveReply;

// tests/data/wecom_vectors.json "config".
constexpr std::string_view kToken = "Hd7kQ2xVbN4mP9sL";
constexpr std::string_view kAesKey = "Hk3Tq9Vw2Xz5Bn7Mp1Rs4Ld8Fg6Jc0Ya2Ue5Wi9Ob7K";
constexpr std::string_view kCorpId = "ww5f3c9a1e7b2d4068";
constexpr std::string_view kAgentId = "1000002";
constexpr std::int64_t kNow = 1718006400;
constexpr std::string_view kTimestamp = "1718006400";
constexpr std::string_view kNonce = "1372623149";
// Contains "]]>", markup and non-ASCII so the reply exercises Cdata.
constexpr std::string_view kReplyText = "已收到 ]]> <ok> & done";

[[noreturn]] void Die(const char* what, const std::string& detail) {
    std::fprintf(stderr, "invariant violated: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void Check(bool ok, const char* what, const std::string& detail = {}) {
    if (!ok) {
        Die(what, detail);
    }
}

std::string Describe(const HttpAnswer& a) {
    return "status " + std::to_string(a.status) + " outcome " + a.outcome + " body " + a.body;
}

class FixedReplyHandler final : public wedesk::wecom::MessageHandler {
public:
    PassiveReply::Kind kind = PassiveReply::Kind::kNone;
    bool fail = false;
    int calls = 0;
    std::optional<InboundMessage> last;

    void Submit(InboundMessage message, Done done) override {
        ++calls;
        last = std::move(message);
        if (fail) {
            done(wedesk::Fail(wedesk::Errc::kBusy, "handler failure requested by the fuzzer"));
            return;
        }
        PassiveReply r;
        r.kind = kind;
        r.text = std::string(kReplyText);
        done(std::move(r));
    }
};

const wedesk::wecom::WecomCrypto& Crypto() {
    static const wedesk::wecom::WecomCrypto crypto = [] {
        wedesk::log::Setup("off", "text");  // refusals log a warning each; keep the run quiet
        auto c = wedesk::wecom::WecomCrypto::Create(wedesk::Secret(std::string(kToken)),
                                                    wedesk::Secret(std::string(kAesKey)),
                                                    std::string(kCorpId));
        if (!c.ok()) {
            Die("vector credentials load", c.error().message);
        }
        return std::move(c).value();
    }();
    return crypto;
}

/// "a=1&b=2" → {a:1, b:2}; a key without '=' gets an empty value; later keys win.
std::map<std::string, std::string> ParseQuery(std::string_view q) {
    std::map<std::string, std::string> out;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view part = q.substr(0, amp);
        const auto eq = part.find('=');
        out.insert_or_assign(
            std::string(part.substr(0, eq)),
            eq == std::string_view::npos ? std::string() : std::string(part.substr(eq + 1)));
        if (amp == std::string_view::npos) {
            break;
        }
        q.remove_prefix(amp + 1);
    }
    return out;
}

/// A query value as CallbackHandler reads it (form decoders' ' ' mapped back to '+').
std::string AsRead(const std::map<std::string, std::string>& q, const std::string& key) {
    auto it = q.find(key);
    if (it == q.end()) {
        return {};
    }
    std::string v = it->second;
    for (char& c : v) {
        if (c == ' ') {
            c = '+';
        }
    }
    return v;
}

void CheckAnswerShape(const HttpAnswer& a) {
    switch (a.status) {
        case 200:
            Check(!a.outcome.empty(), "a 200 names its outcome", Describe(a));
            break;
        case 400:
        case 403:
            Check(a.body == "rejected", "4xx bodies are generic", Describe(a));
            break;
        case 413:
            Check(a.body == "too large" && a.outcome == "too_large", "413 body", Describe(a));
            break;
        case 500:
            Check(a.body == "try again" && a.outcome == "error", "500 body", Describe(a));
            break;
        default:
            Die("status is one of 200/400/403/413/500", Describe(a));
    }
}

/// A 200 passive reply must be an envelope we can verify, decrypt and read back.
void CheckReply(const HttpAnswer& a, const FixedReplyHandler& handler) {
    if (handler.kind == PassiveReply::Kind::kNone) {
        Check(a.body.empty(), "no reply → empty body", Describe(a));
        return;
    }
    Check(a.content_type == "text/xml", "reply is XML", Describe(a));
    pugi::xml_document doc;
    Check(static_cast<bool>(doc.load_string(a.body.c_str())), "reply envelope parses", a.body);
    const pugi::xml_node root = doc.child("xml");
    const std::string enc = root.child("Encrypt").text().get();
    const std::string sig = root.child("MsgSignature").text().get();
    const std::string ts = root.child("TimeStamp").text().get();
    const std::string nonce = root.child("Nonce").text().get();
    Check(ts == kTimestamp, "reply TimeStamp is the clock's", a.body);
    auto inner = Crypto().VerifyAndDecrypt(sig, ts, nonce, enc);
    if (!inner.ok()) {
        Die("reply verifies and decrypts", inner.error().message);
    }
    auto msg = wedesk::wecom::ParseInbound(*inner);
    if (!msg.ok()) {
        Die("reply inner XML parses", msg.error().message + "\n" + *inner);
    }
    Check(msg->from_user == kCorpId, "reply comes from the corp", *inner);
    Check(msg->to_user == handler.last->from_user, "reply goes to the sender", *inner);
    if (handler.kind == PassiveReply::Kind::kText) {
        Check(msg->raw_type == "text" && msg->content == kReplyText, "reply text", *inner);
    } else {
        pugi::xml_document reply;
        Check(static_cast<bool>(reply.load_string(inner->c_str())), "reply parses", *inner);
        std::string name;
        for (const pugi::xml_node& n :
             reply.child("xml").child("Button").child("ReplaceName").children()) {
            name += n.value();
        }
        Check(msg->raw_type == "update_button" && name == kReplyText, "update_button reply",
              *inner);
    }
}

void RunRaw(bool post, bool resign, std::string_view rest, const CallbackHandler& callback,
            FixedReplyHandler& handler) {
    const auto nl = post ? rest.find('\n') : std::string_view::npos;
    auto query = ParseQuery(rest.substr(0, nl));
    const std::string_view body =
        nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (resign) {
        std::string data;
        if (post) {
            auto e = wedesk::wecom::ExtractEncrypt(body);
            data = e.ok() ? *e : std::string();
        } else {
            data = AsRead(query, "echostr");
        }
        query["msg_signature"] =
            Crypto().SignatureFor(AsRead(query, "timestamp"), AsRead(query, "nonce"), data);
    }
    const HttpAnswer a = post ? callback.Receive(query, body) : callback.Verify(query);
    CheckAnswerShape(a);
    if (resign) {
        Check(a.outcome != "bad_signature", "a correctly signed request passes", Describe(a));
    }
    if (a.status == 200 && post) {
        Check(handler.calls == 1, "a 200 POST was handled once", Describe(a));
        CheckReply(a, handler);
    } else if (a.status != 500) {
        Check(handler.calls == 0, "refused requests never reach the handler", Describe(a));
    }
}

void RunSealedPost(std::uint8_t flags, std::string_view inner, const CallbackHandler& callback,
                   FixedReplyHandler& handler) {
    static constexpr std::string_view kPrefix = "fuzz-prefix-16by";
    const wedesk::wecom::WecomCrypto& crypto = Crypto();
    const std::string enc = crypto.EncryptWithPrefix(inner, kPrefix);
    std::string sig = crypto.SignatureFor(kTimestamp, kNonce, enc);
    const bool tamper = (flags & 0x04) != 0;
    if (tamper) {
        sig[0] = sig[0] == '0' ? '1' : '0';
    }
    const std::string body =
        (flags & 0x08) != 0
            ? "<xml>\n  <ToUserName><![CDATA[" + std::string(kCorpId) +
                  "]]></ToUserName>\n  <Encrypt><![CDATA[" + enc +
                  "]]></Encrypt>\n  <AgentID><![CDATA[1000002]]></AgentID>\n</xml>\n"
            : "<xml><Encrypt>" + enc + "</Encrypt></xml>";
    const std::map<std::string, std::string> query{{"msg_signature", sig},
                                                   {"timestamp", std::string(kTimestamp)},
                                                   {"nonce", std::string(kNonce)}};
    const HttpAnswer a = callback.Receive(query, body);
    CheckAnswerShape(a);
    if (body.size() > CallbackHandler::Options{}.max_body_bytes) {
        Check(a.outcome == "too_large", "oversized body refused", Describe(a));
        return;
    }
    if (tamper) {
        Check(a.outcome == "bad_signature", "a corrupted signature is refused", Describe(a));
        Check(handler.calls == 0, "refused requests never reach the handler", Describe(a));
        return;
    }
    auto expected = wedesk::wecom::ParseInbound(inner);
    if (!expected.ok()) {
        Check(a.status == 400 && a.outcome == "bad_xml", "bad inner XML → 400", Describe(a));
        Check(handler.calls == 0, "bad XML never reaches the handler", Describe(a));
        return;
    }
    // The envelope inside the signature must be addressed to us, by a member, for our app.
    if (expected->to_user != kCorpId) {
        Check(a.status == 403 && a.outcome == "wrong_receiver", "ToUserName ≠ corp → 403",
              Describe(a));
        Check(handler.calls == 0, "a misaddressed message never reaches the handler", Describe(a));
        return;
    }
    if (expected->from_user.empty() || expected->from_user == kCorpId) {
        Check(a.status == 403 && a.outcome == "wrong_sender", "FromUserName not a member → 403",
              Describe(a));
        Check(handler.calls == 0, "a message from the corp never reaches the handler", Describe(a));
        return;
    }
    if (!expected->agent_id.empty() && expected->agent_id != kAgentId) {
        Check(a.status == 403 && a.outcome == "wrong_agent", "another AgentID → 403", Describe(a));
        Check(handler.calls == 0, "another app's message never reaches the handler", Describe(a));
        return;
    }
    Check(handler.calls == 1, "a valid message is handled once", Describe(a));
    Check(handler.last->DedupeKey() == expected->DedupeKey() &&
              handler.last->from_user == expected->from_user &&
              handler.last->content == expected->content,
          "the handler sees the parsed message", Describe(a));
    if (handler.fail) {
        Check(a.status == 500, "handler failure → 500", Describe(a));
        return;
    }
    Check(a.status == 200 && a.outcome == "ok", "a valid message → 200 ok", Describe(a));
    CheckReply(a, handler);
}

void RunSealedGet(std::uint8_t flags, std::string_view plain, const CallbackHandler& callback) {
    static constexpr std::string_view kPrefix = "echo-prefix-16by";
    const wedesk::wecom::WecomCrypto& crypto = Crypto();
    const std::string echostr = crypto.EncryptWithPrefix(plain, kPrefix);
    std::string sig = crypto.SignatureFor(kTimestamp, kNonce, echostr);
    const bool tamper = (flags & 0x04) != 0;
    if (tamper) {
        sig[0] = sig[0] == '0' ? '1' : '0';
    }
    const HttpAnswer a = callback.Verify({{"msg_signature", sig},
                                          {"timestamp", std::string(kTimestamp)},
                                          {"nonce", std::string(kNonce)},
                                          {"echostr", echostr}});
    CheckAnswerShape(a);
    if (tamper) {
        Check(a.outcome == "bad_signature", "a corrupted signature is refused", Describe(a));
        return;
    }
    // Only an echo-shaped plaintext is ever answered (the GET must not decrypt arbitrary signed
    // text, e.g. a captured passive reply): letters and digits, 1..kMaxEchoBytes.
    const bool echo_shaped =
        !plain.empty() && plain.size() <= CallbackHandler::kMaxEchoBytes &&
        std::all_of(plain.begin(), plain.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
    if (!echo_shaped) {
        Check(a.status == 403 && a.outcome == "bad_echostr" && a.body != plain,
              "a signed plaintext that is not an echo string is refused, never echoed",
              Describe(a));
        return;
    }
    Check(a.status == 200 && a.outcome == "verified", "verification succeeds", Describe(a));
    Check(a.body == plain, "verification answers exactly the plaintext", Describe(a));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::uint8_t flags = data[0];
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

    wedesk::testing::FakeClock clock(kNow);
    wedesk::testing::FakeRandom random(flags);
    FixedReplyHandler handler;
    handler.kind = static_cast<PassiveReply::Kind>(((flags >> 4) & 0x03) % 3);
    handler.fail = (flags & 0x40) != 0;
    CallbackHandler::Options options;
    options.max_clock_skew_s = (flags & 0x80) != 0 ? 300 : 0;
    options.agent_id = std::string(kAgentId);
    const CallbackHandler callback(Crypto(), handler, clock, random, options);

    switch (flags & 0x03) {
        case 0:
            RunRaw(true, (flags & 0x04) != 0, rest, callback, handler);
            break;
        case 1:
            RunRaw(false, (flags & 0x04) != 0, rest, callback, handler);
            break;
        case 2:
            RunSealedPost(flags, rest, callback, handler);
            break;
        default:
            RunSealedGet(flags, rest, callback);
            break;
    }
    return 0;
}
