#pragma once
/// The concrete SmsSender implementations. Production code builds them through MakeSmsSender
/// (sms_sender.hpp); tests construct them directly against a local emulator of the provider.
///   WebhookSmsSender — POST {url} JSON {"phone","code","purpose","ttl_s"}, header
///                      X-Wedesk-Signature: hex(HMAC-SHA256(secret, body)); 2xx = sent.
///   TencentSmsSender — Tencent Cloud SMS API 3.0 SendSms (2021-01-11), TC3-HMAC-SHA256.
///                      TemplateParamSet is [code, minutes].
///   AliyunSmsSender  — dysmsapi SendSms (2017-05-25), signature V3 (ACS3-HMAC-SHA256),
///                      TemplateParam {"code": "..."}.
///   ConsoleSmsSender — writes the code to the log (demo mode only).

#include <string>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/sms/sms_sender.hpp"

namespace wedesk::sms {

class WebhookSmsSender final : public SmsSender {
public:
    WebhookSmsSender(config::WebhookSmsConfig config, int timeout_s);
    Result<void> Send(const SmsMessage& message) override;
    std::string Name() const override { return "webhook"; }

private:
    config::WebhookSmsConfig config_;
    int timeout_s_;
};

class TencentSmsSender final : public SmsSender {
public:
    TencentSmsSender(config::TencentSmsConfig config, int timeout_s, Clock& clock);
    Result<void> Send(const SmsMessage& message) override;
    std::string Name() const override { return "tencent"; }

private:
    config::TencentSmsConfig config_;
    int timeout_s_;
    Clock& clock_;
};

class AliyunSmsSender final : public SmsSender {
public:
    AliyunSmsSender(config::AliyunSmsConfig config, int timeout_s, Clock& clock, Random& random);
    Result<void> Send(const SmsMessage& message) override;
    std::string Name() const override { return "aliyun"; }

private:
    config::AliyunSmsConfig config_;
    int timeout_s_;
    Clock& clock_;
    Random& random_;
};

class ConsoleSmsSender final : public SmsSender {
public:
    Result<void> Send(const SmsMessage& message) override;
    std::string Name() const override { return "console"; }
};

}  // namespace wedesk::sms
