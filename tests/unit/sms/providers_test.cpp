#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "fakes/fake_clock.hpp"
#include "local_server.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/sms/aliyun_signer.hpp"
#include "wedesk/sms/digest.hpp"
#include "wedesk/sms/providers.hpp"
#include "wedesk/sms/tencent_signer.hpp"

using namespace wedesk;
using namespace wedesk::sms;
using wedesk::testing::FakeClock;
using wedesk::testing::FakeRandom;
using wedesk::testing::LocalServer;
using json = nlohmann::json;

namespace {

SmsMessage Msg() {
    SmsMessage m;
    m.phone_e164 = "+8613800000001";
    m.code = Secret("482913");
    m.purpose = "reset_password";
    m.ttl_s = 300;
    return m;
}

// Independent HMAC (straight OpenSSL) so the test does not trust the code under test.
std::string HmacHex(const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex.push_back(kHex[out[i] >> 4]);
        hex.push_back(kHex[out[i] & 15]);
    }
    return hex;
}

// ---------------------------------------------------------------- webhook

struct WebhookGateway {
    LocalServer srv;
    std::mutex mu;
    int status = 200;
    std::string answer = R"({"status":"sent","id":"gw-1"})";
    std::vector<json> received;
    bool signature_ok = false;

    WebhookGateway() {
        srv.server().Post("/sms/send", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            signature_ok =
                req.get_header_value("X-Wedesk-Signature") == HmacHex("gw-secret", req.body);
            received.push_back(json::parse(req.body, nullptr, false));
            res.status = signature_ok ? status : 401;
            res.set_content(answer, "application/json");
        });
        srv.Start();
    }
    WebhookSmsSender Sender() {
        config::WebhookSmsConfig c;
        c.url = srv.Url("/sms/send");
        c.secret = Secret("gw-secret");
        return WebhookSmsSender(c, 5);
    }
};

}  // namespace

TEST_CASE("webhook: signed JSON as SPEC says — 2xx is sent", "[unit]") {
    WebhookGateway gw;
    auto sender = gw.Sender();
    auto r = sender.Send(Msg());
    REQUIRE(r.ok());
    std::lock_guard lock(gw.mu);
    CHECK(gw.signature_ok);
    REQUIRE(gw.received.size() == 1);
    const json& body = gw.received[0];
    CHECK(body["phone"] == "+8613800000001");
    CHECK(body["code"] == "482913");
    CHECK(body["purpose"] == "reset_password");
    CHECK(body["ttl_s"] == 300);
}

TEST_CASE("webhook: rate-limit — bad number — config and server errors", "[unit]") {
    WebhookGateway gw;
    auto sender = gw.Sender();
    struct Case {
        int status;
        std::string answer;
        std::string code;
    };
    const std::vector<Case> cases = {
        {429, "{}", "rate_limited"},
        {200, R"({"status":"rate_limited"})", "rate_limited"},
        {400, R"({"status":"bad_number"})", "bad_number"},
        {422, R"({"status":"bad_number"})", "bad_number"},
        {403, "forbidden", "rejected"},
        {500, "oops", "unavailable"},
        {503, "", "unavailable"},
    };
    for (const auto& c : cases) {
        {
            std::lock_guard lock(gw.mu);
            gw.status = c.status;
            gw.answer = c.answer;
        }
        INFO(c.status << " " << c.answer);
        auto r = sender.Send(Msg());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().CodeText() == c.code);
        CHECK(r.error().message.find("482913") == std::string::npos);
    }
}

TEST_CASE("webhook: connection refused and timeout are unavailable", "[unit]") {
    std::string url;
    {
        LocalServer closed;
        closed.Start();
        url = closed.Url("/x");
    }  // stopped: nothing listens there any more
    config::WebhookSmsConfig c;
    c.url = url;
    c.secret = Secret("s");
    auto r = WebhookSmsSender(c, 5).Send(Msg());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kUnavailable);

    // A gateway that never answers within the 1 s timeout.
    LocalServer slow;
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    slow.server().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return release; });
        res.status = 200;
    });
    slow.Start();
    c.url = slow.Url("/x");
    auto t = WebhookSmsSender(c, 1).Send(Msg());
    {
        std::lock_guard lock(mu);
        release = true;
    }
    cv.notify_all();
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == wedesk::Errc::kUnavailable);
}

// ---------------------------------------------------------------- tencent

namespace {

struct TencentEmulator {
    LocalServer srv;
    std::mutex mu;
    std::string answer;  // the JSON the next request gets
    bool signature_ok = false;
    json body;
    httplib::Headers headers;

    TencentEmulator() {
        srv.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            headers = req.headers;
            body = json::parse(req.body, nullptr, false);
            // Verify exactly as Tencent does: recompute TC3 from what arrived.
            Tc3Request t;
            t.host = req.get_header_value("Host");
            t.service = "sms";
            t.content_type = req.get_header_value("Content-Type");
            t.action = req.get_header_value("X-TC-Action");
            t.payload = req.body;
            t.timestamp = std::stoll(req.get_header_value("X-TC-Timestamp"));
            const auto expect = SignTc3(t, "AKIDtest", Secret("tencent-secret-key"));
            signature_ok = req.get_header_value("Authorization") == expect.authorization;
            if (!signature_ok) {
                res.set_content(
                    R"({"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r0"}})",
                    "application/json");
                return;
            }
            res.set_content(answer, "application/json");
        });
        srv.Start();
    }
    TencentSmsSender Sender(Clock& clock) {
        config::TencentSmsConfig c;
        c.endpoint = srv.Url();
        c.secret_id = "AKIDtest";
        c.secret_key = Secret("tencent-secret-key");
        c.sdk_app_id = "1400006666";
        c.sign_name = "Example";
        c.template_id = "1110";
        return TencentSmsSender(c, 5, clock);
    }
};

std::string TencentOk() {
    return R"({"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619",
 "PhoneNumber":"+8613800000001","Fee":1,"SessionContext":"",
 "Code":"Ok","Message":"send success","IsoCode":"CN"}],
 "RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}})";
}

std::string TencentPerNumber(const std::string& code) {
    return R"({"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800000001","Fee":0,
 "SessionContext":"","Code":")" +
           code + R"(","Message":"x","IsoCode":"CN"}],"RequestId":"r1"}})";
}

std::string TencentError(const std::string& code) {
    return R"({"Response":{"Error":{"Code":")" + code + R"(","Message":"x"},"RequestId":"r2"}})";
}

}  // namespace

TEST_CASE("tencent: SendSms request is signed and shaped as API 3.0 wants", "[unit]") {
    TencentEmulator emu;
    emu.answer = TencentOk();
    FakeClock clock;
    auto sender = emu.Sender(clock);
    auto r = sender.Send(Msg());
    REQUIRE(r.ok());
    std::lock_guard lock(emu.mu);
    CHECK(emu.signature_ok);
    auto h = [&](const std::string& k) {
        auto it = emu.headers.find(k);
        return it == emu.headers.end() ? std::string() : it->second;
    };
    CHECK(h("X-TC-Action") == "SendSms");
    CHECK(h("X-TC-Version") == "2021-01-11");
    CHECK(h("X-TC-Region") == "ap-guangzhou");
    CHECK(h("X-TC-Timestamp") == std::to_string(clock.NowSeconds()));
    CHECK(h("Content-Type") == "application/json; charset=utf-8");
    CHECK(h("Authorization")
              .rfind("TC3-HMAC-SHA256 Credential=AKIDtest/2026-11-27/sms/tc3_request, "
                     "SignedHeaders=content-type;host;x-tc-action, Signature=",
                     0) == 0);
    CHECK(emu.body["PhoneNumberSet"] == json::array({"+8613800000001"}));
    CHECK(emu.body["SmsSdkAppId"] == "1400006666");
    CHECK(emu.body["TemplateId"] == "1110");
    CHECK(emu.body["SignName"] == "Example");
    CHECK(emu.body["TemplateParamSet"] == json::array({"482913", "5"}));
}

TEST_CASE("tencent: rate-limit and error answers map to our codes", "[unit]") {
    TencentEmulator emu;
    FakeClock clock;
    auto sender = emu.Sender(clock);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {TencentPerNumber("LimitExceeded.PhoneNumberThirtySecondLimit"), "rate_limited"},
        {TencentPerNumber("LimitExceeded.PhoneNumberOneHourLimit"), "rate_limited"},
        {TencentPerNumber("LimitExceeded.PhoneNumberDailyLimit"), "rate_limited"},
        {TencentPerNumber("LimitExceeded.DeliveryFrequencyLimit"), "rate_limited"},
        {TencentError("LimitExceeded.PhoneNumberDailyLimit"), "rate_limited"},
        {TencentPerNumber("LimitExceeded.AppDailyLimit"), "rejected"},
        {TencentError("RequestLimitExceeded"), "unavailable"},
        {TencentError("InternalError.Timeout"), "unavailable"},
        {TencentPerNumber("InvalidParameterValue.IncorrectPhoneNumber"), "bad_number"},
        {TencentPerNumber("FailedOperation.PhoneNumberInBlacklist"), "bad_number"},
        {TencentPerNumber("FailedOperation.InsufficientBalanceInSmsPackage"), "rejected"},
        {TencentError("FailedOperation.TemplateIncorrectOrUnapproved"), "rejected"},
        {TencentError("AuthFailure.SecretIdNotFound"), "rejected"},
        {TencentPerNumber("OK"), "rejected"},  // "OK" is Aliyun's; Tencent says "Ok"
        {"not json", "unavailable"},
        {R"({"Response":{}})", "unavailable"},
    };
    for (const auto& [answer, code] : cases) {
        {
            std::lock_guard lock(emu.mu);
            emu.answer = answer;
        }
        INFO(answer);
        auto r = sender.Send(Msg());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().CodeText() == code);
        std::lock_guard lock(emu.mu);
        CHECK(emu.signature_ok);
    }
}

TEST_CASE("tencent: a wrong key is refused by the emulator as SignatureFailure", "[unit]") {
    TencentEmulator emu;
    emu.answer = TencentOk();
    FakeClock clock;
    config::TencentSmsConfig c;
    c.endpoint = emu.srv.Url();
    c.secret_id = "AKIDtest";
    c.secret_key = Secret("wrong");
    c.sdk_app_id = "1";
    c.template_id = "1";
    TencentSmsSender sender(c, 5, clock);
    auto r = sender.Send(Msg());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kRejected);
    CHECK(r.error().message.find("SignatureFailure") != std::string::npos);
}

// ---------------------------------------------------------------- aliyun

namespace {

struct AliyunEmulator {
    LocalServer srv;
    std::mutex mu;
    int status = 200;
    std::string answer;
    bool signature_ok = false;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> acs_headers;
    std::set<std::string> nonces;
    bool nonce_reused = false;

    AliyunEmulator() {
        srv.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            query.clear();
            for (const auto& [k, v] : req.params) {
                query[k] = v;
            }
            Acs3Request a;
            a.method = "POST";
            a.path = "/";
            a.query = query;
            a.payload = req.body;
            acs_headers.clear();
            for (const auto& [k, v] : req.headers) {
                std::string lower = k;
                for (char& ch : lower) {
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                }
                if (lower == "host" || lower.rfind("x-acs-", 0) == 0) {
                    a.headers[lower] = v;
                    acs_headers[lower] = v;
                }
            }
            const auto expect = SignAliyunV3(a, "LTAItest", Secret("aliyun-secret"));
            signature_ok = req.get_header_value("Authorization") == expect.authorization &&
                           acs_headers["x-acs-content-sha256"] == Sha256Hex(req.body);
            const std::string nonce = acs_headers["x-acs-signature-nonce"];
            nonce_reused = nonce_reused || !nonces.insert(nonce).second;
            if (!signature_ok) {
                res.status = 400;
                res.set_content(
                    R"({"Code":"SignatureDoesNotMatch","Message":"bad","RequestId":"R0"})",
                    "application/json");
                return;
            }
            res.status = status;
            res.set_content(answer, "application/json");
        });
        srv.Start();
    }
    AliyunSmsSender Sender(Clock& clock, Random& random,
                           const std::string& secret = "aliyun-secret") {
        config::AliyunSmsConfig c;
        c.endpoint = srv.Url();
        c.access_key_id = "LTAItest";
        c.access_key_secret = Secret(secret);
        c.sign_name = "阿里云短信测试";
        c.template_code = "SMS_71390007";
        return AliyunSmsSender(c, 5, clock, random);
    }
};

std::string AliyunAnswer(const std::string& code, const std::string& message = "x") {
    return R"({"Code":")" + code + R"(","Message":")" + message +
           R"(","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"})";
}

}  // namespace

TEST_CASE("aliyun: SendSms request is signed (V3) and shaped as dysmsapi wants", "[unit]") {
    AliyunEmulator emu;
    emu.answer =
        R"({"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"})";
    FakeClock clock;
    OpenSslRandom random;  // nonces must differ per request (FakeRandom cycles every 16 bytes)
    auto sender = emu.Sender(clock, random);
    REQUIRE(sender.Send(Msg()).ok());
    REQUIRE(sender.Send(Msg()).ok());
    std::lock_guard lock(emu.mu);
    CHECK(emu.signature_ok);
    CHECK_FALSE(emu.nonce_reused);
    CHECK(emu.query["PhoneNumbers"] == "13800000001");
    CHECK(emu.query["SignName"] == "阿里云短信测试");
    CHECK(emu.query["TemplateCode"] == "SMS_71390007");
    CHECK(emu.query["TemplateParam"] == R"({"code":"482913"})");
    CHECK(emu.acs_headers["x-acs-action"] == "SendSms");
    CHECK(emu.acs_headers["x-acs-version"] == "2017-05-25");
    CHECK(emu.acs_headers["x-acs-date"] == "2026-11-27T02:00:00Z");
}

TEST_CASE("aliyun: flow control and error answers map to our codes", "[unit]") {
    AliyunEmulator emu;
    FakeClock clock;
    FakeRandom random;
    auto sender = emu.Sender(clock, random);
    struct Case {
        int status;
        std::string answer;
        std::string code;
    };
    const std::vector<Case> cases = {
        {200, AliyunAnswer("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
         "rate_limited"},
        {200, AliyunAnswer("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10"), "rate_limited"},
        {200, AliyunAnswer("isv.DAY_LIMIT_CONTROL"), "rejected"},
        {200, AliyunAnswer("Throttling.User"), "unavailable"},
        {200, AliyunAnswer("isv.MOBILE_NUMBER_ILLEGAL"), "bad_number"},
        {200, AliyunAnswer("isv.AMOUNT_NOT_ENOUGH"), "rejected"},
        {200, AliyunAnswer("isv.SMS_TEMPLATE_ILLEGAL"), "rejected"},
        {403, AliyunAnswer("isp.RAM_PERMISSION_DENY"), "rejected"},
        {200, AliyunAnswer("isp.SYSTEM_ERROR"), "unavailable"},
        {503, "Service Unavailable", "unavailable"},
        {200, AliyunAnswer("Ok"), "rejected"},  // only upper-case "OK" is success
    };
    for (const auto& c : cases) {
        {
            std::lock_guard lock(emu.mu);
            emu.status = c.status;
            emu.answer = c.answer;
        }
        INFO(c.status << " " << c.answer);
        auto r = sender.Send(Msg());
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().CodeText() == c.code);
    }
}

TEST_CASE("aliyun: a wrong secret gets SignatureDoesNotMatch (4xx) → rejected", "[unit]") {
    AliyunEmulator emu;
    emu.answer = AliyunAnswer("OK", "OK");
    FakeClock clock;
    FakeRandom random;
    auto sender = emu.Sender(clock, random, "wrong");
    auto r = sender.Send(Msg());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kRejected);
    CHECK(r.error().message.find("SignatureDoesNotMatch") != std::string::npos);
}
