#pragma once
/// Aliyun (Alibaba Cloud) request signing: the legacy RPC signature V1 (HMAC-SHA1) and the
/// current V3 (ACS3-HMAC-SHA256, used by AliyunSmsSender). Pure functions, checked against the
/// published worked examples in docs/SMS.md.

#include <cstdint>
#include <map>
#include <string>

#include "wedesk/common/secret.hpp"

namespace wedesk::sms {

/// RFC 3986 percent-encoding as Aliyun wants it (unreserved A-Z a-z 0-9 - _ . ~ kept).
std::string AliyunPercentEncode(const std::string& s);

/// Sorted, encoded "k1=v1&k2=v2" of `params`.
std::string AliyunCanonicalQuery(const std::map<std::string, std::string>& params);

/// Signature V1: Base64(HMAC-SHA1(secret + "&", method & pct("/") & pct(query))). `params` are
/// all request parameters (common and business) without Signature.
std::string SignAliyunV1(const std::string& method,
                         const std::map<std::string, std::string>& params,
                         const Secret& access_key_secret);

struct Acs3Request {
    std::string method = "POST";
    std::string path = "/";
    std::map<std::string, std::string> query;    ///< unencoded
    std::map<std::string, std::string> headers;  ///< lower-case names: host and x-acs-* (signed)
    std::string payload;                         ///< exact body bytes ("" for none)
};

struct Acs3Signature {
    std::string canonical_request;
    std::string hashed_canonical_request;  ///< hex sha256(canonical_request)
    std::string signed_headers;
    std::string signature;      ///< lower-case hex
    std::string authorization;  ///< full Authorization header value
};

/// Signature V3. `req.headers` must already hold x-acs-content-sha256 (digest.hpp Sha256Hex).
Acs3Signature SignAliyunV3(const Acs3Request& req, const std::string& access_key_id,
                           const Secret& access_key_secret);

/// "yyyy-MM-ddTHH:mm:ssZ" of a unix timestamp.
std::string UtcIso8601(std::int64_t unix_seconds);

}  // namespace wedesk::sms
