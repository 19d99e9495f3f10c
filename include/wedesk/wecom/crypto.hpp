#pragma once
/// WecomCrypto: WeCom's callback cryptography (signature, AES-256-CBC with the key/IV rule,
/// PKCS#7 padding to 32 bytes, random prefix, length and receiveid checks). Byte-for-byte
/// compatible with the official SDKs; see ../shared/wecom/WECOM_PROTOCOL.md §3 and the vectors
/// in tests/data/wecom_vectors.json.
///
/// Error codes (Error::code), matching the official names:
///   "signature" (-40001), "parse_xml" (-40002), "aes_key" (-40004), "receiveid" (-40005),
///   "decrypt_aes" (-40007), "illegal_buffer" (-40008), "base64" (-40010).

#include <cstdint>
#include <string>
#include <string_view>

#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk::wecom {

/// The official numeric code of one of our error codes (0 for unknown).
int OfficialErrorCode(std::string_view code);

/// lowercase_hex(SHA1(concat(sort([token, timestamp, nonce, data])))).
std::string Signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                      std::string_view data);

class WecomCrypto final {
public:
    /// Fails with "aes_key" when `encoding_aes_key` is not 43 characters decoding to 32 bytes
    /// (decoded leniently: the unused low bits of the last character are ignored).
    static Result<WecomCrypto> Create(const Secret& token, const Secret& encoding_aes_key,
                                      std::string corp_id);

    /// Constant-time check of `signature` (hex, either case) over (token, timestamp, nonce, data).
    bool VerifySignature(std::string_view signature, std::string_view timestamp,
                         std::string_view nonce, std::string_view data) const;

    /// Strict base64 → AES-256-CBC → unpad(32) → length checks → receiveid == corp_id.
    /// Returns the inner message (XML for POST, echo string for GET).
    Result<std::string> Decrypt(std::string_view encrypted_b64) const;

    /// base64(AES-256-CBC(pad32(random16 || u32be(len) || msg || corp_id))), with the random
    /// prefix from `random`.
    std::string Encrypt(std::string_view msg, Random& random) const;
    /// Same with a given 16-byte prefix (for reproducing published vectors). A prefix of any
    /// other size is a programmer error (std::invalid_argument).
    std::string EncryptWithPrefix(std::string_view msg, std::string_view random16) const;

    /// Verify + decrypt in one step, signature first (as WeCom requires).
    Result<std::string> VerifyAndDecrypt(std::string_view signature, std::string_view timestamp,
                                         std::string_view nonce,
                                         std::string_view encrypted_b64) const;

    /// The complete passive-reply XML (Encrypt, MsgSignature, TimeStamp, Nonce) for `inner_xml`.
    std::string BuildEncryptedReply(std::string_view inner_xml, std::string_view timestamp,
                                    std::string_view nonce, Random& random) const;
    /// Same with a fixed random prefix (vectors).
    std::string BuildEncryptedReplyWithPrefix(std::string_view inner_xml,
                                              std::string_view timestamp, std::string_view nonce,
                                              std::string_view random16) const;

    /// Signature(token, timestamp, nonce, data) with our token (for building requests/replies).
    std::string SignatureFor(std::string_view timestamp, std::string_view nonce,
                             std::string_view data) const {
        return Signature(token_.Reveal(), timestamp, nonce, data);
    }

    const std::string& corp_id() const { return corp_id_; }

private:
    WecomCrypto(Secret token, std::string key, std::string corp_id);
    Secret token_;
    Secret key_;  // 32 raw bytes
    std::string corp_id_;
};

}  // namespace wedesk::wecom
