#include <nlohmann/json.hpp>

#include "http_util.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/sms/aliyun_signer.hpp"
#include "wedesk/sms/digest.hpp"
#include "wedesk/sms/providers.hpp"

namespace wedesk::sms {

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

Error MapAliyun(const std::string& code, const std::string& message) {
    const std::string what = "aliyun: " + code;
    if (code == "isv.BUSINESS_LIMIT_CONTROL") {  // per-number minute/hour/day flow control
        return Fail(Errc::kRateLimited, what);
    }
    if (StartsWith(code, "Throttling") || code == "isp.SYSTEM_ERROR" ||
        code == "ServiceUnavailable" || code == "InternalError") {
        return Fail(Errc::kUnavailable, what);
    }
    if (code == "isv.MOBILE_NUMBER_ILLEGAL" || code == "isv.MOBILE_COUNT_OVER_LIMIT") {
        return Fail(Errc::kBadNumber, what);
    }
    // Quota, balance, signature/template, credentials, RAM permission, clock: IT must act.
    log::Get("sms")->error("aliyun SendSms refused: {} ({})", code, message);
    return Fail(Errc::kRejected, what);
}

// Aliyun wants mainland numbers bare (13800000001) and others without "+".
std::string AliyunPhone(const std::string& e164) {
    if (e164.rfind("+86", 0) == 0) {
        return e164.substr(3);
    }
    return e164.rfind('+', 0) == 0 ? e164.substr(1) : e164;
}

}  // namespace

AliyunSmsSender::AliyunSmsSender(config::AliyunSmsConfig config, int timeout_s, Clock& clock,
                                 Random& random)
    : config_(std::move(config)), timeout_s_(timeout_s), clock_(clock), random_(random) {}

Result<void> AliyunSmsSender::Send(const SmsMessage& message) {
    auto ep = detail::ParseEndpoint(config_.endpoint);
    if (!ep) {
        return Fail(Errc::kRejected, "sms.aliyun.endpoint: " + ep.error().message);
    }
    nlohmann::json param = {{"code", message.code.Reveal()}};
    Acs3Request req;
    req.method = "POST";
    req.path = "/";
    req.query = {{"PhoneNumbers", AliyunPhone(message.phone_e164)},
                 {"SignName", config_.sign_name},
                 {"TemplateCode", config_.template_code},
                 {"TemplateParam", param.dump()}};
    param = nullptr;
    // Every request needs a fresh nonce (SignatureNonceUsed otherwise).
    std::string nonce = random_.Alnum(32);
    req.headers = {
        {"host", ep->host_header},        {"x-acs-action", "SendSms"},
        {"x-acs-version", "2017-05-25"},  {"x-acs-date", UtcIso8601(clock_.NowSeconds())},
        {"x-acs-signature-nonce", nonce}, {"x-acs-content-sha256", Sha256Hex("")}};
    const Acs3Signature sig = SignAliyunV3(req, config_.access_key_id, config_.access_key_secret);
    httplib::Headers headers;
    for (const auto& [k, v] : req.headers) {
        headers.emplace(k == "host" ? "Host" : k, v);
    }
    headers.emplace("Authorization", sig.authorization);
    std::string target = ep->path + "?" + AliyunCanonicalQuery(req.query);
    WipeString(req.query["TemplateParam"]);
    auto client = detail::MakeClient(*ep, timeout_s_);
    client->set_url_encode(false);  // the query is already RFC 3986 encoded
    auto res = client->Post(target, headers);
    WipeString(target);
    if (!res) {
        log::Get("sms")->warn("aliyun: {}", detail::DescribeHttpError(res.error()));
        return Fail(Errc::kUnavailable, "aliyun: " + detail::DescribeHttpError(res.error()));
    }
    // Business errors come with HTTP 200, signature errors with 4xx: parse the body regardless.
    const auto reply = nlohmann::json::parse(res->body, nullptr, false);
    std::string code;
    std::string msg;
    std::string request_id;
    if (reply.is_object()) {
        if (reply.contains("Code") && reply["Code"].is_string()) {
            code = reply["Code"].get<std::string>();
        }
        if (reply.contains("Message") && reply["Message"].is_string()) {
            msg = reply["Message"].get<std::string>();
        }
        if (reply.contains("RequestId") && reply["RequestId"].is_string()) {
            request_id = reply["RequestId"].get<std::string>();
        }
    }
    if (code.empty()) {
        return Fail(Errc::kUnavailable,
                    "aliyun: unreadable answer (HTTP " + std::to_string(res->status) + ")");
    }
    if (code == "OK" && res->status >= 200 && res->status < 300) {
        log::Get("sms")->info("aliyun: sent to {} (request {})", MaskPhone(message.phone_e164),
                              request_id);
        return {};
    }
    log::Get("sms")->warn("aliyun: request {} failed: {} ({})", request_id, code, msg);
    if (res->status >= 500 && code != "isv.BUSINESS_LIMIT_CONTROL") {
        return Fail(Errc::kUnavailable, "aliyun: " + code);
    }
    return MapAliyun(code, msg);
}

}  // namespace wedesk::sms
