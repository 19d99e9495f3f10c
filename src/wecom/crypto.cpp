#include "wedesk/wecom/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "wedesk/common/text.hpp"
#include "wedesk/wecom/message.hpp"

namespace wedesk::wecom {

namespace {

constexpr std::size_t kKeyChars = 43;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kPrefixBytes = 16;
constexpr std::size_t kLenBytes = 4;
// WeCom pads to 32 bytes although AES blocks are 16 (§3.3).
constexpr std::size_t kPadBlock = 32;

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

bool IsB64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

int B64Value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : 63;
}

/// Runs EVP_DecodeBlock on text that has already been validated: a multiple of 4 characters
/// from the alphabet with at most two trailing '='. EVP_DecodeBlock itself is lenient (it maps
/// '=' to zero bits anywhere and trims white space), so it must never see unvalidated input.
bool DecodeValidated(std::string_view b64, std::size_t padding, std::string& out) {
    out.assign(b64.size() / 4 * 3, '\0');
    if (b64.empty()) {
        return true;
    }
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()),
                                  static_cast<int>(b64.size()));
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
        WipeString(out);
        return false;
    }
    out.resize(out.size() - padding);
    return true;
}

/// Strict standard Base64: alphabet A-Z a-z 0-9 + /, length a multiple of 4, '=' only as one or
/// two final characters, and zero unused bits in the last symbol (canonical form).
Result<std::string> StrictBase64Decode(std::string_view b64) {
    if (b64.size() % 4 != 0) {
        return Fail(Errc::kBase64, "base64 length is not a multiple of 4");
    }
    if (b64.size() > static_cast<std::size_t>(INT32_MAX)) {
        return Fail(Errc::kBase64, "base64 text too long");
    }
    std::size_t padding = 0;
    if (!b64.empty() && b64.back() == '=') {
        padding = (b64.size() >= 2 && b64[b64.size() - 2] == '=') ? 2 : 1;
    }
    const std::size_t data_chars = b64.size() - padding;
    for (std::size_t i = 0; i < data_chars; ++i) {
        if (!IsB64Char(b64[i])) {
            return Fail(Errc::kBase64, "invalid base64 character");
        }
    }
    if (padding > 0) {
        // With 2 '=' the last data symbol carries 2 used bits, with 1 '=' it carries 4.
        const int last = B64Value(b64[data_chars - 1]);
        const int unused_mask = padding == 2 ? 0x0F : 0x03;
        if ((last & unused_mask) != 0) {
            return Fail(Errc::kBase64, "non-canonical base64 (unused bits set)");
        }
    }
    std::string out;
    if (!DecodeValidated(b64, padding, out)) {
        return Fail(Errc::kBase64, "base64 decoding failed");
    }
    return out;
}

std::string Base64Encode(std::string_view data) {
    std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// AES-256-CBC with padding disabled; `in` must be a multiple of 16 bytes.
bool AesCbc(bool encrypt, const std::string& key, std::string_view in, std::string& out) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || in.size() > static_cast<std::size_t>(INT32_MAX) - kKeyBytes) {
        return false;
    }
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const unsigned char* iv = k;  // IV = first 16 bytes of the key (§3.1)
    const int enc = encrypt ? 1 : 0;
    if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, iv, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        return false;
    }
    out.assign(in.size() + 16, '\0');
    int len1 = 0;
    int len2 = 0;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (EVP_CipherUpdate(ctx.get(), o, &len1, reinterpret_cast<const unsigned char*>(in.data()),
                         static_cast<int>(in.size())) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), o + len1, &len2) != 1) {
        WipeString(out);
        return false;
    }
    out.resize(static_cast<std::size_t>(len1) + static_cast<std::size_t>(len2));
    return true;
}

std::string Sha1Hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &md_len, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest(SHA-1) failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(md_len * 2);
    for (unsigned int i = 0; i < md_len; ++i) {
        hex.push_back(kHex[md[i] >> 4]);
        hex.push_back(kHex[md[i] & 0x0F]);
    }
    return hex;
}

}  // namespace

int OfficialErrorCode(std::string_view code) {
    static constexpr std::array<std::pair<std::string_view, int>, 7> kCodes{{
        {"signature", -40001},
        {"parse_xml", -40002},
        {"aes_key", -40004},
        {"receiveid", -40005},
        {"decrypt_aes", -40007},
        {"illegal_buffer", -40008},
        {"base64", -40010},
    }};
    for (const auto& [name, value] : kCodes) {
        if (name == code) {
            return value;
        }
    }
    return 0;
}

std::string Signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                      std::string_view data) {
    // Sort the four strings (byte order), not their characters (§3.4).
    std::array<std::string_view, 4> parts{token, timestamp, nonce, data};
    std::sort(parts.begin(), parts.end());
    std::string joined;
    joined.reserve(token.size() + timestamp.size() + nonce.size() + data.size());
    for (auto p : parts) {
        joined.append(p);
    }
    std::string sig = Sha1Hex(joined);
    WipeString(joined);  // contains the token
    return sig;
}

WecomCrypto::WecomCrypto(Secret token, std::string key, std::string corp_id)
    : token_(std::move(token)), key_(std::move(key)), corp_id_(std::move(corp_id)) {}

Result<WecomCrypto> WecomCrypto::Create(const Secret& token, const Secret& encoding_aes_key,
                                        std::string corp_id) {
    const std::string& k = encoding_aes_key.Reveal();
    if (k.size() != kKeyChars) {
        return Fail(Errc::kAesKey, "EncodingAESKey must be 43 characters");
    }
    if (!std::all_of(k.begin(), k.end(), IsB64Char)) {
        return Fail(Errc::kAesKey, "EncodingAESKey contains a non-base64 character");
    }
    // Lenient on purpose: the 43rd character carries 2 unused bits that WeCom leaves random
    // (§3.1). Decoding 44 characters yields 33 bytes; the extra byte holds only those bits.
    std::string padded = k + "=";
    std::string raw;
    const bool ok = DecodeValidated(padded, 1, raw);
    WipeString(padded);
    if (!ok || raw.size() < kKeyBytes) {
        WipeString(raw);
        return Fail(Errc::kAesKey, "EncodingAESKey does not decode to 32 bytes");
    }
    raw.resize(kKeyBytes);
    return WecomCrypto(token, std::move(raw), std::move(corp_id));
}

bool WecomCrypto::VerifySignature(std::string_view signature, std::string_view timestamp,
                                  std::string_view nonce, std::string_view data) const {
    const std::string expected = Signature(token_.Reveal(), timestamp, nonce, data);
    const std::string given = text::AsciiLower(signature);
    return ConstantTimeEquals(given, expected);
}

Result<std::string> WecomCrypto::Decrypt(std::string_view encrypted_b64) const {
    auto ct = StrictBase64Decode(encrypted_b64);
    if (!ct) {
        return ct.error();
    }
    if (ct->empty() || ct->size() % kPadBlock != 0) {
        return Fail(Errc::kDecryptAes, "ciphertext length " + std::to_string(ct->size()) +
                                           " is not a non-zero multiple of 32");
    }
    std::string plain;
    if (!AesCbc(false, key_.Reveal(), *ct, plain)) {
        return Fail(Errc::kDecryptAes, "AES-256-CBC decryption failed");
    }
    // The whole plaintext is wiped on every path below; only the message leaves this function.
    struct Wiper {
        std::string& s;
        ~Wiper() { WipeString(s); }
    } wiper{plain};

    const auto pad = static_cast<unsigned char>(plain.back());
    if (pad < 1 || pad > kPadBlock) {
        return Fail(Errc::kDecryptAes,
                    "padding byte " + std::to_string(pad) + " out of range 1..32");
    }
    unsigned char diff = 0;
    for (std::size_t i = plain.size() - pad; i < plain.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(plain[i]) ^ pad));
    }
    if (diff != 0) {
        return Fail(Errc::kDecryptAes, "inconsistent PKCS#7 padding bytes");
    }
    const std::size_t body_len = plain.size() - pad;
    if (body_len < kPrefixBytes + kLenBytes) {
        return Fail(Errc::kIllegalBuffer, "plaintext shorter than prefix and length field");
    }
    std::uint32_t msg_len = 0;
    for (std::size_t i = 0; i < kLenBytes; ++i) {
        msg_len = (msg_len << 8) | static_cast<unsigned char>(plain[kPrefixBytes + i]);
    }
    // Compare in size_t against what is left, so a huge msg_len cannot wrap around (§3.5 step 8).
    const std::size_t available = body_len - kPrefixBytes - kLenBytes;
    if (static_cast<std::size_t>(msg_len) > available) {
        return Fail(Errc::kIllegalBuffer, "msg_len " + std::to_string(msg_len) +
                                              " exceeds available " + std::to_string(available));
    }
    const std::size_t msg_begin = kPrefixBytes + kLenBytes;
    const std::string_view receive_id =
        std::string_view(plain).substr(msg_begin + msg_len, available - msg_len);
    if (receive_id != corp_id_) {
        return Fail(Errc::kReceiveid, "receiveid does not match the configured corp id");
    }
    return plain.substr(msg_begin, msg_len);
}

std::string WecomCrypto::Encrypt(std::string_view msg, Random& random) const {
    std::array<std::uint8_t, kPrefixBytes> prefix{};
    random.Fill(prefix);
    return EncryptWithPrefix(
        msg, std::string_view(reinterpret_cast<const char*>(prefix.data()), prefix.size()));
}

std::string WecomCrypto::EncryptWithPrefix(std::string_view msg, std::string_view random16) const {
    if (random16.size() != kPrefixBytes) {
        throw std::invalid_argument("WeCom random prefix must be 16 bytes");
    }
    if (msg.size() > UINT32_MAX) {
        throw std::length_error("WeCom message longer than 4 GiB");
    }
    const auto n = static_cast<std::uint32_t>(msg.size());
    std::string plain;
    plain.reserve(kPrefixBytes + kLenBytes + msg.size() + corp_id_.size() + kPadBlock);
    plain.append(random16);
    for (int shift = 24; shift >= 0; shift -= 8) {
        plain.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
    plain.append(msg);
    plain.append(corp_id_);
    // Always pad, a full block of 0x20 when already aligned (§3.3, esap/wechat PR #43).
    const std::size_t pad = kPadBlock - plain.size() % kPadBlock;
    plain.append(pad, static_cast<char>(pad));
    std::string ct;
    const bool ok = AesCbc(true, key_.Reveal(), plain, ct);
    WipeString(plain);
    if (!ok) {
        throw std::runtime_error("AES-256-CBC encryption failed");
    }
    return Base64Encode(ct);
}

Result<std::string> WecomCrypto::VerifyAndDecrypt(std::string_view signature,
                                                  std::string_view timestamp,
                                                  std::string_view nonce,
                                                  std::string_view encrypted_b64) const {
    if (!VerifySignature(signature, timestamp, nonce, encrypted_b64)) {
        return Fail(Errc::kSignature, "msg_signature mismatch");
    }
    return Decrypt(encrypted_b64);
}

std::string WecomCrypto::BuildEncryptedReply(std::string_view inner_xml, std::string_view timestamp,
                                             std::string_view nonce, Random& random) const {
    std::array<std::uint8_t, kPrefixBytes> prefix{};
    random.Fill(prefix);
    return BuildEncryptedReplyWithPrefix(
        inner_xml, timestamp, nonce,
        std::string_view(reinterpret_cast<const char*>(prefix.data()), prefix.size()));
}

std::string WecomCrypto::BuildEncryptedReplyWithPrefix(std::string_view inner_xml,
                                                       std::string_view timestamp,
                                                       std::string_view nonce,
                                                       std::string_view random16) const {
    const std::string encrypted = EncryptWithPrefix(inner_xml, random16);
    const std::string sig = Signature(token_.Reveal(), timestamp, nonce, encrypted);
    // The layout matches the official SDK output byte for byte. Base64 and hex cannot contain
    // "]]>"; the nonce may be echoed from the request, so it goes through Cdata().
    std::string out;
    out.reserve(encrypted.size() + 200);
    out.append("<xml>\n<Encrypt><![CDATA[").append(encrypted).append("]]></Encrypt>\n");
    out.append("<MsgSignature><![CDATA[").append(sig).append("]]></MsgSignature>\n");
    out.append("<TimeStamp>").append(timestamp).append("</TimeStamp>\n");
    out.append("<Nonce>").append(Cdata(nonce)).append("</Nonce>\n</xml>");
    return out;
}

}  // namespace wedesk::wecom
