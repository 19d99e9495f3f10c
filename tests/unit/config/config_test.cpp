#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "wedesk/config/config.hpp"

using namespace wedesk;
using Catch::Matchers::Contains;

namespace {

const std::string kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";  // 43

/// A minimal valid config with `extra` spliced in as further top-level members.
std::string Minimal(const std::string& extra = "", const std::string& wecom_extra = "") {
    return R"({
        "wecom": {"corp_id": "ww0001", "agent_id": 1000002, "secret": "corp-secret-value",
                  "token": "tok3n", "encoding_aes_key": ")" +
           kAesKey + "\"" + wecom_extra + R"(},
        "database": {"path": "/tmp/x.db"})" +
           (extra.empty() ? "" : ",\n" + extra) + "\n}";
}

std::string ErrorOf(const std::string& text, const std::vector<std::string>& env = {}) {
    auto r = config::Parse(text, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kConfig);
    return r.error().message;
}

}  // namespace

TEST_CASE("a minimal config parses and gets the defaults", "[unit]") {
    auto r = config::Parse(Minimal());
    REQUIRE(r.ok());
    const auto& c = *r;
    CHECK(c.server.port == 8080);
    CHECK(c.server.host == "127.0.0.1");
    CHECK_FALSE(c.server.demo);
    CHECK(c.wecom.corp_id == "ww0001");
    CHECK(c.wecom.agent_id == 1000002);
    CHECK(c.wecom.secret.Reveal() == "corp-secret-value");
    CHECK(c.wecom.encoding_aes_key.Reveal() == kAesKey);
    CHECK(c.wecom.api_base == "https://qyapi.weixin.qq.com");
    CHECK(c.wecom.callback_path == "/wecom/callback");
    CHECK(c.wecom.max_clock_skew_s == 300);
    CHECK(c.database.path == "/tmp/x.db");
    CHECK_FALSE(c.sms.has_value());
    CHECK_FALSE(c.directory.has_value());
    CHECK(c.reset.mode == "link");
    CHECK(c.reset.min_reset_interval_min == 10);

    REQUIRE(c.tickets.categories.size() == 7);
    CHECK(c.tickets.categories[0].key == "pc");
    CHECK(c.tickets.categories[0].name == "电脑/笔记本");
    CHECK(c.tickets.categories.back().key == "other");

    REQUIRE(c.tickets.sla.size() == 3);
    CHECK(c.tickets.sla.at("P1").response_min == 30);
    CHECK(c.tickets.sla.at("P1").resolve_min == 240);
    CHECK(c.tickets.sla.at("P2").resolve_min == 480);
    CHECK(c.tickets.sla.at("P3").response_min == 240);
    CHECK(c.tickets.sla.at("P3").resolve_min == 1440);
    CHECK(c.tickets.sla_clock == std::map<std::string, std::string>{
                                     {"P1", "business"}, {"P2", "business"}, {"P3", "business"}});
    CHECK(c.tickets.business_hours.utc_offset == "+08:00");
}

TEST_CASE("the example config lists every key and parses", "[unit]") {
    auto r = config::Load(std::string(WEDESK_SOURCE_DIR) + "/config/wedesk.example.jsonc");
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    const auto& c = *r;
    CHECK_FALSE(c.server.demo);
    CHECK(c.server.public_url == "https://itdesk.example.com.cn");
    REQUIRE(c.sms.has_value());
    CHECK(c.sms->provider == "webhook");
    CHECK_FALSE(c.sms->webhook.url.empty());
    REQUIRE(c.directory.has_value());
    CHECK(c.directory->kind == "ldap");
    CHECK(c.directory->ldap.flavor == "openldap");
    CHECK(c.directory->ldap.uri.rfind("ldaps://", 0) == 0);
    CHECK(c.directory->ldap.protected_groups.size() == 2);
    CHECK(c.tickets.groups.size() == 3);
    CHECK(c.tickets.sla_clock.at("P1") == "calendar");
    CHECK(c.tickets.sla_clock.at("P2") == "business");
    CHECK(c.tickets.business_hours.holidays.size() == 3);
    CHECK(c.source_path.find("wedesk.example.jsonc") != std::string::npos);
}

TEST_CASE("comments are accepted — syntax errors name the line", "[unit]") {
    const std::string text = "// leading comment\n" + Minimal(R"(/* block */ "log": {
        "level": "debug" // trailing comment
    })");
    auto r = config::Parse(text);
    REQUIRE(r.ok());
    CHECK(r->log.level == "debug");

    CHECK_THAT(ErrorOf("{\n  \"server\": {\n    \"port\": 80 80\n  }\n}"),
               Contains("not valid JSON") && Contains("line 3"));
    CHECK_THAT(ErrorOf("[]"), Contains("top level"));
}

TEST_CASE("unknown keys are refused with their full path", "[unit]") {
    CHECK_THAT(ErrorOf(Minimal("", R"(, "tokn": "x")")), Contains("wecom.tokn: unknown key"));
    CHECK_THAT(ErrorOf(Minimal(R"("serverr": {})")), Contains("serverr: unknown key"));
    CHECK_THAT(ErrorOf(Minimal(R"("tickets": {"sla": {"P4": {"response_min": 1}}})")),
               Contains("tickets.sla.P4: unknown key"));
    CHECK_THAT(
        ErrorOf(Minimal(R"("tickets": {"categories": [{"key": "pc", "name": "PC", "x": 1}]})")),
        Contains("tickets.categories[0].x: unknown key"));
    CHECK_THAT(ErrorOf(Minimal(R"("directory": {"kind": "ldap", "ldap": {"url": "ldaps://x"}})")),
               Contains("directory.ldap.url: unknown key"));
}

TEST_CASE("wrong types and missing required values are named", "[unit]") {
    CHECK_THAT(ErrorOf(Minimal(R"("server": {"port": "8080"})")),
               Contains("server.port: expected integer"));
    CHECK_THAT(ErrorOf(Minimal(R"("server": {"demo": "yes"})")),
               Contains("server.demo: expected boolean"));
    CHECK_THAT(ErrorOf(Minimal(R"("server": [])")), Contains("server: expected object"));
    CHECK_THAT(ErrorOf(Minimal(R"("server": {"threads": 2.5})")),
               Contains("server.threads: expected integer"));

    const auto msg = ErrorOf("{}");
    for (const char* key : {"wecom.corp_id", "wecom.agent_id", "wecom.secret", "wecom.token",
                            "wecom.encoding_aes_key", "database.path"}) {
        CHECK_THAT(msg, Contains(std::string(key) + ": required"));
    }
    CHECK_THAT(ErrorOf(R"({"wecom": {"corp_id": "", "agent_id": 1, "secret": "s", "token": "t",
                             "encoding_aes_key": ")" +
                       kAesKey + R"("}, "database": {"path": "x"}})"),
               Contains("wecom.corp_id: required"));
}

TEST_CASE("values are validated and errors name their key", "[unit]") {
    struct Case {
        std::string extra;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {R"("server": {"port": 65536})", "server.port: must be between 0 and 65535"},
        {R"("server": {"port": 70000})", "server.port"},
        {R"("server": {"threads": 0})", "server.threads"},
        {R"("server": {"threads": 257})", "server.threads"},
        {R"("server": {"max_body_bytes": 0})", "server.max_body_bytes"},
        {R"("server": {"public_url": "itdesk.example.com"})", "server.public_url"},
        {R"("log": {"level": "verbose"})", "log.level: must be one of"},
        {R"("log": {"format": "xml"})", "log.format"},
        {R"("tickets": {"sla": {"P1": {"response_min": 0}}})", "tickets.sla.P1.response_min"},
        {R"("tickets": {"sla": {"P2": {"response_min": 500, "resolve_min": 100}}})",
         "tickets.sla.P2.response_min"},
        {R"("tickets": {"sla_clock": "wallclock"})", "tickets.sla_clock"},
        {R"("tickets": {"sla_clock": {"P2": "x"}})", "tickets.sla_clock.P2"},
        {R"("tickets": {"sla_clock": {"P5": "calendar"}})", "tickets.sla_clock.P5: unknown key"},
        {R"("tickets": {"sla_clock": 3})", "tickets.sla_clock: expected string or object"},
        {R"("tickets": {"business_hours": {"start": "9:00"}})",
         "tickets.business_hours.start: must be a time HH:MM"},
        {R"("tickets": {"business_hours": {"end": "25:00"}})", "tickets.business_hours.end"},
        {R"("tickets": {"business_hours": {"start": "18:00", "end": "09:00"}})",
         "tickets.business_hours.end: must be later than start"},
        {R"("tickets": {"business_hours": {"days": [1, 8]}})", "tickets.business_hours.days[1]"},
        {R"("tickets": {"business_hours": {"days": []}})", "tickets.business_hours.days"},
        {R"("tickets": {"business_hours": {"holidays": ["2026-02-30"]}})",
         "tickets.business_hours.holidays[0]: must be a date YYYY-MM-DD"},
        {R"("tickets": {"business_hours": {"utc_offset": "UTC+8"}})",
         "tickets.business_hours.utc_offset"},
        {R"("tickets": {"groups": [{"name": "net", "categories": ["network", "nope"]}]})",
         "tickets.groups[0].categories: unknown category \"nope\""},
        {R"("tickets": {"categories": [{"key": "a"}]})", "tickets.categories[0].name: required"},
        {R"("tickets": {"categories": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]})",
         "tickets.categories[1].key: duplicate"},
        {R"("sms": {"provider": "carrier-pigeon"})", "sms.provider: must be one of"},
        {R"("sms": {})", "sms.provider: required"},
        {R"("sms": {"provider": "webhook"})", "sms.webhook.url: required"},
        {R"("sms": {"provider": "webhook", "webhook": {"url": "https://h/x"}})",
         "sms.webhook.secret: required"},
        {R"("sms": {"provider": "tencent", "tencent": {"secret_id": "AKID"}})",
         "sms.tencent.secret_key: required"},
        {R"("sms": {"provider": "aliyun"})", "sms.aliyun.access_key_id: required"},
        {R"("directory": {"kind": "nis"})", "directory.kind: must be one of"},
        {R"("directory": {"kind": "ldap", "ldap": {"uri": "ldaps://h"}})",
         "directory.ldap.bind_password: required"},
        {R"("directory": {"kind": "ldap", "ldap": {"flavor": "novell"}})", "directory.ldap.flavor"},
        {R"("directory": {"kind": "ldap", "ldap": {"uri": "ldap://h", "base_dn": "dc=x",
             "bind_dn": "cn=a", "bind_password": "p"}})",
         "directory.ldap.uri: ldap:// sends passwords in clear"},
        {R"("reset": {"mode": "email"})", "reset.mode"},
        {R"("reset": {"max_attempts": 0})", "reset.max_attempts"},
    };
    for (const auto& c : cases) {
        INFO(c.extra);
        CHECK_THAT(ErrorOf(Minimal(c.extra)), Contains(c.expected));
    }
    CHECK_THAT(ErrorOf(Minimal("", R"(, "callback_path": "wecom/cb")")),
               Contains("wecom.callback_path: must start with \"/\""));
    CHECK_THAT(ErrorOf(Minimal("", R"(, "max_clock_skew_s": -1)")),
               Contains("wecom.max_clock_skew_s"));
    CHECK_THAT(ErrorOf(Minimal("", R"(, "api_base": "qyapi.weixin.qq.com")")),
               Contains("wecom.api_base"));
}

TEST_CASE("the AES key must be 43 letters or digits", "[unit]") {
    for (const std::string& key : {kAesKey.substr(1), kAesKey + "x", kAesKey.substr(1) + "+"}) {
        auto text = Minimal();
        text.replace(text.find(kAesKey), kAesKey.size(), key);
        const auto msg = ErrorOf(text);
        CHECK_THAT(msg, Contains("wecom.encoding_aes_key: must be exactly 43 characters"));
        CHECK(msg.find(key) == std::string::npos);
    }
}

TEST_CASE("tickets settings are read and normalised", "[unit]") {
    auto r = config::Parse(Minimal(R"("tickets": {
        "categories": [{"key": "pc", "name": "电脑"}, {"key": "erp", "name": "ERP"}],
        "groups": [{"name": "apps", "categories": ["erp"]}],
        "sla": {"P1": {"response_min": 10}},
        "business_hours": {"days": [5, 1, 3, 3], "end": "24:00", "holidays": ["2028-02-29"]},
        "sla_clock": "calendar"
    })"));
    REQUIRE(r.ok());
    const auto& t = r->tickets;
    REQUIRE(t.categories.size() == 2);
    CHECK(t.categories[1].name == "ERP");
    REQUIRE(t.groups.size() == 1);
    CHECK(t.groups[0].categories == std::vector<std::string>{"erp"});
    CHECK(t.sla.at("P1").response_min == 10);
    CHECK(t.sla.at("P1").resolve_min == 240);  // default kept
    CHECK(t.sla.at("P2").response_min == 60);
    CHECK(t.business_hours.days == std::vector<int>{1, 3, 5});
    CHECK(t.sla_clock.at("P1") == "calendar");
    CHECK(t.sla_clock.at("P3") == "calendar");
}

TEST_CASE("environment overrides are applied before validation", "[unit]") {
    SECTION("string and number") {
        auto r = config::Parse(
            Minimal(), {"PATH=/usr/bin", "WEDESK__WECOM__SECRET=from-env", "wedesk__server__port=1",
                        "WEDESK__SERVER__PORT=9090", "WEDESK__Server__Demo=true"});
        REQUIRE(r.ok());
        CHECK(r->wecom.secret.Reveal() == "from-env");
        CHECK(r->server.port == 9090);
        CHECK(r->server.demo);
    }
    SECTION("a string key takes the value verbatim, even if it looks like JSON") {
        auto r = config::Parse(Minimal(), {"WEDESK__WECOM__CORP_ID=123"});
        REQUIRE(r.ok());
        CHECK(r->wecom.corp_id == "123");
    }
    SECTION("required values may come only from the environment") {
        const std::string text = R"({"wecom": {"corp_id": "ww1", "agent_id": 7},
                                     "database": {"path": "x.db"}})";
        auto r = config::Parse(text, {"WEDESK__WECOM__SECRET=s", "WEDESK__WECOM__TOKEN=t",
                                      "WEDESK__WECOM__ENCODING_AES_KEY=" + kAesKey});
        REQUIRE(r.ok());
        CHECK(r->wecom.token.Reveal() == "t");
    }
    SECTION("three levels deep, creating an optional section") {
        auto r = config::Parse(
            Minimal(),
            {"WEDESK__SMS__PROVIDER=tencent", "WEDESK__SMS__TENCENT__SECRET_ID=AKIDx",
             "WEDESK__SMS__TENCENT__SECRET_KEY=tc-secret",
             "WEDESK__SMS__TENCENT__SDK_APP_ID=1400000000",
             "WEDESK__SMS__TENCENT__SIGN_NAME=某某科技", "WEDESK__SMS__TENCENT__TEMPLATE_ID=123"});
        REQUIRE(r.ok());
        REQUIRE(r->sms.has_value());
        CHECK(r->sms->provider == "tencent");
        CHECK(r->sms->tencent.secret_key.Reveal() == "tc-secret");
        CHECK(r->sms->tencent.region == "ap-guangzhou");
    }
    SECTION("ldap bind password from the environment") {
        auto r = config::Parse(
            Minimal(R"("directory": {"kind": "ldap", "ldap": {"uri": "ldap://h", "starttls": true,
                       "base_dn": "dc=x", "bind_dn": "cn=a", "protected_groups": ["cn=g"]}})"),
            {"WEDESK__DIRECTORY__LDAP__BIND_PASSWORD=pw"});
        REQUIRE(r.ok());
        CHECK(r->directory->ldap.bind_password.Reveal() == "pw");
    }
    SECTION("arrays, objects and sla_clock per priority") {
        auto r =
            config::Parse(Minimal(R"("tickets": {"sla_clock": "calendar"})"),
                          {R"(WEDESK__TICKETS__BUSINESS_HOURS__HOLIDAYS=["2026-10-01"])",
                           R"(WEDESK__TICKETS__SLA__P2={"response_min": 5, "resolve_min": 50})",
                           "WEDESK__TICKETS__SLA_CLOCK__P1=business"});
        REQUIRE(r.ok());
        CHECK(r->tickets.business_hours.holidays == std::vector<std::string>{"2026-10-01"});
        CHECK(r->tickets.sla.at("P2").resolve_min == 50);
        CHECK(r->tickets.sla_clock.at("P1") == "business");
        CHECK(r->tickets.sla_clock.at("P2") == "calendar");
    }
    SECTION("an unknown key names the variable") {
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__WECOM__TOKN=x"}),
                   Contains("WEDESK__WECOM__TOKN: unknown key wecom.tokn"));
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__NOPE__X=1"}), Contains("WEDESK__NOPE__X"));
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__SERVER=1"}), Contains("WEDESK__SERVER"));
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__SERVER____PORT=1"}),
                   Contains("WEDESK__SERVER____PORT: malformed"));
    }
    SECTION("a wrong type names the variable and not the value") {
        const auto msg = ErrorOf(Minimal(), {"WEDESK__SERVER__PORT=eighty"});
        CHECK_THAT(msg, Contains("WEDESK__SERVER__PORT: expected integer"));
        CHECK(msg.find("eighty") == std::string::npos);
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__SERVER__DEMO=1"}),
                   Contains("WEDESK__SERVER__DEMO: expected boolean"));
        CHECK_THAT(ErrorOf(Minimal(), {"WEDESK__SERVER__PORT=70000"}),
                   Contains("server.port: must be between 0 and 65535 (set by "
                            "WEDESK__SERVER__PORT)"));
    }
}

TEST_CASE("demo-only settings are refused outside demo mode", "[unit]") {
    const std::string console_sms = R"("sms": {"provider": "console"})";
    const std::string local_dir = R"("directory": {"kind": "local"})";
    CHECK_THAT(ErrorOf(Minimal(console_sms)), Contains("sms.provider") && Contains("demo mode"));
    CHECK_THAT(ErrorOf(Minimal(local_dir)), Contains("directory.kind") && Contains("demo mode"));

    auto r =
        config::Parse(Minimal(R"("server": {"demo": true}, )" + console_sms + ", " + local_dir));
    REQUIRE(r.ok());
    CHECK(r->sms->provider == "console");
    CHECK(r->directory->kind == "local");
    CHECK(config::Parse(Minimal(console_sms), {"WEDESK__SERVER__DEMO=true"}).ok());
}

TEST_CASE("no error message contains a secret value", "[unit]") {
    const std::string secret = "S3cr3t-Value-Never-Shown";
    // A secret of the wrong type, a secret in an env override of the wrong type, an invalid AES
    // key, and a syntax error next to a secret.
    std::vector<std::string> messages;
    messages.push_back(ErrorOf(Minimal("", ", \"extra_secret\": \"" + secret + "\"")));
    messages.push_back(ErrorOf(Minimal(), {"WEDESK__SERVER__PORT=" + secret}));
    messages.push_back(ErrorOf(Minimal(), {"WEDESK__WECOM__ENCODING_AES_KEY=" + secret}));
    messages.push_back(ErrorOf(Minimal(), {"WEDESK__SMS=" + secret}));
    messages.push_back(ErrorOf("{\"wecom\": {\"secret\": " + secret + "}}"));
    messages.push_back(ErrorOf(
        Minimal(R"("sms": {"provider": "webhook", "webhook": {"secret": ")" + secret + R"("}})")));
    messages.push_back(ErrorOf(
        Minimal(R"("directory": {"kind": "ldap", "ldap": {"uri": "ldap://h", "bind_password": ")" +
                secret + R"("}})")));
    for (const auto& m : messages) {
        INFO(m);
        CHECK(m.find(secret) == std::string::npos);
        CHECK(m.find("corp-secret-value") == std::string::npos);
    }
}

TEST_CASE("Load reports an unreadable file and prefixes errors with the path", "[unit]") {
    testing::TempDir dir;
    auto missing = config::Load(dir.File("nope.jsonc"));
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message, Contains("config: cannot read") && Contains("nope.jsonc"));
    CHECK_FALSE(config::Load(dir.path().string()).ok());

    const auto path = dir.File("bad.jsonc");
    std::ofstream(path) << Minimal(R"("server": {"port": "x"})");
    auto bad = config::Load(path);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Contains("bad.jsonc") && Contains("server.port"));
}

TEST_CASE("plain http is refused for public_url and the SMS webhook outside demo mode",
          "[unit][security]") {
    CHECK_THAT(ErrorOf(Minimal(R"("server": {"public_url": "http://itdesk.example.com.cn"})")),
               Contains("server.public_url") && Contains("https"));
    CHECK(config::Parse(Minimal(R"("server": {"public_url": "https://itdesk.example.com.cn"})"))
              .ok());
    CHECK(config::Parse(
              Minimal(R"("server": {"public_url": "http://itdesk.example.com.cn", "demo": true})"))
              .ok());
    CHECK(config::Parse(Minimal(R"("server": {"public_url": "http://127.0.0.1:8080"})")).ok());
    const std::string webhook =
        R"("sms": {"provider": "webhook", "webhook": {"url": "http://sms.example.com/send", "secret": "s"}})";
    CHECK_THAT(ErrorOf(Minimal(webhook)), Contains("sms.webhook.url") && Contains("https"));
    CHECK(
        config::Parse(
            Minimal(
                R"("sms": {"provider": "webhook", "webhook": {"url": "http://127.0.0.1:9000/send", "secret": "s"}})"))
            .ok());
    CHECK_THAT(
        ErrorOf(Minimal(
            R"("sms": {"provider": "webhook", "timeout_s": 5, "webhook": {"url": "https://sms.example.com/send", "secret": "s"}})")),
        Contains("sms.timeout_s"));
}

TEST_CASE("an OpenLDAP directory without protected groups is refused", "[unit][security]") {
    const std::string base =
        R"("directory": {"kind": "ldap", "ldap": {"uri": "ldaps://h", "base_dn": "dc=x",
           "bind_dn": "cn=a", "bind_password": "pw", "ca_file": "/etc/ssl/ca.pem")";
    CHECK_THAT(ErrorOf(Minimal(base + "}}")), Contains("directory.ldap.protected_groups"));
    CHECK(config::Parse(Minimal(base + R"(, "protected_groups": ["cn=it-admins,dc=x"]}})")).ok());
    // AD protects its built-in privileged groups and adminCount=1 by itself.
    CHECK(config::Parse(Minimal(base + R"(, "flavor": "ad"}})")).ok());
}
