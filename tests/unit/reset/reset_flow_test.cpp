#include <catch2/catch.hpp>

#include <optional>
#include <thread>

#include "reset_env.hpp"
#include "wedesk/reset/password_policy.hpp"

using namespace wedesk;
using namespace wedesk::testing;
using reset::Purpose;

namespace {

/// A 6-digit code that is not the last one sent.
std::string ReadyWrong(ResetEnv& env) { return ResetEnv::WrongCode(env.sms.LastCode()); }

}  // namespace

TEST_CASE("reset: start sends a code to the number on file and masks it", "[unit]") {
    ResetEnv env;
    auto r = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK_FALSE(r.flow_done);
    CHECK_FALSE(r.sensitive);
    CHECK(Contains(r.text, "138****0001"));
    CHECK(Contains(r.text, "回复 重发"));
    CHECK(Contains(r.text, "回复 取消"));
    REQUIRE(env.sms.sent.size() == 1);
    CHECK(env.sms.sent[0].phone == "+8613800000001");
    CHECK(env.sms.sent[0].purpose == "reset_password");
    CHECK(env.sms.LastCode().size() == 6);
    CHECK_FALSE(Contains(r.text, env.sms.LastCode()));
    CHECK(env.svc->InFlow("alice"));
    CHECK_FALSE(env.svc->InFlow("bob"));
}

TEST_CASE("reset: temp_password mode sets a must-change password and shows it", "[unit]") {
    ResetEnv env("temp_password");
    REQUIRE_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    auto r = env.svc->Input("alice", env.sms.LastCode());
    CHECK(r.flow_done);
    CHECK(r.sensitive);
    REQUIRE(env.directory.sets.size() == 1);
    const auto& set = env.directory.sets[0];
    CHECK(set.account == "alice");
    CHECK(set.must_change);
    CHECK(Contains(r.text, set.password));
    CHECK_FALSE(reset::CheckPasswordPolicy(set.password, "alice", env.cfg.min_length).has_value());
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(env.notifier.texts[0].first == "alice");
    CHECK(Contains(env.notifier.texts[0].second, "如非本人操作，请立即回复 转人工"));
    CHECK_FALSE(Contains(env.notifier.texts[0].second, set.password));
    CHECK_FALSE(env.svc->InFlow("alice"));
    CHECK(env.HasAudit("temp_password_set", "ok"));
}

TEST_CASE("unlock: an account that is not locked is told so, with no SMS", "[unit]") {
    ResetEnv env;
    auto s = env.svc->Start("alice", Purpose::kUnlock);
    CHECK(s.flow_done);
    CHECK(Contains(s.text, "没有被锁定"));
    CHECK(env.sms.sent.empty());
    CHECK(env.HasAudit("start", "refused"));
}

TEST_CASE("unlock: the code unlocks the account and confirms", "[unit]") {
    ResetEnv env;
    env.directory.accounts["alice"].locked = true;  // something to unlock
    auto s = env.svc->Start("alice", Purpose::kUnlock);
    REQUIRE_FALSE(s.flow_done);
    CHECK(env.sms.sent.back().purpose == "unlock");
    auto r = env.svc->Input("alice", "  " + env.sms.LastCode() + " ");
    CHECK(r.flow_done);
    CHECK_FALSE(r.sensitive);
    CHECK(Contains(r.text, "已解锁"));
    CHECK(env.directory.unlocks == std::vector<std::string>{"alice"});
    CHECK(env.directory.sets.empty());
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(Contains(env.notifier.texts[0].second, "如非本人操作"));
    CHECK(env.HasAudit("unlock", "ok"));
}

TEST_CASE("reset: full-width digits are accepted", "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    std::string fw;
    for (char c : env.sms.LastCode()) {
        // U+FF10 + digit: EF BC 90..99
        fw += "\xEF\xBC";
        fw.push_back(static_cast<char>(0x90 + (c - '0')));
    }
    auto r = env.svc->Input("alice", fw);
    CHECK(r.flow_done);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("reset: a wrong code is refused with the attempts left — the right one still works",
          "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    const std::string code = env.sms.LastCode();
    auto r = env.svc->Input("alice", ResetEnv::WrongCode(code));
    CHECK_FALSE(r.flow_done);
    CHECK(Contains(r.text, "不正确"));
    CHECK(Contains(r.text, "4次"));
    CHECK(env.directory.Unchanged());
    auto other = env.svc->Input("alice", "hello");
    CHECK_FALSE(other.flow_done);
    CHECK(Contains(other.text, "6位验证码"));
    auto shorter = env.svc->Input("alice", "1234");
    CHECK(Contains(shorter.text, "6位数字"));
    CHECK(env.svc->Input("alice", code).flow_done);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("reset: an expired code is refused — 重发 gives a working one", "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    const std::string old_code = env.sms.LastCode();
    env.Advance(env.cfg.code_ttl_s);
    auto r = env.svc->Input("alice", old_code);
    CHECK_FALSE(r.flow_done);
    CHECK(Contains(r.text, "已过期"));
    CHECK(Contains(r.text, "重发"));
    CHECK(env.directory.Unchanged());
    auto re = env.svc->Input("alice", "重发");
    CHECK_FALSE(re.flow_done);
    CHECK(Contains(re.text, "138****0001"));
    REQUIRE(env.sms.sent.size() == 2);
    const std::string new_code = env.sms.LastCode();
    if (new_code != old_code) {
        CHECK(Contains(env.svc->Input("alice", old_code).text, "不正确"));
    }
    CHECK(env.svc->Input("alice", new_code).flow_done);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("reset: max_attempts wrong codes lock the flow for lock_min minutes", "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    const std::string code = env.sms.LastCode();
    reset::ChatReply r;
    for (int i = 0; i < env.cfg.max_attempts; ++i) {
        r = env.svc->Input("alice", ResetEnv::WrongCode(code));
    }
    CHECK(r.flow_done);
    CHECK(Contains(r.text, "锁定15分钟"));
    CHECK_FALSE(env.svc->InFlow("alice"));
    // The right code no longer helps, and a new start is refused without sending anything.
    CHECK(env.svc->Input("alice", code).flow_done);
    auto again = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(again.flow_done);
    CHECK(Contains(again.text, "锁定"));
    CHECK(env.sms.sent.size() == 1);
    CHECK(env.directory.Unchanged());
    CHECK(env.HasAudit("verify", "locked"));

    env.Advance(env.cfg.lock_min * 60 - 1);
    CHECK(env.svc->Start("alice", Purpose::kUnlock).flow_done);
    env.Advance(1);
    auto after = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK_FALSE(after.flow_done);
    CHECK(env.sms.sent.size() == 2);
    CHECK(env.svc->Input("alice", env.sms.LastCode()).flow_done);
    CHECK(env.directory.sets.size() == 1);
}

TEST_CASE("reset: 重发 too soon is refused — after the cool-down it sends a new code", "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    env.Advance(10);
    auto soon = env.svc->Input("alice", "重发");
    CHECK_FALSE(soon.flow_done);
    CHECK(Contains(soon.text, "50秒"));
    CHECK(env.sms.sent.size() == 1);
    // Starting again during the cool-down keeps the same session and says so.
    auto restart = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK_FALSE(restart.flow_done);
    CHECK(Contains(restart.text, "已发送"));
    CHECK(env.sms.sent.size() == 1);
    env.Advance(50);
    auto re = env.svc->Input("alice", "重发");
    CHECK_FALSE(re.flow_done);
    REQUIRE(env.sms.sent.size() == 2);
    CHECK(env.svc->Input("alice", env.sms.LastCode()).flow_done);
}

TEST_CASE("reset: hourly and daily send caps", "[unit]") {
    ResetEnv env;
    env.directory.accounts["alice"].locked = true;  // something to unlock
    env.cfg.max_sends_per_hour = 3;
    env.cfg.max_sends_per_day = 5;
    env.Rebuild();
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    for (int i = 0; i < 2; ++i) {
        env.Advance(61);
        CHECK_FALSE(env.svc->Input("alice", "重发").flow_done);
    }
    REQUIRE(env.sms.sent.size() == 3);
    env.Advance(61);
    auto capped = env.svc->Input("alice", "重发");
    CHECK(capped.flow_done);
    CHECK(Contains(capped.text, "每小时上限"));
    CHECK(env.sms.sent.size() == 3);
    auto start = env.svc->Start("alice", Purpose::kUnlock);
    CHECK(start.flow_done);
    CHECK(Contains(start.text, "每小时上限"));

    env.Advance(3600);
    CHECK_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    env.Advance(61);
    CHECK_FALSE(env.svc->Input("alice", "重发").flow_done);
    REQUIRE(env.sms.sent.size() == 5);
    env.Advance(3600);
    auto daily = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(daily.flow_done);
    CHECK(Contains(daily.text, "今日上限"));
    CHECK(env.sms.sent.size() == 5);
    env.Advance(86400);
    CHECK_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    CHECK(env.directory.Unchanged());
}

TEST_CASE("reset: a second reset of the account within min_reset_interval_min is refused",
          "[unit]") {
    ResetEnv env("temp_password");
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    REQUIRE(env.svc->Input("alice", env.sms.LastCode()).flow_done);
    REQUIRE(env.directory.sets.size() == 1);
    env.Advance(120);
    auto again = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(again.flow_done);
    CHECK(Contains(again.text, "刚刚重置过"));
    CHECK(env.sms.sent.size() == 1);
    // Unlock is not a reset: still allowed (once she is locked out again).
    env.directory.accounts["alice"].locked = true;
    CHECK_FALSE(env.svc->Start("alice", Purpose::kUnlock).flow_done);
    (void)env.svc->Input("alice", "取消");
    env.Advance(env.cfg.min_reset_interval_min * 60);
    CHECK_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
}

TEST_CASE("reset: unknown user — no mobile — protected and unknown accounts are refused",
          "[unit]") {
    ResetEnv env;
    env.directory.accounts["alice"].locked = true;  // something to unlock
    auto unknown = env.svc->Start("stranger", Purpose::kResetPassword);
    CHECK(unknown.flow_done);
    CHECK(Contains(unknown.text, "未找到"));

    env.users.users["bob"] = {"bob", ""};
    env.directory.Add("bob", std::nullopt);
    auto no_mobile = env.svc->Start("bob", Purpose::kResetPassword);
    CHECK(no_mobile.flow_done);
    CHECK(Contains(no_mobile.text, "未登记"));

    env.users.users["carol"] = {"carol", ""};
    env.directory.Add("carol", "13900000003");  // mobile only in the directory: used
    auto carol = env.svc->Start("carol", Purpose::kResetPassword);
    CHECK_FALSE(carol.flow_done);
    CHECK(Contains(carol.text, "139****0003"));

    env.users.users["root"] = {"administrator", "13700000004"};
    env.directory.Add("administrator", std::nullopt, true);
    auto prot = env.svc->Start("root", Purpose::kResetPassword);
    CHECK(prot.flow_done);
    CHECK(Contains(prot.text, "受保护"));

    env.users.users["dave"] = {"dave", "13600000005"};  // not in the directory
    auto gone = env.svc->Start("dave", Purpose::kUnlock);
    CHECK(gone.flow_done);
    CHECK(Contains(gone.text, "未找到账号"));

    CHECK(env.sms.sent.size() == 1);  // carol only
    CHECK(env.directory.Unchanged());
    CHECK(env.HasAudit("start", "refused"));
}

TEST_CASE("reset: directory unavailable is a clear answer and changes nothing", "[unit]") {
    ResetEnv env("temp_password");
    env.directory.find_error = Fail(wedesk::Errc::kUnavailable, "ldap://dc1: timeout");
    auto r = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(r.flow_done);
    CHECK(r.text == "目录服务暂时不可用，请稍后再试，IT已收到提醒。");
    CHECK(env.sms.sent.empty());

    env.directory.find_error.reset();
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    env.directory.write_error = Fail(wedesk::Errc::kUnavailable, "connection reset");
    auto w = env.svc->Input("alice", env.sms.LastCode());
    CHECK(w.flow_done);
    CHECK_FALSE(w.sensitive);
    CHECK(Contains(w.text, "目录服务暂时不可用"));
    CHECK(env.directory.Unchanged());
    CHECK(env.notifier.texts.empty());
    CHECK(env.svc->Counters().directory_errors == 2);
}

TEST_CASE("reset: SMS provider down - told by message, and every attempt counts toward the caps",
          "[unit][security]") {
    // The SMS goes out after the step committed (outside the write lock), so the chat reply
    // cannot know the outcome: a failure is reported by app message and ends the session.
    ResetEnv env;
    env.sms.fail = Fail(wedesk::Errc::kUnavailable, "timeout");
    auto r = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(Contains(r.text, "验证码已发送"));
    CHECK_FALSE(env.svc->InFlow("alice"));
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(env.notifier.texts[0].first == "alice");
    CHECK(Contains(env.notifier.texts[0].second, "短信发送失败"));
    CHECK(Contains(env.svc->Input("alice", "123456").text, "当前没有进行中的验证"));
    // A failed attempt counts: asking again at once meets the cool-down, the gateway is spared
    // (a failing gateway used to allow one send per message: SMS bombing).
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "发送过于频繁"));
    CHECK(env.sms.calls == 1);
    // ... and the hourly cap: max_sends_per_hour attempts, failed or not, then refused.
    for (int i = 1; i < env.cfg.max_sends_per_hour; ++i) {
        env.Advance(env.cfg.resend_cooldown_s + 1);
        (void)env.svc->Start("alice", Purpose::kResetPassword);
    }
    CHECK(env.sms.calls == env.cfg.max_sends_per_hour);
    env.Advance(env.cfg.resend_cooldown_s + 1);
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "每小时上限"));
    CHECK(env.sms.calls == env.cfg.max_sends_per_hour);
    env.sms.fail.reset();
    env.Advance(3600);
    CHECK_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    CHECK(env.sms.sent.size() == 1);
    CHECK(env.svc->InFlow("alice"));
    CHECK(env.directory.Unchanged());
    const auto c = env.svc->Counters();
    CHECK(c.sms_failed == static_cast<std::uint64_t>(env.cfg.max_sends_per_hour));
    CHECK(c.sms_sent == 1);
    CHECK(env.HasAudit("code_sent", "failed"));
}

TEST_CASE("reset: the server-wide SMS budget stops codes for everyone and is reported",
          "[unit][security]") {
    ResetEnv env;
    env.cfg.sms_budget_per_hour = 2;
    env.Rebuild();
    for (const char* who : {"u1", "u2", "u3"}) {
        env.users.users[who] = {who, std::string("1380000010") + who[1]};
        env.directory.Add(who, std::string("1380000010") + who[1]);
    }
    CHECK(Contains(env.svc->Start("u1", Purpose::kResetPassword).text, "验证码已发送"));
    CHECK(Contains(env.svc->Start("u2", Purpose::kResetPassword).text, "验证码已发送"));
    CHECK(Contains(env.svc->Start("u3", Purpose::kResetPassword).text, "系统上限"));
    CHECK(env.sms.calls == 2);
    CHECK(env.svc->Counters().sms_budget_refused == 1);
    env.Advance(3601);
    CHECK(Contains(env.svc->Start("u3", Purpose::kResetPassword).text, "验证码已发送"));
}

TEST_CASE("reset: wrong codes count per user and phone over 24 h, across sessions",
          "[unit][security]") {
    ResetEnv env;
    env.cfg.max_attempts = 4;
    env.cfg.max_wrong_codes_per_day = 6;
    env.Rebuild();
    auto wrong_codes = [&](int n) {
        std::string last;
        for (int i = 0; i < n; ++i) {
            last = env.svc->Input("alice", ReadyWrong(env)).text;
        }
        return last;
    };
    REQUIRE_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    CHECK(Contains(wrong_codes(3), "还可尝试1次"));
    // A new session used to start again at 0 wrong codes.
    env.Advance(61);
    REQUIRE_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    CHECK(Contains(wrong_codes(2), "还可尝试"));
    const std::string closed = wrong_codes(1);  // the 6th in 24 h
    CHECK(Contains(closed, "自助服务已关闭"));
    CHECK(Contains(closed, "请工程师重新开通"));
    CHECK_FALSE(env.svc->InFlow("alice"));
    env.Advance(3600);
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "自助服务已关闭"));
    CHECK(env.svc->Counters().closed == 1);
    // IT reopens it.
    CHECK(env.svc->Reopen("alice") == 6);
    CHECK(env.HasAudit("admin_unlock", "ok"));
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "验证码已发送"));
    SECTION("or the window passes") {
        ResetEnv other;
        other.cfg.max_wrong_codes_per_day = 2;
        other.Rebuild();
        REQUIRE_FALSE(other.svc->Start("alice", Purpose::kResetPassword).flow_done);
        (void)other.svc->Input("alice", ReadyWrong(other));
        CHECK(Contains(other.svc->Input("alice", ReadyWrong(other)).text, "自助服务已关闭"));
        other.Advance(86400 - 120);
        CHECK(Contains(other.svc->Start("alice", Purpose::kResetPassword).text, "已关闭"));
        other.Advance(121);
        CHECK(Contains(other.svc->Start("alice", Purpose::kResetPassword).text, "验证码已发送"));
    }
}

TEST_CASE("reset: a resend that cannot be sent leaves the previous code valid", "[unit]") {
    ResetEnv env;
    REQUIRE_FALSE(env.svc->Start("alice", Purpose::kResetPassword).flow_done);
    const std::string first = env.sms.LastCode();
    env.Advance(61);
    env.sms.fail = Fail(wedesk::Errc::kUnavailable, "timeout");
    CHECK(Contains(env.svc->Input("alice", "重发").text, "新的验证码已发送"));
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(Contains(env.notifier.texts[0].second, "之前收到的验证码在有效期内仍可使用"));
    CHECK(env.svc->InFlow("alice"));
    CHECK(Contains(env.svc->Input("alice", first).text, "/reset/"));
}

TEST_CASE("reset: the SMS is sent after the step committed, with no write lock held", "[unit]") {
    ResetEnv env;
    bool lock_free = false;
    bool session_committed = false;
    env.sms.on_send = [&] {
        // Another write can start now: a slow provider holds no other message up.
        store::WriteTx probe(*env.db);
        probe.Commit();
        lock_free = true;
        std::thread([&] { session_committed = env.svc->InFlow("alice"); }).join();
    };
    auto r = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK_FALSE(r.flow_done);
    CHECK(lock_free);
    CHECK(session_committed);  // seen from another connection: the step was committed first
    REQUIRE(env.sms.sent.size() == 1);
    // A resend goes the same way.
    lock_free = false;
    env.Advance(61);
    CHECK(Contains(env.svc->Input("alice", "重发").text, "新的验证码已发送"));
    CHECK(lock_free);
    CHECK(env.sms.sent.size() == 2);
}

TEST_CASE("reset: not set up without a directory or an SMS sender", "[unit]") {
    ResetEnv env;
    env.Rebuild(false, true);
    auto a = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(a.flow_done);
    CHECK(a.text == "本服务台暂未开通自助重置，请回复 转人工，由工程师为您处理。");
    env.Rebuild(true, false);
    CHECK(env.svc->Start("alice", Purpose::kUnlock).text ==
          "本服务台暂未开通自助重置，请回复 转人工，由工程师为您处理。");
    CHECK(env.sms.sent.empty());
}

TEST_CASE("reset: 取消 ends the flow", "[unit]") {
    ResetEnv env;
    (void)env.svc->Start("alice", Purpose::kResetPassword);
    const std::string code = env.sms.LastCode();
    auto r = env.svc->Input("alice", "取消");
    CHECK(r.flow_done);
    CHECK_FALSE(env.svc->InFlow("alice"));
    auto late = env.svc->Input("alice", code);
    CHECK(late.flow_done);
    CHECK(Contains(late.text, "没有进行中"));
    CHECK(env.directory.Unchanged());
}

// ---------------------------------------------------------------- the directory after commit

TEST_CASE("reset: no directory call inside the step — the outcome follows its commit", "[unit]") {
    ResetEnv env;
    std::optional<FollowUp::Text> answered;
    bool answer_called = false;
    {
        store::WriteTx tx(*env.db);  // the pipeline's transaction
        auto r = env.svc->Start("alice", Purpose::kResetPassword);
        CHECK(Contains(r.text, "正在核对"));
        CHECK_FALSE(r.flow_done);
        REQUIRE(r.follow_up);
        CHECK(env.directory.finds == 0);
        CHECK(env.sms.sent.empty());
        r.follow_up->Arm([&](std::optional<FollowUp::Text> t) {
            answer_called = true;
            answered = std::move(t);
        });
        tx.Commit();  // the lookup, its outcome step and the SMS run after this
    }
    CHECK(env.directory.finds == 1);
    REQUIRE(answer_called);
    REQUIRE(answered);
    CHECK(Contains(answered->text, "验证码已发送至 138****0001"));
    CHECK(env.sms.sent.size() == 1);
    CHECK(env.notifier.texts.empty());  // it went in the passive reply
    CHECK(env.svc->InFlow("alice"));
}

TEST_CASE("reset: an outcome after the passive reply went out comes by message", "[unit]") {
    ResetEnv env("temp_password");
    {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Start("alice", Purpose::kResetPassword);
        REQUIRE(r.follow_up);
        r.follow_up->Arm([](std::optional<FollowUp::Text>) {});
        r.follow_up->Expire();  // the pipeline's wait ended: the interim text was the reply
        tx.Commit();
    }
    REQUIRE(env.notifier.texts.size() == 1);
    CHECK(Contains(env.notifier.texts[0].second, "验证码已发送至 138****0001"));
    SECTION("a temporary password that comes late is sent sealed (SendSecretText)") {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Input("alice", env.sms.LastCode());
        REQUIRE(r.follow_up);
        CHECK_FALSE(Contains(r.text, "临时密码："));
        r.follow_up->Arm([](std::optional<FollowUp::Text>) {});
        r.follow_up->Expire();
        tx.Commit();
        REQUIRE(env.directory.sets.size() == 1);
        REQUIRE(env.notifier.secrets.size() == 1);
        CHECK(Contains(env.notifier.secrets[0].second, env.directory.sets[0].password));
        for (const auto& [to, text] : env.notifier.texts) {
            CHECK_FALSE(Contains(text, env.directory.sets[0].password));
        }
    }
}

TEST_CASE("reset: 取消 while the account is being checked stops the code", "[unit]") {
    ResetEnv env;
    {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Start("alice", Purpose::kResetPassword);
        REQUIRE(r.follow_up);
        CHECK(env.svc->InFlow("alice"));
        CHECK(Contains(env.svc->Input("alice", "123456").text, "正在核对"));
        CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "正在处理"));
        auto c = env.svc->Input("alice", "取消");
        CHECK(c.flow_done);
        tx.Commit();
    }
    CHECK(env.directory.finds == 1);  // the lookup ran, but its outcome was dropped
    CHECK(env.sms.sent.empty());
    CHECK(env.notifier.texts.empty());
    CHECK_FALSE(env.svc->InFlow("alice"));
}

TEST_CASE("reset: with the directory's circuit open, nothing is queued and no code is spent",
          "[unit]") {
    ResetEnv env;
    env.directory.accounts["alice"].locked = true;  // something to unlock
    env.directory.available = false;
    auto r = env.svc->Start("alice", Purpose::kUnlock);
    CHECK(r.flow_done);
    CHECK_FALSE(r.follow_up);
    CHECK(Contains(r.text, "目录服务暂时不可用"));
    CHECK(env.directory.finds == 0);
    CHECK(env.sms.sent.empty());
    CHECK_FALSE(env.svc->InFlow("alice"));

    env.directory.available = true;
    REQUIRE_FALSE(env.svc->Start("alice", Purpose::kUnlock).flow_done);
    const std::string code = env.sms.LastCode();
    env.directory.available = false;
    auto down = env.svc->Input("alice", code);
    CHECK_FALSE(down.flow_done);
    CHECK(Contains(down.text, "目录服务暂时不可用"));
    env.directory.available = true;
    auto ok = env.svc->Input("alice", code);  // the same code still works
    CHECK(Contains(ok.text, "已解锁"));
    CHECK(env.directory.unlocks.size() == 1);
}

TEST_CASE("reset: the code goes to the directory's number, never to an imported one by default",
          "[unit][security]") {
    ResetEnv env;
    env.users.users["alice"] = {"alice", "13999999999"};  // an import pointing elsewhere
    auto r = env.svc->Start("alice", Purpose::kResetPassword);
    CHECK(Contains(r.text, "138****0001"));
    REQUIRE(env.sms.sent.size() == 1);
    CHECK(env.sms.sent[0].phone == "+8613800000001");
    SECTION("a directory without a mobile: refused, unless allow_imported_mobile") {
        env.directory.Add("alice", std::nullopt);
        env.Advance(3600);
        CHECK(
            Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "未登记可用的手机号"));
        env.cfg.allow_imported_mobile = true;
        env.Rebuild();
        env.Advance(3600);
        CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "139****9999"));
    }
}

TEST_CASE("reset: the account as the directory spells it — interval, audit and owners' notice",
          "[unit][security]") {
    ResetEnv env("temp_password");
    // mallory's import maps her to "ALICE": the directory finds alice (case-insensitive).
    env.users.users["mallory"] = {"ALICE", ""};
    env.users.owners["alice"] = {"alice"};
    env.directory.Add("ALICE", std::nullopt);
    env.directory.accounts["ALICE"].account = "alice";
    env.directory.accounts["ALICE"].mobile = "+8613800000009";
    REQUIRE_FALSE(env.svc->Start("mallory", Purpose::kResetPassword).flow_done);
    auto done = env.svc->Input("mallory", env.sms.LastCode());
    CHECK(Contains(done.text, "账号：alice"));
    // The real owner hears of it, not only the requester.
    bool owner_told = false;
    for (const auto& [to, text] : env.notifier.texts) {
        owner_told = owner_told || (to == "alice" && Contains(text, "alice"));
    }
    CHECK(owner_told);
    CHECK(env.HasAudit("temp_password_set", "ok"));
    for (const auto& row : env.svc->Audit("mallory", 10)) {
        if (row.action == "temp_password_set") {
            CHECK(row.account == "alice");
        }
    }
    // The interval applies to the account, however it is spelled.
    env.users.users["alice"] = {"alice", ""};
    env.directory.accounts["alice"].mobile = "+8613800000001";
    env.Advance(61);
    CHECK(Contains(env.svc->Start("alice", Purpose::kResetPassword).text, "刚刚重置过密码"));
}
