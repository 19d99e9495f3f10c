#pragma once
/// TC3-HMAC-SHA256 request signing for Tencent Cloud API 3.0 (used by TencentSmsSender).
/// Pure functions of their inputs (timestamp passed in), so the published worked examples in
/// docs/SMS.md can be checked byte-for-byte.

#include <cstdint>
#include <string>

#include "wedesk/common/secret.hpp"

namespace wedesk::sms {

struct Tc3Request {
    std::string host;     ///< value of the Host header, e.g. "sms.tencentcloudapi.com"
    std::string service;  ///< "sms" (the host's first label for the real endpoints)
    std::string content_type = "application/json; charset=utf-8";
    std::string action;       ///< e.g. "SendSms"; signed as x-tc-action when sign_action
    bool sign_action = true;  ///< sign content-type;host;x-tc-action (else content-type;host)
    std::string payload;      ///< exact body bytes
    std::int64_t timestamp = 0;
};

struct Tc3Signature {
    std::string hashed_payload;     ///< hex sha256(payload)
    std::string canonical_request;  ///< the six lines
    std::string credential_scope;   ///< "2019-02-25/sms/tc3_request"
    std::string string_to_sign;
    std::string signed_headers;  ///< "content-type;host;x-tc-action"
    std::string signature;       ///< lower-case hex
    std::string authorization;   ///< full Authorization header value
};

/// Signs `req` with the given credentials (steps 1-5 of the TC3 scheme).
Tc3Signature SignTc3(const Tc3Request& req, const std::string& secret_id, const Secret& secret_key);

/// "YYYY-MM-DD" of a unix timestamp in UTC.
std::string UtcDate(std::int64_t unix_seconds);

}  // namespace wedesk::sms
