#include <catch2/catch.hpp>

#include "reset_env.hpp"

using namespace wedesk;
using namespace wedesk::testing;
using reset::Purpose;

namespace {

const std::string kGood = "Correct-Horse-9";

// Start, verify, and return the link token.
std::string LinkFor(ResetEnv& env, const std::string& userid = "alice") {
    auto s = env.svc->Start(userid, Purpose::kResetPassword);
    REQUIRE_FALSE(s.flow_done);
    auto r = env.svc->Input(userid, env.sms.LastCode());
    REQUIRE(r.flow_done);
    REQUIRE(r.sensitive);
    const std::string token = ResetEnv::TokenIn(r.text);
    REQUIRE(token.size() >= 32);
    return token;
}

}  // namespace

TEST_CASE("link: code → link → form → new password — then the token is dead", "[unit]") {
    ResetEnv env;
    const std::string token = LinkFor(env);
    CHECK(env.directory.Unchanged());  // nothing changes until the form is submitted
    CHECK_FALSE(env.svc->InFlow("alice"));

    auto page = env.svc->ShowForm(token);
    CHECK(page.status == 200);
    CHECK(Contains(page.html, "name=\"viewport\""));
    CHECK(Contains(page.html, "alice"));
    CHECK(Contains(page.html, "至少10个字符"));
    CHECK(Contains(page.html, "至少三类"));
    CHECK(Contains(page.html, "不能包含账号名"));
    CHECK(Contains(page.html, "action=\"https://desk.example.com/reset/" + token + "\""));
    CHECK(Contains(page.html, "name=\"password\""));
    CHECK(Contains(page.html, "name=\"confirm\""));
    // Showing the form twice is fine (in-app browsers prefetch).
    CHECK(env.svc->ShowForm(token).status == 200);

    auto done = env.Submit(token, kGood, kGood);
    CHECK(done.status == 200);
    CHECK(Contains(done.html, "修改成功"));
    REQUIRE(env.directory.sets.size() == 1);
    CHECK(env.directory.sets[0].account == "alice");
    CHECK(env.directory.sets[0].password == kGood);
    CHECK_FALSE(env.directory.sets[0].must_change);
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(Contains(env.notifier.texts[0].second, "如非本人操作，请立即回复 转人工"));
    CHECK(env.HasAudit("password_set", "ok"));

    // Single use.
    CHECK(env.svc->ShowForm(token).status == 410);
    CHECK(env.Submit(token, "Another-Pass-77", "Another-Pass-77").status == 410);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("link: the token expires after link_ttl_s", "[unit]") {
    ResetEnv env;
    const std::string token = LinkFor(env);
    env.Advance(env.cfg.link_ttl_s - 1);
    CHECK(env.svc->ShowForm(token).status == 200);
    env.Advance(1);
    CHECK(env.svc->ShowForm(token).status == 410);
    auto r = env.Submit(token, kGood, kGood);
    CHECK(r.status == 410);
    CHECK(Contains(r.html, "过期"));
    CHECK(env.directory.Unchanged());
}

TEST_CASE("link: unknown — malformed and hostile tokens get 404", "[unit]") {
    ResetEnv env;
    (void)LinkFor(env);
    CHECK(env.svc->ShowForm("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status == 404);
    CHECK(env.svc->ShowForm("").status == 404);
    CHECK(env.svc->ShowForm("short").status == 404);
    CHECK(env.svc->ShowForm("<script>alert(1)</script>aaaaaaaaaaaaaaaaaaaaaaaa").status == 404);
    CHECK(env.Submit(std::string(10000, 'a'), kGood, kGood).status == 404);
    CHECK(env.directory.Unchanged());
}

TEST_CASE("link: weak or mismatched passwords get a 4xx page naming the rule", "[unit]") {
    ResetEnv env;
    const std::string token = LinkFor(env);
    struct Case {
        std::string pw;
        std::string confirm;
        int status;
        std::string says;
    };
    const std::vector<Case> cases = {
        {kGood, "Correct-Horse-8", 400, "不一致"},
        {"Sh0rt!", "Sh0rt!", 422, "至少需要10个字符"},
        {"alllowercase1", "alllowercase1", 422, "至少三类"},
        {"Alice-Rocks-2026", "Alice-Rocks-2026", 422, "账号名"},
        {"", "", 422, "至少需要10个字符"},
    };
    for (const auto& c : cases) {
        INFO(c.pw);
        auto r = env.Submit(token, c.pw, c.confirm);
        CHECK(r.status == c.status);
        CHECK(Contains(r.html, c.says));
        CHECK(Contains(r.html, "name=\"password\""));  // the form again, to retry
    }
    CHECK(env.directory.Unchanged());
    // The token survived the refusals.
    CHECK(env.Submit(token, kGood, kGood).status == 200);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("link: the directory's own refusals — the token survives a temporary failure", "[unit]") {
    ResetEnv env;
    const std::string token = LinkFor(env);
    env.directory.write_error = Fail(wedesk::Errc::kUnavailable, "timeout");
    auto down = env.Submit(token, kGood, kGood);
    CHECK(down.status == 503);
    CHECK(Contains(down.html, "目录服务暂时不可用，请稍后再试，IT已收到提醒"));
    env.directory.write_error = Fail(wedesk::Errc::kPolicy, "密码不能与最近使用过的密码相同");
    auto history = env.Submit(token, kGood, kGood);
    CHECK(history.status == 422);
    CHECK(Contains(history.html, "最近使用过的密码"));
    CHECK(env.directory.Unchanged());
    CHECK(env.notifier.texts.empty());
    env.directory.write_error.reset();
    CHECK(env.Submit(token, kGood, kGood).status == 200);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("link: a second link for the same account within the interval is refused", "[unit]") {
    ResetEnv env;
    const std::string first = LinkFor(env);
    env.Advance(61);
    const std::string second = LinkFor(env);  // both issued before either was used
    CHECK(env.Submit(first, kGood, kGood).status == 200);
    auto r = env.Submit(second, "Other-Secret-42", "Other-Secret-42");
    CHECK(r.status == 409);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("link: page text is HTML-escaped", "[unit]") {
    ResetEnv env;
    env.users.users["eve"] = {"e<v>e&\"x", "13500000006"};
    env.directory.Add("e<v>e&\"x", "13500000006");
    const std::string token = LinkFor(env, "eve");
    auto page = env.svc->ShowForm(token);
    REQUIRE(page.status == 200);
    CHECK(Contains(page.html, "e&lt;v&gt;e&amp;&quot;x"));
    CHECK_FALSE(Contains(page.html, "e<v>e"));
}

TEST_CASE("link: a submit cut short during the directory write is settled at the next start",
          "[unit][security]") {
    ResetEnv env;
    const std::string token = LinkFor(env);
    // The process "dies" inside the directory write: nothing after the claim is recorded.
    struct Crash {};
    env.directory.on_set = [] { throw Crash{}; };
    CHECK_THROWS_AS(env.Submit(token, kGood, kGood), Crash);
    env.directory.on_set = nullptr;
    CHECK(env.svc->ShowForm(token).status == 410);  // claimed, as the crash left it
    // Next start.
    env.Rebuild();
    CHECK(env.svc->Recover() == 1);
    CHECK(env.HasAudit("password_set", "unknown"));
    bool told = false;
    for (const auto& [to, text] : env.notifier.texts) {
        told = told || (to == "alice" && Contains(text, "可能已经生效"));
    }
    CHECK(told);
    // A new reset by chat waits out the interval, as if the reset had happened...
    env.Advance(61);
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "刚刚重置过密码"));
    // ... while the link itself works again and completes.
    REQUIRE(env.svc->ShowForm(token).status == 200);
    CHECK(env.Submit(token, kGood, kGood).status == 200);
    CHECK(env.directory.sets.size() == 1);
    CHECK(env.svc->Recover() == 0);
}
