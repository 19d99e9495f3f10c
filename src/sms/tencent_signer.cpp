#include "wedesk/sms/tencent_signer.hpp"

#include <ctime>

#include "wedesk/sms/digest.hpp"

namespace wedesk::sms {

namespace {

std::string Lower(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

}  // namespace

std::string UtcDate(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return buf;
}

Tc3Signature SignTc3(const Tc3Request& req, const std::string& secret_id,
                     const Secret& secret_key) {
    Tc3Signature s;
    s.hashed_payload = Sha256Hex(req.payload);
    std::string canonical_headers =
        "content-type:" + req.content_type + "\n" + "host:" + req.host + "\n";
    s.signed_headers = "content-type;host";
    if (req.sign_action) {
        // The value is lower-cased too ("x-tc-action:sendsms").
        canonical_headers += "x-tc-action:" + Lower(req.action) + "\n";
        s.signed_headers += ";x-tc-action";
    }
    s.canonical_request =
        "POST\n/\n\n" + canonical_headers + "\n" + s.signed_headers + "\n" + s.hashed_payload;
    // The UTC date of the timestamp, not the local one (UTC+8 breaks nightly otherwise).
    const std::string date = UtcDate(req.timestamp);
    s.credential_scope = date + "/" + req.service + "/tc3_request";
    s.string_to_sign = "TC3-HMAC-SHA256\n" + std::to_string(req.timestamp) + "\n" +
                       s.credential_scope + "\n" + Sha256Hex(s.canonical_request);
    std::string key = "TC3" + secret_key.Reveal();
    std::string k_date = HmacSha256(key, date);
    std::string k_service = HmacSha256(k_date, req.service);
    std::string k_signing = HmacSha256(k_service, "tc3_request");
    s.signature = HexEncode(HmacSha256(k_signing, s.string_to_sign));
    WipeString(key);
    WipeString(k_date);
    WipeString(k_service);
    WipeString(k_signing);
    s.authorization = "TC3-HMAC-SHA256 Credential=" + secret_id + "/" + s.credential_scope +
                      ", SignedHeaders=" + s.signed_headers + ", Signature=" + s.signature;
    return s;
}

}  // namespace wedesk::sms
