#include <nlohmann/json.hpp>

#include "http_util.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/sms/digest.hpp"
#include "wedesk/sms/providers.hpp"

namespace wedesk::sms {

WebhookSmsSender::WebhookSmsSender(config::WebhookSmsConfig config, int timeout_s)
    : config_(std::move(config)), timeout_s_(timeout_s) {}

Result<void> WebhookSmsSender::Send(const SmsMessage& message) {
    auto ep = detail::ParseEndpoint(config_.url);
    if (!ep) {
        return Fail(Errc::kRejected, "sms.webhook.url: " + ep.error().message);
    }
    nlohmann::json doc = {{"phone", message.phone_e164},
                          {"code", message.code.Reveal()},
                          {"purpose", message.purpose},
                          {"ttl_s", message.ttl_s}};
    std::string body = doc.dump();
    doc = nullptr;
    const std::string signature = HexEncode(HmacSha256(config_.secret.Reveal(), body));
    auto client = detail::MakeClient(*ep, timeout_s_);
    const httplib::Headers headers = {{"X-Wedesk-Signature", signature}};
    auto res = client->Post(ep->path, headers, body, "application/json");
    WipeString(body);
    auto logger = log::Get("sms");
    if (!res) {
        logger->warn("webhook: {}", detail::DescribeHttpError(res.error()));
        return Fail(Errc::kUnavailable, "webhook: " + detail::DescribeHttpError(res.error()));
    }
    const int status = res->status;
    const auto reply = nlohmann::json::parse(res->body, nullptr, false);
    std::string answer;
    if (reply.is_object() && reply.contains("status") && reply["status"].is_string()) {
        answer = reply["status"].get<std::string>();
    }
    if (status == 429 || answer == "rate_limited") {
        return Fail(Errc::kRateLimited,
                    "webhook: rate limited (HTTP " + std::to_string(status) + ")");
    }
    if (status >= 200 && status < 300) {
        return {};
    }
    if ((status == 400 || status == 422) && answer == "bad_number") {
        return Fail(Errc::kBadNumber, "webhook: bad number");
    }
    if (status >= 400 && status < 500) {
        logger->error("webhook: gateway refused the request with HTTP {}", status);
        return Fail(Errc::kRejected, "webhook: HTTP " + std::to_string(status));
    }
    return Fail(Errc::kUnavailable, "webhook: HTTP " + std::to_string(status));
}

Result<void> ConsoleSmsSender::Send(const SmsMessage& message) {
    // The one place a code is logged on purpose: demo mode only (MakeSmsSender enforces it).
    log::Get("sms")->warn("DEMO console SMS to {} ({}): code {} (valid {} s)",
                          MaskPhone(message.phone_e164), message.purpose, message.code.Reveal(),
                          message.ttl_s);
    return {};
}

}  // namespace wedesk::sms
