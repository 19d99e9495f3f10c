#include <catch2/catch.hpp>

#include "fakes/fake_clock.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/sms/sms_sender.hpp"

using namespace wedesk;
using wedesk::testing::FakeClock;
using wedesk::testing::FakeRandom;

TEST_CASE("MakeSmsSender builds each provider and checks required keys", "[unit]") {
    FakeClock clock;
    FakeRandom random;
    config::SmsConfig c;

    c.provider = "console";
    auto refused = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("demo") != std::string::npos);
    auto console = sms::MakeSmsSender(c, true, clock, random);
    REQUIRE(console.ok());
    CHECK((*console)->Name() == "console");

    c.provider = "webhook";
    auto no_url = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE_FALSE(no_url.ok());
    CHECK(no_url.error().message == "sms.webhook.url: required");
    c.webhook.url = "https://sms.example.com/send";
    c.webhook.secret = Secret("s");
    auto webhook = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE(webhook.ok());
    CHECK((*webhook)->Name() == "webhook");

    c.provider = "tencent";
    auto no_id = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE_FALSE(no_id.ok());
    CHECK(no_id.error().message == "sms.tencent.secret_id: required");
    c.tencent.secret_id = "id";
    c.tencent.secret_key = Secret("k");
    c.tencent.sdk_app_id = "1400006666";
    c.tencent.template_id = "1110";
    auto tencent = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE(tencent.ok());
    CHECK((*tencent)->Name() == "tencent");

    c.provider = "aliyun";
    auto no_key = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE_FALSE(no_key.ok());
    CHECK(no_key.error().message == "sms.aliyun.access_key_id: required");
    c.aliyun.access_key_id = "id";
    c.aliyun.access_key_secret = Secret("s");
    c.aliyun.sign_name = "sig";
    c.aliyun.template_code = "SMS_1";
    auto aliyun = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE(aliyun.ok());
    CHECK((*aliyun)->Name() == "aliyun");

    c.provider = "carrier-pigeon";
    CHECK_FALSE(sms::MakeSmsSender(c, true, clock, random).ok());
}

TEST_CASE("a bad endpoint URL is a refusal — not a crash", "[unit]") {
    FakeClock clock;
    FakeRandom random;
    config::SmsConfig c;
    c.provider = "webhook";
    c.webhook.url = "ftp://nowhere";
    c.webhook.secret = Secret("s");
    auto sender = sms::MakeSmsSender(c, false, clock, random);
    REQUIRE(sender.ok());
    sms::SmsMessage m;
    m.phone_e164 = "+8613800000001";
    m.code = Secret("123456");
    auto r = (*sender)->Send(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kRejected);
}
