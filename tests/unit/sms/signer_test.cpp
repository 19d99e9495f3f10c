#include <catch2/catch.hpp>

#include "wedesk/sms/aliyun_signer.hpp"
#include "wedesk/sms/digest.hpp"
#include "wedesk/sms/tencent_signer.hpp"

using namespace wedesk;
using namespace wedesk::sms;

namespace {
// Tencent "Signature v3" page, CVM DescribeInstances (literal \u escapes). SMS.md says 84
// bytes; it is 86, and these 86 bytes give the published hash.
const std::string kCvmBody =
    R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
const std::string kSmsBody =
    R"({"PhoneNumberSet":["+8613800000001"],"SmsSdkAppId":"1400006666","SignName":"Example","TemplateId":"1110","TemplateParamSet":["482913","5"]})";
}  // namespace

TEST_CASE("TC3 signature reproduces Tencent's published CVM example", "[unit]") {
    REQUIRE(kCvmBody.size() == 86);
    Tc3Request req;
    req.host = "cvm.tencentcloudapi.com";
    req.service = "cvm";
    req.action = "DescribeInstances";
    req.sign_action = false;
    req.payload = kCvmBody;
    req.timestamp = 1551113065;
    const auto s = SignTc3(req, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                           Secret("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"));
    CHECK(s.hashed_payload == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
    CHECK(s.canonical_request ==
          "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
          "host:cvm.tencentcloudapi.com\n\ncontent-type;host\n"
          "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
    CHECK(Sha256Hex(s.canonical_request) ==
          "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
    CHECK(s.credential_scope == "2019-02-25/cvm/tc3_request");
    CHECK(s.string_to_sign ==
          "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
          "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
    CHECK(s.signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    CHECK(s.authorization ==
          "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
          "tc3_request, SignedHeaders=content-type;host, "
          "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");

    // Later revision of the page, with the key masked literally.
    const auto masked = SignTc3(req, "x", Secret("Gu5t9xGARNpq86cd98joQYCN3*******"));
    CHECK(masked.signature == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
}

TEST_CASE("TC3 signature of a SendSms body (regression vectors)", "[unit]") {
    Tc3Request req;
    req.host = "sms.tencentcloudapi.com";
    req.service = "sms";
    req.action = "SendSms";
    req.payload = kSmsBody;
    req.timestamp = 1551113065;
    const Secret key("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");
    req.sign_action = false;
    auto s = SignTc3(req, "id", key);
    CHECK(s.hashed_payload == "e0d1b5b26c6652211e9077bc6f655b6124f6f5cb8181ee47c72ba1a5b8fd78b2");
    CHECK(s.signed_headers == "content-type;host");
    CHECK(s.signature == "7268c4f7709e3171a3eb1e3677ff1479718fcc57ec2c6350ad25ddf9f5bb8b5f");
    req.sign_action = true;
    s = SignTc3(req, "id", key);
    CHECK(s.signed_headers == "content-type;host;x-tc-action");
    CHECK(s.canonical_request.find("x-tc-action:sendsms\n") != std::string::npos);
    CHECK(s.signature == "15e2f3eed0d8e2a2611780ac4a69f79c8cc0be525701e135554d496098bacf03");
}

TEST_CASE("TC3 credential scope uses the UTC date", "[unit]") {
    // 2026-11-27T07:30:00+08:00 is still 2026-11-26 (23:30) in UTC.
    CHECK(UtcDate(1795735800) == "2026-11-26");
    CHECK(UtcDate(1551113065) == "2019-02-25");
}

TEST_CASE("Aliyun signature V1 reproduces the published SendSms example", "[unit]") {
    const std::map<std::string, std::string> params = {
        {"AccessKeyId", "testId"},
        {"Action", "SendSms"},
        {"Format", "XML"},
        {"OutId", "123"},
        {"PhoneNumbers", "15300000001"},
        {"RegionId", "cn-hangzhou"},
        {"SignName", "阿里云短信测试专用"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"},
        {"SignatureVersion", "1.0"},
        {"TemplateCode", "SMS_71390007"},
        {"TemplateParam", R"({"customer":"test"})"},
        {"Timestamp", "2017-07-12T02:42:19Z"},
        {"Version", "2017-05-25"},
    };
    CHECK(SignAliyunV1("GET", params, Secret("testSecret")) == "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
    CHECK(SignAliyunV1("GET", params, Secret("testsecret")) != "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
}

TEST_CASE("Aliyun signature V1 reproduces the published DescribeRegions example", "[unit]") {
    const std::map<std::string, std::string> params = {
        {"AccessKeyId", "testid"},
        {"Action", "DescribeRegions"},
        {"Format", "XML"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
        {"SignatureVersion", "1.0"},
        {"Timestamp", "2016-02-23T12:46:24Z"},
        {"Version", "2014-05-26"},
    };
    CHECK(SignAliyunV1("GET", params, Secret("testsecret")) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST_CASE("Aliyun signature V3 reproduces the published example", "[unit]") {
    Acs3Request req;
    req.method = "POST";
    req.path = "/";
    req.query = {{"ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"},
                 {"RegionId", "cn-shanghai"}};
    req.headers = {{"host", "ecs.cn-shanghai.aliyuncs.com"},
                   {"x-acs-action", "RunInstances"},
                   {"x-acs-version", "2014-05-26"},
                   {"x-acs-date", "2023-10-26T10:22:32Z"},
                   {"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
                   {"x-acs-content-sha256", Sha256Hex("")}};
    const auto s = SignAliyunV3(req, "YourAccessKeyId", Secret("YourAccessKeySecret"));
    CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(s.hashed_canonical_request ==
          "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    CHECK(s.signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
    CHECK(s.authorization ==
          "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
          "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
          "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
}

TEST_CASE("Aliyun percent-encoding follows RFC 3986", "[unit]") {
    CHECK(AliyunPercentEncode("a b*c~d+e/f:") == "a%20b%2Ac~d%2Be%2Ff%3A");
    CHECK(AliyunPercentEncode("阿") == "%E9%98%BF");
    CHECK(UtcIso8601(1499827339) == "2017-07-12T02:42:19Z");
}
