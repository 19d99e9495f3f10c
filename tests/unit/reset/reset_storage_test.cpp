
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reset_env.hpp"
#include "wedesk/reset/password_policy.hpp"

using namespace wedesk;
using namespace wedesk::testing;
using reset::Purpose;

namespace {

std::string AllBytesUnder(const std::filesystem::path& dir) {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        all += ss.str();
    }
    return all;
}

}  // namespace

TEST_CASE("no code — token or password reaches the SQLite files or the audit", "[unit]") {
    std::vector<std::string> secrets;
    ResetEnv env;
    {
        // Link mode, with a wrong code and a resend on the way.
        (void)env.svc->Start("alice", Purpose::kResetPassword);
        secrets.push_back(env.sms.LastCode());
        (void)env.svc->Input("alice", ResetEnv::WrongCode(env.sms.LastCode()));
        secrets.push_back(ResetEnv::WrongCode(env.sms.LastCode()));
        env.Advance(61);
        (void)env.svc->Input("alice", "重发");
        secrets.push_back(env.sms.LastCode());
        auto r = env.svc->Input("alice", env.sms.LastCode());
        const std::string token = ResetEnv::TokenIn(r.text);
        REQUIRE_FALSE(token.empty());
        secrets.push_back(token);
        REQUIRE(env.Submit(token, "Weak", "Weak").status == 422);
        REQUIRE(env.Submit(token, "Tr0ub4dor&3xyz", "Tr0ub4dor&3xyz").status == 200);
        secrets.push_back("Tr0ub4dor&3xyz");
    }
    {
        // temp_password mode for another user.
        env.cfg.mode = "temp_password";
        env.Rebuild();
        env.users.users["bob"] = {"bob", "13700000007"};
        env.directory.Add("bob", "13700000007");
        (void)env.svc->Start("bob", Purpose::kResetPassword);
        secrets.push_back(env.sms.LastCode());
        REQUIRE(env.svc->Input("bob", env.sms.LastCode()).sensitive);
        secrets.push_back(env.directory.sets.back().password);
    }
    const std::string bytes = AllBytesUnder(env.tmp.path());
    REQUIRE(bytes.size() > 4096);
    REQUIRE(Contains(bytes, "reset_audit"));  // we are looking at the right files
    for (const auto& s : secrets) {
        INFO(s);
        CHECK_FALSE(Contains(bytes, s));
    }
    for (const auto& row : env.svc->Audit("", 1000)) {
        for (const auto& s : secrets) {
            CHECK_FALSE(Contains(row.detail, s));
        }
    }
}

TEST_CASE("audit records every step — newest first — filterable by user", "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    (void)env.svc->Input("alice", ResetEnv::WrongCode(env.sms.LastCode()));
    (void)env.svc->Input("alice", env.sms.LastCode());
    (void)env.svc->Start("stranger", Purpose::kUnlock);
    auto alice = env.svc->Audit("alice", 100);
    std::vector<std::string> steps;
    for (auto it = alice.rbegin(); it != alice.rend(); ++it) {
        CHECK(it->userid == "alice");
        CHECK(it->account == "alice");
        steps.push_back(it->action + ":" + it->outcome);
    }
    // code_sent is recorded once the SMS went out, after the step that started the flow.
    CHECK(steps == std::vector<std::string>{"start:ok", "code_sent:ok", "verify:wrong", "verify:ok",
                                            "temp_password_set:ok"});
    CHECK(env.svc->Audit("", 100).size() == alice.size() + 1);
    CHECK(env.svc->Audit("", 2).size() == 2);
    CHECK(env.svc->Audit("", 1)[0].userid == "stranger");
    const auto c = env.svc->Counters();
    CHECK(c.sms_sent == 1);
    CHECK(c.codes_wrong == 1);
    CHECK(c.codes_ok == 1);
    CHECK(c.passwords_set == 1);
    CHECK(c.refused == 1);
}

TEST_CASE("Start/Input write into the caller's open transaction", "[unit]") {
    ResetEnv env("temp_password");
    {
        store::WriteTx tx(*env.db);  // as the bot does
        auto r = env.svc->Start("alice", Purpose::kResetPassword);
        CHECK_FALSE(r.flow_done);
        // The lookup waits for the commit: an interim answer, the final one follows.
        CHECK(Contains(r.text, "正在核对"));
        REQUIRE(r.follow_up);
        CHECK(env.directory.finds == 0);
        // rolled back: the step never happened, and the lookup never runs
    }
    CHECK(env.directory.finds == 0);
    CHECK_FALSE(env.svc->InFlow("alice"));
    CHECK(env.svc->Audit("alice", 10).empty());
    env.Advance(61);
    {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Start("alice", Purpose::kResetPassword);
        REQUIRE_FALSE(r.flow_done);
        REQUIRE(r.follow_up);
        tx.Commit();  // the lookup and its outcome step run now (no external pool here)
        auto final_text = r.follow_up->TakeIfDelivered();
        REQUIRE(final_text);
        CHECK(Contains(final_text->text, "138****0001"));
    }
    CHECK(env.svc->InFlow("alice"));
    {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Input("alice", env.sms.LastCode());
        CHECK(Contains(r.text, "正在处理"));
        REQUIRE(r.follow_up);
        CHECK(env.directory.sets.empty());
        tx.Commit();
        auto final_text = r.follow_up->TakeIfDelivered();
        REQUIRE(final_text);
        CHECK(final_text->sensitive);
        CHECK(Contains(final_text->text, "临时密码"));
    }
    CHECK_FALSE(env.svc->InFlow("alice"));
    CHECK(env.directory.sets.size() == 1);
    CHECK(env.HasAudit("temp_password_set", "ok"));
}

TEST_CASE("password policy", "[unit]") {
    using reset::CheckPasswordPolicy;
    CHECK_FALSE(CheckPasswordPolicy("Correct-Horse-9", "alice", 10));
    CHECK_FALSE(CheckPasswordPolicy("correcthorse9!", "alice", 10));  // lower, digit, symbol
    CHECK(CheckPasswordPolicy("Short-1", "alice", 10));
    CHECK(CheckPasswordPolicy("ONLYUPPER123", "alice", 10));
    CHECK(CheckPasswordPolicy("xx-ALICE-99yy", "alice", 10));
    CHECK_FALSE(CheckPasswordPolicy("Ab1-Ab1-Ab1", "al", 10));  // names under 3 chars not checked
    CHECK(CheckPasswordPolicy("Has Space 12", "bob", 10));
    CHECK(CheckPasswordPolicy(std::string("Bad\xff-utf8-1"), "bob", 10));
    // Only what a logon screen can take: no Chinese, full-width forms, accents or emoji.
    for (const char* untypeable : {"密码Passwort-2026", "Ｐａｓｓｗｏｒｄ-2026", "Pässwort-2026x",
                                   "Password-2026😀", "中文密码一二三四五六七八"}) {
        INFO(untypeable);
        const auto why = CheckPasswordPolicy(untypeable, "bob", 10);
        REQUIRE(why.has_value());
        CHECK_THAT(*why, Catch::Contains("英文字母、数字和符号"));
    }
    FakeSeqRandom random;
    for (int i = 0; i < 50; ++i) {
        const auto pw = reset::GenerateTempPassword(random, "alice", 10);
        INFO(pw);
        CHECK(pw.size() >= 14);
        CHECK_FALSE(CheckPasswordPolicy(pw, "alice", 10));
    }
}
