#pragma once
/// Digest helpers the SMS signers share (OpenSSL underneath): SHA-256, HMAC-SHA256/SHA1, hex
/// and base64. Raw digests are returned as byte strings.

#include <string>
#include <string_view>

namespace wedesk::sms {

std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);
/// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
/// Lower-case hex SHA-256 of `data`.
inline std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

}  // namespace wedesk::sms
