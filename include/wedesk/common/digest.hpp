#pragma once
/// Digests over OpenSSL: SHA-256, HMAC-SHA256/SHA1, lower-case hex and base64. Raw digests are
/// byte strings. Shared by the SMS signers, the reset codes and tokens, and sealing.

#include <string>
#include <string_view>

namespace wedesk {

std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);
/// Lower-case hex of raw bytes.
std::string ToHex(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
/// Lower-case hex SHA-256 of `data`.
inline std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

}  // namespace wedesk
