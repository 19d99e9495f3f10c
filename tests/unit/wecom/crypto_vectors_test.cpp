// Runs every case of tests/data/wecom_vectors.json (produced with the official @wecom/crypto
// package) against WecomCrypto and the message parser.

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "wedesk/common/secret.hpp"
#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

using namespace wedesk;
using namespace wedesk::wecom;
using nlohmann::json;
using wedesk::sim::BuildInboundXml;

namespace {

const json& Vectors() {
    static const json v = [] {
        std::ifstream f(std::string(WEDESK_TEST_DATA_DIR) + "/wecom_vectors.json");
        REQUIRE(f.good());
        json j = json::parse(f, nullptr, false);
        REQUIRE_FALSE(j.is_discarded());
        return j;
    }();
    return v;
}

WecomCrypto MakeCrypto() {
    const json& cfg = Vectors().at("config");
    auto c = WecomCrypto::Create(Secret(cfg.at("token").get<std::string>()),
                                 Secret(cfg.at("encoding_aes_key").get<std::string>()),
                                 cfg.at("corpid").get<std::string>());
    REQUIRE(c.ok());
    return std::move(c).value();
}

std::string Str(const json& c, const char* key) { return c.at(key).get<std::string>(); }

std::string Unhex(const std::string& hex) {
    REQUIRE(hex.size() % 2 == 0);
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::string ToUpper(std::string s) {
    for (auto& ch : s) {
        if (ch >= 'a' && ch <= 'z') {
            ch = static_cast<char>(ch - 'a' + 'A');
        }
    }
    return s;
}

/// The parsed value of a vector's expected_fields entry.
std::string Field(const InboundMessage& m, const std::string& name) {
    static const std::map<std::string, std::string InboundMessage::*> kFields{
        {"ToUserName", &InboundMessage::to_user},
        {"FromUserName", &InboundMessage::from_user},
        {"MsgType", &InboundMessage::raw_type},
        {"MsgId", &InboundMessage::msg_id},
        {"AgentID", &InboundMessage::agent_id},
        {"Content", &InboundMessage::content},
        {"MediaId", &InboundMessage::media_id},
        {"PicUrl", &InboundMessage::pic_url},
        {"Format", &InboundMessage::format},
        {"ThumbMediaId", &InboundMessage::thumb_media_id},
        {"Location_X", &InboundMessage::location_x},
        {"Location_Y", &InboundMessage::location_y},
        {"Scale", &InboundMessage::scale},
        {"Label", &InboundMessage::label},
        {"Title", &InboundMessage::title},
        {"Description", &InboundMessage::description},
        {"Url", &InboundMessage::url},
        {"Event", &InboundMessage::event},
        {"EventKey", &InboundMessage::event_key},
        {"TaskId", &InboundMessage::task_id},
        {"CardType", &InboundMessage::card_type},
        {"ResponseCode", &InboundMessage::response_code},
    };
    const auto it = kFields.find(name);
    if (it == kFields.end()) {
        FAIL("vector field without a mapping: " << name);
        return {};
    }
    return m.*(it->second);
}

std::string ErrorCodeFor(const std::string& expected_error) {
    static const std::map<std::string, std::string> kNames{
        {"SIGNATURE", "signature"},           {"PARSE_XML", "parse_xml"},
        {"RECEIVEID", "receiveid"},           {"DECRYPT_AES", "decrypt_aes"},
        {"ILLEGAL_BUFFER", "illegal_buffer"}, {"BASE64", "base64"},
        {"ILLEGAL_AES_KEY", "aes_key"},
    };
    const auto it = kNames.find(expected_error);
    REQUIRE(it != kNames.end());
    return it->second;
}

}  // namespace

TEST_CASE("vectors: the file has every section", "[unit]") {
    const json& v = Vectors();
    CHECK(v.at("url_verification").size() >= 3);
    CHECK(v.at("post_messages").size() >= 16);
    CHECK(v.at("passive_replies").size() >= 3);
    CHECK(v.at("negative").size() >= 18);
}

TEST_CASE("vectors: URL verification (GET)", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string token = Str(Vectors().at("config"), "token");
    for (const json& c : Vectors().at("url_verification")) {
        INFO(Str(c, "id"));
        const std::string ts = Str(c, "timestamp");
        const std::string nonce = Str(c, "nonce");
        const std::string echostr = Str(c, "echostr");
        const std::string sig = Str(c, "msg_signature");

        CHECK(Signature(token, ts, nonce, echostr) == sig);
        CHECK(crypto.VerifySignature(sig, ts, nonce, echostr));
        CHECK(crypto.VerifySignature(ToUpper(sig), ts, nonce, echostr));

        auto r = crypto.VerifyAndDecrypt(sig, ts, nonce, echostr);
        REQUIRE(r.ok());
        CHECK(*r == Str(c, "expected_response_body"));
        CHECK(r->size() == c.at("msg_len").get<std::size_t>());

        // Encryption with the recorded prefix reproduces the ciphertext byte for byte.
        const std::string prefix = Unhex(Str(c, "random_hex"));
        CHECK(prefix == Str(c, "random_ascii"));
        CHECK(crypto.EncryptWithPrefix(*r, prefix) == echostr);
    }
}

TEST_CASE("vectors: message and event callbacks (POST)", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string token = Str(Vectors().at("config"), "token");
    for (const json& c : Vectors().at("post_messages")) {
        INFO(Str(c, "id"));
        const std::string ts = Str(c, "timestamp");
        const std::string nonce = Str(c, "nonce");
        const std::string sig = Str(c, "msg_signature");

        auto encrypt = ExtractEncrypt(Str(c, "body"));
        REQUIRE(encrypt.ok());
        CHECK(*encrypt == Str(c, "encrypt"));
        CHECK(Signature(token, ts, nonce, *encrypt) == sig);
        CHECK(crypto.VerifySignature(sig, ts, nonce, *encrypt));

        auto inner = crypto.VerifyAndDecrypt(sig, ts, nonce, *encrypt);
        REQUIRE(inner.ok());
        CHECK(*inner == Str(c, "expected_inner_xml"));
        CHECK(inner->size() == c.at("msg_len").get<std::size_t>());

        auto msg = ParseInbound(*inner);
        REQUIRE(msg.ok());
        for (const auto& [name, value] : c.at("expected_fields").items()) {
            INFO("field " << name);
            CHECK(Field(*msg, name) == value.get<std::string>());
        }
        // What our simulator sends is exactly what WeCom sent.
        CHECK(BuildInboundXml(*msg) == *inner);

        const std::string prefix = Unhex(Str(c, "random_hex"));
        CHECK(crypto.EncryptWithPrefix(*inner, prefix) == *encrypt);
    }
}

TEST_CASE("vectors: encrypted passive replies", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const json& cfg = Vectors().at("config");
    const std::string token = Str(cfg, "token");
    const std::string corp_id = Str(cfg, "corpid");
    for (const json& c : Vectors().at("passive_replies")) {
        const std::string id = Str(c, "id");
        INFO(id);
        const std::string ts = Str(c, "timestamp");
        const std::string nonce = Str(c, "nonce");
        const std::string inner = Str(c, "reply_inner_xml");
        const std::string prefix = Unhex(Str(c, "random_hex"));

        CHECK(crypto.BuildEncryptedReplyWithPrefix(inner, ts, nonce, prefix) ==
              Str(c, "expected_response_xml"));
        CHECK(crypto.EncryptWithPrefix(inner, prefix) == Str(c, "encrypt"));
        CHECK(Signature(token, ts, nonce, Str(c, "encrypt")) == Str(c, "msg_signature"));

        auto back = crypto.VerifyAndDecrypt(Str(c, "msg_signature"), ts, nonce, Str(c, "encrypt"));
        REQUIRE(back.ok());
        CHECK(*back == inner);

        // Our reply builders produce the recorded inner XML.
        if (id == "reply-update-button") {
            CHECK(BuildUpdateButtonReply("lisi", corp_id, 1718006500, "已接单") == inner);
        } else {
            auto parsed = ParseInbound(inner);
            REQUIRE(parsed.ok());
            CHECK(parsed->to_user == "zhangsan");
            CHECK(BuildTextReply(parsed->to_user, corp_id, parsed->create_time, parsed->content) ==
                  inner);
        }
    }
}

TEST_CASE("vectors: negative cases are rejected with the named error", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    for (const json& c : Vectors().at("negative")) {
        INFO(Str(c, "id"));
        const std::string expected = ErrorCodeFor(Str(c, "expected_error"));
        CHECK(OfficialErrorCode(expected) == c.at("expected_official_code").get<int>());

        std::string data;
        if (c.contains("body")) {
            auto encrypt = ExtractEncrypt(Str(c, "body"));
            if (!encrypt.ok()) {
                CHECK(encrypt.error().CodeText() == expected);
                continue;
            }
            data = *encrypt;
            if (c.contains("encrypt")) {
                CHECK(data == Str(c, "encrypt"));
            }
        } else {
            data = Str(c, "echostr");
        }
        auto r = crypto.VerifyAndDecrypt(Str(c, "msg_signature"), Str(c, "timestamp"),
                                         Str(c, "nonce"), data);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().CodeText() == expected);
    }
}

TEST_CASE("vectors: the key with non-zero unused bits equals its canonical form", "[unit]") {
    const json& cfg = Vectors().at("config");
    std::string canonical = Str(cfg, "encoding_aes_key");
    REQUIRE(canonical.back() == 'K');
    canonical.back() = 'I';  // same 4 used bits, unused bits cleared
    auto c = WecomCrypto::Create(Secret(Str(cfg, "token")), Secret(canonical), Str(cfg, "corpid"));
    REQUIRE(c.ok());
    const json& first = Vectors().at("url_verification").at(0);
    auto r = c->Decrypt(Str(first, "echostr"));
    REQUIRE(r.ok());
    CHECK(*r == Str(first, "expected_response_body"));
}
