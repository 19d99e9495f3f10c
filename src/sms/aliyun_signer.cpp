#include "wedesk/sms/aliyun_signer.hpp"

#include <ctime>

#include "wedesk/sms/digest.hpp"

namespace wedesk::sms {

std::string AliyunPercentEncode(const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
            b == '-' || b == '_' || b == '.' || b == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 15]);
        }
    }
    return out;
}

std::string AliyunCanonicalQuery(const std::map<std::string, std::string>& params) {
    std::string out;
    for (const auto& [k, v] : params) {  // std::map: sorted by byte order
        if (!out.empty()) {
            out.push_back('&');
        }
        out += AliyunPercentEncode(k) + "=" + AliyunPercentEncode(v);
    }
    return out;
}

std::string SignAliyunV1(const std::string& method,
                         const std::map<std::string, std::string>& params,
                         const Secret& access_key_secret) {
    auto sorted = params;
    sorted.erase("Signature");
    const std::string to_sign = method + "&" + AliyunPercentEncode("/") + "&" +
                                AliyunPercentEncode(AliyunCanonicalQuery(sorted));
    std::string key = access_key_secret.Reveal() + "&";
    std::string sig = Base64Encode(HmacSha1(key, to_sign));
    WipeString(key);
    return sig;
}

Acs3Signature SignAliyunV3(const Acs3Request& req, const std::string& access_key_id,
                           const Secret& access_key_secret) {
    Acs3Signature s;
    std::string canonical_headers;
    for (const auto& [name, value] : req.headers) {  // names already lower-case, map-sorted
        canonical_headers += name + ":" + value + "\n";
        if (!s.signed_headers.empty()) {
            s.signed_headers.push_back(';');
        }
        s.signed_headers += name;
    }
    s.canonical_request = req.method + "\n" + req.path + "\n" + AliyunCanonicalQuery(req.query) +
                          "\n" + canonical_headers + "\n" + s.signed_headers + "\n" +
                          Sha256Hex(req.payload);
    s.hashed_canonical_request = Sha256Hex(s.canonical_request);
    const std::string to_sign = "ACS3-HMAC-SHA256\n" + s.hashed_canonical_request;
    s.signature = HexEncode(HmacSha256(access_key_secret.Reveal(), to_sign));
    // Commas without spaces, unlike Tencent.
    s.authorization = "ACS3-HMAC-SHA256 Credential=" + access_key_id +
                      ",SignedHeaders=" + s.signed_headers + ",Signature=" + s.signature;
    return s;
}

std::string UtcIso8601(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace wedesk::sms
