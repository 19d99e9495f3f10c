#include "wedesk/common/log.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/sms/providers.hpp"
#include "wedesk/sms/sms_sender.hpp"

namespace wedesk::sms {

namespace {

Error Required(const std::string& key) { return Fail(Errc::kConfig, key + ": required"); }

}  // namespace

Result<std::unique_ptr<SmsSender>> MakeSmsSender(const config::SmsConfig& config, bool demo,
                                                 Clock& clock, Random& random) {
    std::unique_ptr<SmsSender> sender;
    if (config.provider == "console") {
        if (!demo) {
            return Fail(Errc::kConfig,
                        "sms.provider: \"console\" writes codes to the log and needs server.demo");
        }
        log::Get("sms")->warn(
            "DEMO MODE: SMS codes are written to the log (console provider), not sent");
        sender = std::make_unique<ConsoleSmsSender>();
    } else if (config.provider == "webhook") {
        if (config.webhook.url.empty()) {
            return Required("sms.webhook.url");
        }
        if (config.webhook.secret.empty()) {
            return Required("sms.webhook.secret");
        }
        sender = std::make_unique<WebhookSmsSender>(config.webhook, config.timeout_s);
    } else if (config.provider == "tencent") {
        const auto& t = config.tencent;
        if (t.endpoint.empty()) {
            return Required("sms.tencent.endpoint");
        }
        if (t.secret_id.empty()) {
            return Required("sms.tencent.secret_id");
        }
        if (t.secret_key.empty()) {
            return Required("sms.tencent.secret_key");
        }
        if (t.sdk_app_id.empty()) {
            return Required("sms.tencent.sdk_app_id");
        }
        if (t.template_id.empty()) {
            return Required("sms.tencent.template_id");
        }
        if (t.region.empty()) {
            return Required("sms.tencent.region");
        }
        sender = std::make_unique<TencentSmsSender>(t, config.timeout_s, clock);
    } else if (config.provider == "aliyun") {
        const auto& a = config.aliyun;
        if (a.endpoint.empty()) {
            return Required("sms.aliyun.endpoint");
        }
        if (a.access_key_id.empty()) {
            return Required("sms.aliyun.access_key_id");
        }
        if (a.access_key_secret.empty()) {
            return Required("sms.aliyun.access_key_secret");
        }
        if (a.sign_name.empty()) {
            return Required("sms.aliyun.sign_name");
        }
        if (a.template_code.empty()) {
            return Required("sms.aliyun.template_code");
        }
        sender = std::make_unique<AliyunSmsSender>(a, config.timeout_s, clock, random);
    } else {
        return Fail(Errc::kConfig,
                    "sms.provider: must be one of console, webhook, tencent, aliyun");
    }
    return sender;
}

}  // namespace wedesk::sms
