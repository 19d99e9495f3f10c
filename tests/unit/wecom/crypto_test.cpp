// Edge cases of WecomCrypto beyond the published vectors: key handling, strict Base64,
// padding and length checks on hand-built plaintexts, and encrypt/decrypt round trips.

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "fakes/fake_clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

using namespace wedesk;
using namespace wedesk::wecom;

namespace {

constexpr const char* kToken = "Hd7kQ2xVbN4mP9sL";
constexpr const char* kKey = "Hk3Tq9Vw2Xz5Bn7Mp1Rs4Ld8Fg6Jc0Ya2Ue5Wi9Ob7K";
constexpr const char* kKeyHex = "1e4dd3abd570d97cf9067ecca7546ce0b77c160e8973461ad947b95a2f4e6fb2";
constexpr const char* kCorpId = "ww5f3c9a1e7b2d4068";

WecomCrypto MakeCrypto(const std::string& corp_id = kCorpId) {
    auto c = WecomCrypto::Create(Secret(kToken), Secret(kKey), corp_id);
    REQUIRE(c.ok());
    return std::move(c).value();
}

std::string Unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::string U32be(std::uint32_t n) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        s.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
    return s;
}

std::string Pad32(std::string s) {
    const std::size_t pad = 32 - s.size() % 32;
    s.append(pad, static_cast<char>(pad));
    return s;
}

/// Independent AES-256-CBC (key from the recorded hex, IV = key[0..16)), no padding, then
/// Base64: lets tests build plaintexts the encrypter would never produce.
std::string RawEncryptB64(const std::string& plain) {
    const std::string key = Unhex(kKeyHex);
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    REQUIRE(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, k) == 1);
    REQUIRE(EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1);
    std::string ct(plain.size() + 32, '\0');
    int n1 = 0;
    int n2 = 0;
    auto* o = reinterpret_cast<unsigned char*>(ct.data());
    REQUIRE(EVP_EncryptUpdate(ctx.get(), o, &n1,
                              reinterpret_cast<const unsigned char*>(plain.data()),
                              static_cast<int>(plain.size())) == 1);
    REQUIRE(EVP_EncryptFinal_ex(ctx.get(), o + n1, &n2) == 1);
    ct.resize(static_cast<std::size_t>(n1 + n2));
    std::string b64(ct.size() / 3 * 4 + 8, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(ct.data()),
                                  static_cast<int>(ct.size()));
    b64.resize(static_cast<std::size_t>(n));
    return b64;
}

const std::string kPrefix = "0123456789abcdef";

std::string ErrorOf(const Result<std::string>& r) { return r.ok() ? "ok" : r.error().CodeText(); }

}  // namespace

TEST_CASE("Create rejects keys that are not 43 base64 characters", "[unit]") {
    const Secret token(kToken);
    std::string key = kKey;
    CHECK(WecomCrypto::Create(token, Secret(key.substr(0, 42)), kCorpId).error().code ==
          wedesk::Errc::kAesKey);
    CHECK(WecomCrypto::Create(token, Secret(key + "A"), kCorpId).error().code ==
          wedesk::Errc::kAesKey);
    CHECK(WecomCrypto::Create(token, Secret(""), kCorpId).error().code == wedesk::Errc::kAesKey);
    key[5] = '*';
    CHECK(WecomCrypto::Create(token, Secret(key), kCorpId).error().code == wedesk::Errc::kAesKey);
    key = kKey;
    key[42] = '=';
    CHECK(WecomCrypto::Create(token, Secret(key), kCorpId).error().code == wedesk::Errc::kAesKey);
    CHECK(WecomCrypto::Create(token, Secret(kKey), kCorpId).ok());
}

TEST_CASE("the key and IV follow the WeCom rule (checked with an independent encrypter)",
          "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string msg = "hello";
    const std::string cipher = RawEncryptB64(Pad32(kPrefix + U32be(5) + msg + kCorpId));
    CHECK(crypto.Decrypt(cipher).value() == msg);
    CHECK(crypto.EncryptWithPrefix(msg, kPrefix) == cipher);
}

TEST_CASE("signature: sorted inputs, either hex case, constant-length compare", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string sig = Signature(kToken, "1718006400", "1372623149", "abc");
    CHECK(sig.size() == 40);
    CHECK(sig == Signature("abc", "1372623149", kToken, "1718006400"));  // order-independent
    CHECK(crypto.VerifySignature(sig, "1718006400", "1372623149", "abc"));
    std::string upper = sig;
    for (auto& ch : upper) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    CHECK(crypto.VerifySignature(upper, "1718006400", "1372623149", "abc"));
    CHECK_FALSE(crypto.VerifySignature(sig.substr(0, 39), "1718006400", "1372623149", "abc"));
    CHECK_FALSE(crypto.VerifySignature(sig + "0", "1718006400", "1372623149", "abc"));
    CHECK_FALSE(crypto.VerifySignature("", "1718006400", "1372623149", "abc"));
    CHECK_FALSE(crypto.VerifySignature(sig, "1718006401", "1372623149", "abc"));
    // The signature check comes first: garbage ciphertext with a bad signature is "signature".
    CHECK(crypto.VerifyAndDecrypt("00", "1", "2", "***").error().code == wedesk::Errc::kSignature);
}

TEST_CASE("official error codes", "[unit]") {
    CHECK(OfficialErrorCode("signature") == -40001);
    CHECK(OfficialErrorCode("parse_xml") == -40002);
    CHECK(OfficialErrorCode("aes_key") == -40004);
    CHECK(OfficialErrorCode("receiveid") == -40005);
    CHECK(OfficialErrorCode("decrypt_aes") == -40007);
    CHECK(OfficialErrorCode("illegal_buffer") == -40008);
    CHECK(OfficialErrorCode("base64") == -40010);
    CHECK(OfficialErrorCode("nope") == 0);
}

TEST_CASE("strict base64 for the ciphertext", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string good = crypto.EncryptWithPrefix("hi", kPrefix);
    REQUIRE(crypto.Decrypt(good).ok());

    CHECK(ErrorOf(crypto.Decrypt(good.substr(1))) == "base64");        // length
    CHECK(ErrorOf(crypto.Decrypt(" " + good.substr(1))) == "base64");  // white space
    CHECK(ErrorOf(crypto.Decrypt(good.substr(0, 8) + "\n" + good.substr(9))) == "base64");
    CHECK(ErrorOf(crypto.Decrypt(good.substr(0, 8) + "=" + good.substr(9))) == "base64");
    CHECK(ErrorOf(crypto.Decrypt(good.substr(0, 8) + "-" + good.substr(9))) == "base64");  // url
    CHECK(ErrorOf(crypto.Decrypt(good + "AAAA")) != "ok");
    CHECK(ErrorOf(crypto.Decrypt("YQ==YQ==")) == "base64");
    CHECK(ErrorOf(crypto.Decrypt("====")) == "base64");
    CHECK(ErrorOf(crypto.Decrypt("Y===")) == "base64");
    CHECK(ErrorOf(crypto.Decrypt("YR==")) == "base64");  // unused bits set
    CHECK(ErrorOf(crypto.Decrypt("YWJ=")) == "base64");  // unused bits set
    CHECK(ErrorOf(crypto.Decrypt(std::string("YWJj\0AAA", 8))) == "base64");
}

TEST_CASE("ciphertext must be a non-zero multiple of 32 bytes", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    CHECK(ErrorOf(crypto.Decrypt("")) == "decrypt_aes");
    CHECK(ErrorOf(crypto.Decrypt("YQ==")) == "decrypt_aes");  // 1 byte
    // 16 bytes: one AES block but not a WeCom block.
    CHECK(ErrorOf(crypto.Decrypt("AAAAAAAAAAAAAAAAAAAAAA==")) == "decrypt_aes");
    const std::string full = RawEncryptB64(Pad32(kPrefix + U32be(2) + "hi" + kCorpId));
    CHECK(ErrorOf(crypto.Decrypt(full)) == "ok");
    // 48 bytes of an otherwise valid plaintext (16-byte PKCS#7 style length).
    std::string p = kPrefix + U32be(2) + "hi" + kCorpId;  // 40 bytes
    p.append(8, '\x08');
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(p))) == "decrypt_aes");
}

TEST_CASE("padding: 1..32 accepted, every pad byte checked", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string base = kPrefix + U32be(2) + "hi" + kCorpId;  // 40 bytes → pad 24
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(Pad32(base)))) == "ok");

    std::string zero = Pad32(base);
    zero.back() = '\0';
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(zero))) == "decrypt_aes");
    std::string too_big = Pad32(base);
    too_big.back() = 33;
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(too_big))) == "decrypt_aes");
    std::string mixed = Pad32(base);
    mixed[mixed.size() - 24] = 23;  // first pad byte differs
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(mixed))) == "decrypt_aes");

    // Already aligned (16 + 4 + 26 + 18 = 64): a full extra block of 32 × 0x20.
    const std::string msg_aligned(64 - 16 - 4 - 18, 'q');  // plaintext exactly 64 bytes
    const std::string enc = crypto.EncryptWithPrefix(msg_aligned, kPrefix);
    CHECK(enc == RawEncryptB64(kPrefix + U32be(26) + msg_aligned + kCorpId + std::string(32, ' ')));
    CHECK(crypto.Decrypt(enc).value() == msg_aligned);
}

TEST_CASE("length field and receiveid checks", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    // msg_len = 0xFFFFFFF0 would wrap a 32-bit "20 + n" check (official C++ sample).
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(
              Pad32(kPrefix + U32be(0xFFFFFFF0U) + "hi" + kCorpId)))) == "illegal_buffer");
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(
              Pad32(kPrefix + U32be(0xFFFFFFFFU) + "hi" + kCorpId)))) == "illegal_buffer");
    // One byte too long.
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(Pad32(kPrefix + U32be(21) + "hi" + kCorpId)))) ==
          "illegal_buffer");
    // Plaintext shorter than prefix + length field.
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(Pad32(kPrefix + "abc")))) == "illegal_buffer");
    // msg_len takes everything: empty receiveid.
    CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(Pad32(kPrefix + U32be(20) + "hi" + kCorpId)))) ==
          "receiveid");
    // receiveid must match exactly: no prefix, no trimming, case-sensitive.
    const std::string corp = kCorpId;
    for (const std::string& other :
         {corp + "x", corp.substr(0, corp.size() - 1), corp + " ",
          std::string("WW5F3C9A1E7B2D4068"), std::string("wwffffffffffffffff")}) {
        INFO(other);
        CHECK(ErrorOf(crypto.Decrypt(RawEncryptB64(Pad32(kPrefix + U32be(2) + "hi" + other)))) ==
              "receiveid");
    }
    // msg_len 0 is a valid (empty) message.
    CHECK(crypto.Decrypt(RawEncryptB64(Pad32(kPrefix + U32be(0) + kCorpId))).value().empty());
}

TEST_CASE("encrypt → decrypt round trips with a random prefix", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    OpenSslRandom random;
    const std::string chinese = "我的电脑连不上VPN，请帮我重置域账号密码。谢谢！";
    for (const std::string& msg : {std::string(), std::string("5927386049152738461"), chinese,
                                   std::string(5000, 'x'), std::string("a\0b", 3)}) {
        const std::string enc = crypto.Encrypt(msg, random);
        auto dec = crypto.Decrypt(enc);
        REQUIRE(dec.ok());
        CHECK(*dec == msg);
    }
    // Fresh prefix each time: the same message encrypts differently.
    CHECK(crypto.Encrypt(chinese, random) != crypto.Encrypt(chinese, random));

    // The prefix comes from the Random given (a fake makes it reproducible).
    testing::FakeRandom a(7);
    testing::FakeRandom b(7);
    CHECK(crypto.Encrypt(chinese, a) == crypto.Encrypt(chinese, b));

    // A different corp id cannot read it.
    const WecomCrypto other = MakeCrypto("wwffffffffffffffff");
    CHECK(ErrorOf(other.Decrypt(crypto.Encrypt(chinese, random))) == "receiveid");
}

TEST_CASE("encrypted reply is signed and decrypts to the inner XML", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    OpenSslRandom random;
    const std::string inner = BuildTextReply("zhangsan", kCorpId, 1718006500, "已收到 ]]> ok");
    const std::string reply = crypto.BuildEncryptedReply(inner, "1718006500", "n0nce", random);
    auto encrypt = ExtractEncrypt(reply);
    REQUIRE(encrypt.ok());
    const std::string sig = Signature(kToken, "1718006500", "n0nce", *encrypt);
    CHECK(reply.find("<MsgSignature><![CDATA[" + sig + "]]></MsgSignature>") != std::string::npos);
    CHECK(reply.find("<TimeStamp>1718006500</TimeStamp>") != std::string::npos);
    auto back = crypto.VerifyAndDecrypt(sig, "1718006500", "n0nce", *encrypt);
    REQUIRE(back.ok());
    CHECK(*back == inner);
    CHECK(ParseInbound(*back)->content == "已收到 ]]> ok");
}

TEST_CASE("mutated and truncated input never crashes", "[unit]") {
    const WecomCrypto crypto = MakeCrypto();
    const std::string inner = BuildTextReply("zhangsan", kCorpId, 1718006500, "打印机卡纸");
    const std::string enc = crypto.EncryptWithPrefix(inner, kPrefix);
    const std::string alphabet = "AZaz09+/=*";
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < enc.size(); ++i) {
        for (char c : alphabet) {
            std::string m = enc;
            m[i] = c;
            auto r = crypto.Decrypt(m);
            if (!r.ok()) {
                ++rejected;
            }
        }
        auto t = crypto.Decrypt(enc.substr(0, i));
        CHECK_FALSE(t.ok());
    }
    CHECK(rejected > 0);
    for (std::size_t i = 0; i < inner.size(); ++i) {
        auto r = ParseInbound(inner.substr(0, i));
        (void)r;
        auto e = ExtractEncrypt(inner.substr(0, i));
        (void)e;
    }
}
