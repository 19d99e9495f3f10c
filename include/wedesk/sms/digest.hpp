#pragma once
/// The digest helpers the SMS signers use, from common/digest.hpp.

#include "wedesk/common/digest.hpp"

namespace wedesk::sms {

using wedesk::Base64Encode;
using wedesk::HmacSha1;
using wedesk::HmacSha256;
using wedesk::Sha256;
using wedesk::Sha256Hex;
/// Lower-case hex of raw bytes.
inline std::string HexEncode(std::string_view bytes) { return wedesk::ToHex(bytes); }

}  // namespace wedesk::sms
