#pragma once
/// Sealing: authenticated encryption (AES-256-GCM) of small values wedesk must keep but never
/// store in clear — e.g. a passive reply that carries a reset link, kept so a WeCom retry gets
/// the same answer. The key is derived from a server secret with HMAC-SHA256.

#include <string>
#include <string_view>

#include "wedesk/common/digest.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk {

class Sealer final {
public:
    /// `server_secret` is any secret the server keeps; `purpose` separates keys per use.
    Sealer(const Secret& server_secret, std::string_view purpose);
    /// nonce(12) || ciphertext || tag(16).
    std::string Seal(std::string_view plaintext, Random& random) const;
    /// Error "sealed" when the blob was not made by this key or was altered.
    Result<std::string> Open(std::string_view blob) const;

private:
    Secret key_;  // 32 raw bytes
};

}  // namespace wedesk
