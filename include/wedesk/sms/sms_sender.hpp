#pragma once
/// SmsSender: sends a one-time verification code to a phone number through a provider
/// (webhook, Tencent Cloud, Aliyun; console for the demo). Implementations build the exact
/// wire format of their provider; only the endpoint differs between production and tests.
///
/// Error codes: "rate_limited" (the provider throttled this number or us), "bad_number" (the
/// provider refuses the number), "rejected" (configuration: credentials, template, signature,
/// quota or balance — will not succeed on retry, IT must act), "unavailable" (network, timeout,
/// 5xx, API throttling: try later). Error messages never contain the code.
///
/// Send is called from several threads at once (each employee's request sends its own code,
/// outside any transaction): implementations keep no per-call state in members.

#include <memory>
#include <string>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk::config {
struct SmsConfig;
}

namespace wedesk::sms {

struct SmsMessage {
    std::string phone_e164;  ///< "+8613800000001"
    Secret code;             ///< the digits; never logged
    std::string purpose;     ///< "reset_password" | "unlock"
    int ttl_s = 300;
};

class SmsSender {
public:
    virtual ~SmsSender() = default;
    virtual Result<void> Send(const SmsMessage& message) = 0;
    /// Provider name for logs and metrics ("tencent", ...).
    virtual std::string Name() const = 0;
};

/// Normalises a CN mobile number to E.164: "13800000001", "+86 138-0000-0001",
/// "008613800000001" → "+8613800000001". Numbers already in E.164 with another country code are
/// kept. Returns an Error "invalid_phone" otherwise.
Result<std::string> NormalizePhone(const std::string& raw);

/// "+8613800000001" → "138****0001" (what the chat shows). Other countries: "+852****5678".
std::string MaskPhone(const std::string& e164);

/// Builds the sender `config.provider` names ("webhook", "tencent", "aliyun", "console").
/// "console" is refused unless `demo`. Missing credentials are an Error naming the key
/// ("sms.tencent.secret_id: required"). `clock` and `random` must outlive the sender.
Result<std::unique_ptr<SmsSender>> MakeSmsSender(const config::SmsConfig& config, bool demo,
                                                 Clock& clock, Random& random);

}  // namespace wedesk::sms
