#include <nlohmann/json.hpp>

#include "http_util.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/sms/providers.hpp"
#include "wedesk/sms/tencent_signer.hpp"

namespace wedesk::sms {

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Maps a Tencent error code (request-level Error.Code or per-number Code) to ours.
Error MapTencent(const std::string& code, const std::string& message) {
    const std::string what = "tencent: " + code;
    auto logger = log::Get("sms");
    if (StartsWith(code, "LimitExceeded.PhoneNumber") ||
        code == "LimitExceeded.DeliveryFrequencyLimit") {
        return Fail(Errc::kRateLimited, what);
    }
    if (StartsWith(code, "RequestLimitExceeded") || StartsWith(code, "InternalError")) {
        return Fail(Errc::kUnavailable, what);
    }
    if (code == "InvalidParameterValue.IncorrectPhoneNumber" ||
        code == "FailedOperation.PhoneNumberInBlacklist") {
        return Fail(Errc::kBadNumber, what);
    }
    // App quota, balance, signature/template approval, credentials, clock skew: IT must act.
    logger->error("tencent SendSms refused: {} ({})", code, message);
    return Fail(Errc::kRejected, what);
}

}  // namespace

TencentSmsSender::TencentSmsSender(config::TencentSmsConfig config, int timeout_s, Clock& clock)
    : config_(std::move(config)), timeout_s_(timeout_s), clock_(clock) {}

Result<void> TencentSmsSender::Send(const SmsMessage& message) {
    auto ep = detail::ParseEndpoint(config_.endpoint);
    if (!ep) {
        return Fail(Errc::kRejected, "sms.tencent.endpoint: " + ep.error().message);
    }
    const int minutes = message.ttl_s >= 60 ? message.ttl_s / 60 : 1;
    nlohmann::json doc = {{"PhoneNumberSet", {message.phone_e164}},
                          {"SmsSdkAppId", config_.sdk_app_id},
                          {"TemplateId", config_.template_id},
                          {"TemplateParamSet", {message.code.Reveal(), std::to_string(minutes)}}};
    if (!config_.sign_name.empty()) {
        doc["SignName"] = config_.sign_name;
    }
    Tc3Request req;
    req.host = ep->host_header;
    req.service = "sms";
    req.action = "SendSms";
    req.payload = doc.dump();
    doc = nullptr;
    req.timestamp = clock_.NowSeconds();
    const Tc3Signature sig = SignTc3(req, config_.secret_id, config_.secret_key);
    const httplib::Headers headers = {
        {"Host", req.host},
        {"X-TC-Action", req.action},
        {"X-TC-Version", "2021-01-11"},
        {"X-TC-Region", config_.region},
        {"X-TC-Timestamp", std::to_string(req.timestamp)},
        {"Authorization", sig.authorization},
    };
    auto client = detail::MakeClient(*ep, timeout_s_);
    auto res = client->Post(ep->path, headers, req.payload, req.content_type);
    WipeString(req.payload);
    if (!res) {
        log::Get("sms")->warn("tencent: {}", detail::DescribeHttpError(res.error()));
        return Fail(Errc::kUnavailable, "tencent: " + detail::DescribeHttpError(res.error()));
    }
    if (res->status >= 500) {
        return Fail(Errc::kUnavailable, "tencent: HTTP " + std::to_string(res->status));
    }
    // API errors come with HTTP 200 too: the JSON decides.
    const auto reply = nlohmann::json::parse(res->body, nullptr, false);
    if (!reply.is_object() || !reply.contains("Response") || !reply["Response"].is_object()) {
        return Fail(Errc::kUnavailable,
                    "tencent: unreadable answer (HTTP " + std::to_string(res->status) + ")");
    }
    const auto& r = reply["Response"];
    const std::string request_id = r.value("RequestId", "");
    if (r.contains("Error") && r["Error"].is_object()) {
        const auto& e = r["Error"];
        std::string code =
            e.contains("Code") && e["Code"].is_string() ? e["Code"].get<std::string>() : "Unknown";
        std::string msg = e.contains("Message") && e["Message"].is_string()
                              ? e["Message"].get<std::string>()
                              : "";
        log::Get("sms")->warn("tencent: request {} failed: {}", request_id, code);
        return MapTencent(code, msg);
    }
    if (!r.contains("SendStatusSet") || !r["SendStatusSet"].is_array() ||
        r["SendStatusSet"].empty() || !r["SendStatusSet"][0].is_object()) {
        return Fail(Errc::kUnavailable, "tencent: answer without SendStatusSet");
    }
    const auto& st = r["SendStatusSet"][0];
    const std::string code =
        st.contains("Code") && st["Code"].is_string() ? st["Code"].get<std::string>() : "";
    if (code == "Ok") {  // capital O, lower-case k
        log::Get("sms")->info("tencent: sent to {} (request {})", MaskPhone(message.phone_e164),
                              request_id);
        return {};
    }
    const std::string msg =
        st.contains("Message") && st["Message"].is_string() ? st["Message"].get<std::string>() : "";
    log::Get("sms")->warn("tencent: request {} not sent: {}", request_id, code);
    return MapTencent(code, msg);
}

}  // namespace wedesk::sms
