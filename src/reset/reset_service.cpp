#include "wedesk/reset/reset_service.hpp"

#include <algorithm>
#include <functional>
#include <optional>

#include "page.hpp"
#include "wedesk/common/digest.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/reset/password_policy.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::reset {

namespace {

constexpr std::size_t kCodeDigits = 6;
constexpr std::size_t kTokenChars = 43;  // ~256 bits from [A-Za-z0-9]
constexpr const char* kNotSetUp = "本服务台暂未开通自助重置，请回复 转人工，由工程师为您处理。";
constexpr const char* kBusy = "系统繁忙，请稍后再试；如持续出现请回复 转人工。";
constexpr const char* kCodeHint = "请回复短信中的6位验证码；回复 重发 重新发送，回复 取消 退出。";
constexpr const char* kConfirmTail = "如非本人操作，请立即回复 转人工 告诉IT工程师。";

std::string HmacHex(const std::string& key, const std::string& data) {
    return ToHex(HmacSha256(key, data));
}

const char* PurposeKey(Purpose p) { return p == Purpose::kUnlock ? "unlock" : "reset_password"; }

const char* PurposeName(Purpose p) { return p == Purpose::kUnlock ? "解锁账号" : "重置密码"; }

Purpose PurposeFrom(const std::string& key) {
    return key == "unlock" ? Purpose::kUnlock : Purpose::kResetPassword;
}

bool AllDigits(const std::string& s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool ValidTokenShape(const std::string& token) {
    if (token.size() < 32 || token.size() > 128) {
        return false;
    }
    for (char c : token) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string Minutes(int seconds) { return std::to_string(seconds >= 60 ? (seconds + 59) / 60 : 1); }

struct Session {
    std::string id;
    std::string userid;
    std::string account;
    std::string purpose;
    std::string phone;
    std::string code_hash;
    std::int64_t code_expires_at = 0;
    int attempts = 0;
    std::string state;  ///< checking | code_sent | applying | done | failed | ...
};

// A step waiting for the directory ('checking', 'applying') that has not heard back in this
// long was lost (a crash between the intent and the outcome): it no longer holds the user.
constexpr std::int64_t kPendingS = 120;

struct TokenRow {
    std::string token_hash;
    std::string session_id;
    std::string userid;
    std::string account;
    std::int64_t expires_at = 0;
    std::int64_t used_at = 0;
};

}  // namespace

struct ResetService::Impl {
    config::ResetConfig cfg;
    std::string public_url;
    store::Database& db;
    directory::Directory* dir;
    sms::SmsSender* sms;
    UserLookup& users;
    Notifier& notifier;
    Clock& clock;
    Random& random;
    Secret server_key;
    std::shared_ptr<spdlog::logger> log = log::Get("reset");

    std::atomic<std::uint64_t> sms_sent{0}, sms_failed{0}, codes_ok{0}, codes_wrong{0}, locked{0},
        refused{0}, passwords_set{0}, unlocks{0}, directory_errors{0}, budget_refused{0}, closed{0};
    std::atomic<std::int64_t> budget_alerted_at{0};  // last budget alert (unix s), one per 5 min

    Impl(const config::ResetConfig& c, std::string url, store::Database& d,
         directory::Directory* di, sms::SmsSender* s, UserLookup& u, Notifier& n, Clock& cl,
         Random& r, Secret key)
        : cfg(c),
          public_url(std::move(url)),
          db(d),
          dir(di),
          sms(s),
          users(u),
          notifier(n),
          clock(cl),
          random(r),
          server_key(std::move(key)) {
        while (!public_url.empty() && public_url.back() == '/') {
            public_url.pop_back();
        }
    }

    std::int64_t Now() const { return clock.NowSeconds(); }

    std::string CodeHash(const std::string& session_id, const std::string& code) const {
        return HmacHex(server_key.Reveal(), session_id + code);
    }
    std::string TokenHash(const std::string& token) const {
        return HmacHex(server_key.Reveal(), "token:" + token);
    }

    // ------------------------------------------------------------------ storage

    void AuditLog(store::Conn& c, const std::string& userid, const std::string& account,
                  const std::string& action, const std::string& outcome,
                  const std::string& detail = "") {
        store::Query st(c,
                        "INSERT INTO reset_audit(at, userid, account, action, outcome, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
        st.bind(1, static_cast<std::int64_t>(Now()));
        st.bind(2, userid);
        st.bind(3, account);
        st.bind(4, action);
        st.bind(5, outcome);
        st.bind(6, detail);
        st.exec();
        log->info("{} {} account={} user={}{}{}", action, outcome, account, userid,
                  detail.empty() ? "" : ": ", detail);
    }

    // The columns SessionFrom reads, up to the WHERE of the caller's condition.
    static constexpr const char* kSessionSelect =
        "SELECT id, userid, account, purpose, phone, code_hash, code_expires_at, attempts, state "
        "FROM reset_sessions WHERE ";
    static Session SessionFrom(store::Query& st) {
        Session s;
        s.id = st.getColumn(0).getString();
        s.userid = st.getColumn(1).getString();
        s.account = st.getColumn(2).getString();
        s.purpose = st.getColumn(3).getString();
        s.phone = st.getColumn(4).getString();
        s.code_hash = st.getColumn(5).getString();
        s.code_expires_at = st.getColumn(6).getInt64();
        s.attempts = st.getColumn(7).getInt();
        s.state = st.getColumn(8).getString();
        return s;
    }

    // The user's open session: waiting for a code, or waiting for the directory (a pending
    // state younger than kPendingS; an older one was lost to a crash and no longer counts).
    std::optional<Session> OpenSession(store::Conn& c, const std::string& userid) {
        store::Query st(c, std::string(kSessionSelect) +
                               "userid = ?1 AND ((state = 'code_sent' AND expires_at > ?2) OR "
                               "(state IN ('checking', 'applying') AND updated_at > ?3)) "
                               "ORDER BY created_at DESC, rowid DESC LIMIT 1");
        st.bind(1, userid);
        st.bind(2, static_cast<std::int64_t>(Now()));
        st.bind(3, static_cast<std::int64_t>(Now() - kPendingS));
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return SessionFrom(st);
    }

    std::optional<Session> SessionById(store::Conn& c, const std::string& id) {
        store::Query st(c, std::string(kSessionSelect) + "id = ?");
        st.bind(1, id);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return SessionFrom(st);
    }

    // Self-service closed after max_wrong_codes_per_day wrong codes by this user, or to this
    // phone ("" = the user only), in the last 24 h: until the moment the count drops below
    // the limit again; 0 when open.
    std::int64_t ClosedUntil(store::Conn& c, const std::string& userid, const std::string& phone) {
        store::Query st(c,
                        "SELECT at FROM reset_wrong_codes WHERE cleared = 0 AND at > ?1 AND "
                        "(userid = ?2 OR (?3 != '' AND phone = ?3)) ORDER BY at DESC "
                        "LIMIT 1 OFFSET ?4");
        st.bind(1, static_cast<std::int64_t>(Now() - 86400));
        st.bind(2, userid);
        st.bind(3, phone);
        st.bind(4, cfg.max_wrong_codes_per_day - 1);
        if (!st.executeStep()) {
            return 0;
        }
        return st.getColumn(0).getInt64() + 86400;
    }

    ChatReply ClosedReply(store::Conn& c, const std::string& userid, const std::string& account,
                          std::int64_t until, const char* step) {
        AuditLog(c, userid, account, step, "refused", "closed after wrong codes in 24 h");
        ++refused;
        const auto hours = (until - Now() + 3599) / 3600;
        return {"验证码错误次数过多，自助服务已关闭，请" + std::to_string(hours) +
                    "小时后再试，或回复 转人工 请工程师重新开通。",
                true};
    }

    std::int64_t LockedUntil(store::Conn& c, const std::string& userid) {
        store::Query st(c,
                        "SELECT COALESCE(MAX(locked_until), 0) FROM reset_sessions "
                        "WHERE userid = ? AND locked_until > ?");
        st.bind(1, userid);
        st.bind(2, static_cast<std::int64_t>(Now()));
        st.executeStep();
        return st.getColumn(0).getInt64();
    }

    // Sends to this user or this number since `since` (both are capped).
    int SendsSince(store::Conn& c, const std::string& userid, const std::string& phone,
                   std::int64_t since) {
        store::Query st(c,
                        "SELECT COUNT(*) FROM reset_sends WHERE (userid = ? OR phone = ?) "
                        "AND sent_at > ?");
        st.bind(1, userid);
        st.bind(2, phone);
        st.bind(3, since);
        st.executeStep();
        return st.getColumn(0).getInt();
    }

    std::int64_t LastSend(store::Conn& c, const std::string& userid, const std::string& phone) {
        store::Query st(c,
                        "SELECT COALESCE(MAX(sent_at), 0) FROM reset_sends "
                        "WHERE userid = ? OR phone = ?");
        st.bind(1, userid);
        st.bind(2, phone);
        st.executeStep();
        return st.getColumn(0).getInt64();
    }

    // The last reset of `account`; with `include_unknown`, also one whose outcome a restart
    // could not tell (Recover): it may have happened.
    std::int64_t LastPasswordReset(store::Conn& c, const std::string& account,
                                   bool include_unknown) {
        store::Query st(c,
                        "SELECT COALESCE(MAX(at), 0) FROM reset_audit WHERE account = ? "
                        "AND action IN ('password_set', 'temp_password_set') "
                        "AND (outcome = 'ok' OR (? AND outcome = 'unknown'))");
        st.bind(1, account);
        st.bind(2, include_unknown ? 1 : 0);
        st.executeStep();
        return st.getColumn(0).getInt64();
    }

    void SetState(store::Conn& c, const std::string& session_id, const std::string& state) {
        store::Query st(c,
                        "UPDATE reset_sessions SET state = ?, code_hash = '', "
                        "updated_at = ? WHERE id = ?");
        st.bind(1, state);
        st.bind(2, static_cast<std::int64_t>(Now()));
        st.bind(3, session_id);
        st.exec();
    }

    void RecordSend(store::Conn& c, const std::string& userid, const std::string& phone) {
        store::Query st(c, "INSERT INTO reset_sends(userid, phone, sent_at) VALUES (?, ?, ?)");
        st.bind(1, userid);
        st.bind(2, phone);
        st.bind(3, static_cast<std::int64_t>(Now()));
        st.exec();
    }

    std::optional<TokenRow> FindToken(store::Conn& c, const std::string& token) {
        const std::string hash = TokenHash(token);
        store::Query st(c,
                        "SELECT token_hash, session_id, userid, account, expires_at, "
                        "used_at FROM reset_tokens WHERE token_hash = ?");
        st.bind(1, hash);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        TokenRow t;
        t.token_hash = st.getColumn(0).getString();
        if (!ConstantTimeEquals(t.token_hash, hash)) {
            return std::nullopt;
        }
        t.session_id = st.getColumn(1).getString();
        t.userid = st.getColumn(2).getString();
        t.account = st.getColumn(3).getString();
        t.expires_at = st.getColumn(4).getInt64();
        t.used_at = st.getColumn(5).getInt64();
        return t;
    }

    // ------------------------------------------------------------------ user texts

    std::string DirectoryText(const Error& e, const std::string& account, const std::string& what) {
        if (e.code == Errc::kNotFound) {
            return "目录中未找到账号 " + account + "，无法自助" + what +
                   "，请回复 转人工 找工程师。";
        }
        if (e.code == Errc::kProtected) {
            return "账号 " + account + " 为受保护账号，不能自助" + what +
                   "，请回复 转人工，由工程师处理。";
        }
        if (e.code == Errc::kPolicy) {
            return "新密码不符合目录的密码策略：" + e.message;
        }
        ++directory_errors;
        if (e.code == Errc::kBusy) {
            log->warn("directory busy during {} for account {}: {}", what, account, e.message);
            return "目录服务繁忙，请稍后再试。";
        }
        if (e.code == Errc::kUnavailable) {
            log->error(
                "directory unavailable during {} for account {}: {} — IT: check the "
                "directory connection",
                what, account, e.message);
            return "目录服务暂时不可用，请稍后再试，IT已收到提醒。";
        }
        log->error("directory refused {} for account {}: {} ({}) — IT: check the service account",
                   what, account, e.CodeText(), e.message);
        return "操作未能完成，IT已收到提醒，请回复 转人工 跟进。";
    }

    static std::string SmsText(const Error& e) {
        if (e.code == Errc::kRateLimited) {
            return "短信发送过于频繁，请稍后再试。";
        }
        if (e.code == Errc::kBadNumber) {
            return "登记的手机号无法接收短信，请回复 转人工，请工程师更新手机号。";
        }
        return "验证码短信发送失败，请稍后再试；如多次失败请回复 转人工。";
    }

    // ------------------------------------------------------------------ chat flow

    // A fresh code for `session_id`: returns its hash. The send counts against cool-down and
    // caps now; the SMS itself goes out once this step has committed, outside the write lock,
    // so a slow provider does not hold up every other message (Database::AfterCommit). The
    // code lives only in that action's memory.
    // For a resend, `previous` is the code it replaces: if the new one cannot be sent, the
    // previous one stays valid.
    struct PreviousCode {
        std::string hash;
        std::int64_t expires_at = 0;
    };
    std::string QueueCode(store::Conn& c, const std::string& session_id, const std::string& userid,
                          const std::string& account, const std::string& phone, Purpose purpose,
                          std::optional<PreviousCode> previous = std::nullopt) {
        sms::SmsMessage m;
        m.phone_e164 = phone;
        m.purpose = PurposeKey(purpose);
        m.ttl_s = cfg.code_ttl_s;
        std::string code = random.Digits(kCodeDigits);
        std::string hash = CodeHash(session_id, code);
        m.code = Secret(code);
        WipeString(code);
        RecordSend(c, userid, phone);
        const std::int64_t send_id = c.getLastInsertRowid();
        db.AfterCommit(
            [this, m = std::move(m), session_id, userid, account, send_id, hash, previous] {
                SendQueued(m, session_id, userid, account, send_id, hash, previous);
            });
        return hash;
    }

    // After the step that queued the code committed: the SMS, then its outcome in a short
    // step of its own. A failed send still counts against the caps (an erroring gateway must
    // not allow unlimited sends) and is told to the user by app message (their chat reply
    // already went out); it ends a new session, while a failed resend leaves the previous
    // code valid.
    void SendQueued(const sms::SmsMessage& m, const std::string& session_id,
                    const std::string& userid, const std::string& account, std::int64_t send_id,
                    const std::string& hash, const std::optional<PreviousCode>& previous) {
        auto sent = sms->Send(m);
        if (!sent) {
            ++sms_failed;
            if (sent.error().code == Errc::kRejected) {
                log->error(
                    "SMS provider {} refused the request: {} — IT: check the SMS "
                    "configuration",
                    sms->Name(), sent.error().message);
            }
        } else {
            ++sms_sent;
        }
        try {
            store::StepTx tx(db, "wedesk_reset_sms");
            auto& c = tx.Conn();
            if (sent) {
                AuditLog(c, userid, account, "code_sent", "ok",
                         std::string(m.purpose) + " to " + sms::MaskPhone(m.phone_e164) + " via " +
                             sms->Name());
            } else {
                // The attempt still counts toward cool-down, caps and the budget (reset_sends
                // keeps it): a failing gateway must not turn into unlimited retries.
                AuditLog(c, userid, account, "code_sent", "failed",
                         sms->Name() + " " + sent.error().CodeText() + " (send " +
                             std::to_string(send_id) + ")");
                // Only while the session still waits for this very code.
                store::Query st(c, previous ? "UPDATE reset_sessions SET code_hash = ?4, "
                                              "code_expires_at = ?5, updated_at = ?1 WHERE "
                                              "id = ?2 AND state = 'code_sent' AND code_hash = ?3"
                                            : "UPDATE reset_sessions SET state = 'send_failed', "
                                              "code_hash = '', updated_at = ?1 WHERE id = ?2 AND "
                                              "state = 'code_sent' AND code_hash = ?3");
                st.bind(1, static_cast<std::int64_t>(Now()));
                st.bind(2, session_id);
                st.bind(3, hash);
                if (previous) {
                    st.bind(4, previous->hash);
                    st.bind(5, previous->expires_at);
                }
                if (st.exec() == 1) {
                    notifier.SendText(
                        userid, SmsText(sent.error()) +
                                    (previous ? "之前收到的验证码在有效期内仍可使用；也可稍后回复 "
                                                "重发 再试，回复 取消 退出。"
                                              : "需要时请再次发送 重置密码 或 解锁账号。"));
                }
            }
            tx.Commit();
        } catch (const std::exception& e) {
            log->error("recording the SMS outcome for {} failed: {}", userid, e.what());
        }
    }

    // The server-wide SMS budget (every attempt counts): past it nobody gets a code, and IT
    // hears of it (an error log at most every 5 minutes, and the metric).
    std::optional<std::string> BudgetRefusal(store::Conn& c, const std::string& userid,
                                             const std::string& account) {
        const std::int64_t now = Now();
        auto sends_since = [&](std::int64_t since) {
            store::Query st(c, "SELECT COUNT(*) FROM reset_sends WHERE sent_at > ?");
            st.bind(1, since);
            st.executeStep();
            return st.getColumn(0).getInt64();
        };
        const char* window = nullptr;
        std::int64_t budget = 0;
        if (sends_since(now - 3600) >= cfg.sms_budget_per_hour) {
            window = "hour";
            budget = cfg.sms_budget_per_hour;
        } else if (sends_since(now - 86400) >= cfg.sms_budget_per_day) {
            window = "day";
            budget = cfg.sms_budget_per_day;
        }
        if (window == nullptr) {
            return std::nullopt;
        }
        ++budget_refused;
        ++refused;
        AuditLog(c, userid, account, "send", "refused", std::string("sms budget per ") + window);
        if (const auto last = budget_alerted_at.load(); now - last >= 300) {
            budget_alerted_at = now;
            log->error(
                "the SMS budget of {} codes per {} is used up: no codes are sent until it "
                "frees — IT: check reset_audit for abuse, or raise reset.sms_budget_per_{}",
                budget, window, window);
        }
        return "验证码短信发送量已达系统上限，请稍后再试，或回复 转人工。";
    }

    // Cool-down and caps; the user text when refused.
    std::optional<std::string> SendRefusal(store::Conn& c, const std::string& userid,
                                           const std::string& account, const std::string& phone,
                                           std::int64_t* wait_s) {
        const std::int64_t now = Now();
        if (auto refusal = BudgetRefusal(c, userid, account)) {
            return refusal;
        }
        const std::int64_t last = LastSend(c, userid, phone);
        if (last > 0 && now - last < cfg.resend_cooldown_s) {
            *wait_s = cfg.resend_cooldown_s - (now - last);
            AuditLog(c, userid, account, "send", "refused", "cool-down");
            ++refused;
            return "发送过于频繁，请" + std::to_string(*wait_s) + "秒后再试。";
        }
        if (SendsSince(c, userid, phone, now - 3600) >= cfg.max_sends_per_hour) {
            AuditLog(c, userid, account, "send", "refused", "hourly cap");
            ++refused;
            return "验证码发送次数已达每小时上限，请一小时后再试，或回复 转人工 找工程师。";
        }
        if (SendsSince(c, userid, phone, now - 86400) >= cfg.max_sends_per_day) {
            AuditLog(c, userid, account, "send", "refused", "daily cap");
            ++refused;
            return "验证码发送次数已达今日上限，请明天再试，或回复 转人工 找工程师。";
        }
        return std::nullopt;
    }

    // A change to `account` is told to the requester and to everyone the user mapping names as
    // its owner (a wrong mapping must not change someone's password unnoticed).
    void NotifyOwners(const std::string& requester, const std::string& account,
                      const std::string& text) {
        std::vector<std::string> to{text::AsciiLower(requester)};
        for (auto& owner : users.OwnersOf(account)) {
            owner = text::AsciiLower(owner);
            if (std::find(to.begin(), to.end(), owner) == to.end()) {
                to.push_back(owner);
            }
        }
        for (const auto& u : to) {
            notifier.SendText(u, text);
        }
    }

    // ------------------------------------------------------------------ directory calls

    // Registers `call` to run once the calling step has committed (on the server's external
    // pool; at once after commit for a step in its own transaction), and returns the interim
    // reply that carries its FollowUp. `call` talks to the directory and then Concludes.
    ChatReply AfterCommitCall(std::string interim,
                              std::function<void(const std::shared_ptr<FollowUp>&)> call) {
        auto fu = std::make_shared<FollowUp>();
        db.AfterCommit([fu, call = std::move(call)] { call(fu); });
        ChatReply r{std::move(interim), false};
        r.follow_up = std::move(fu);
        return r;
    }

    // The step recording a directory call's outcome: `record` writes it and returns what to
    // tell the user (nothing when the session moved on meanwhile, e.g. 取消). The text goes in
    // the passive reply while that is still open, otherwise as an app message from the same
    // step. It is handed over right after commit, before the step's own after-commit actions
    // (the SMS), so a slow SMS gateway does not delay it.
    void Conclude(const std::shared_ptr<FollowUp>& fu, const std::string& userid,
                  const std::function<std::optional<ChatReply>(store::Conn&)>& record) {
        bool claimed = false;
        try {
            store::StepTx tx(db, "wedesk_reset_outcome");
            claimed = fu->Claim();
            auto text = std::make_shared<std::optional<FollowUp::Text>>();
            if (claimed) {
                db.AfterCommit([fu, text] {
                    if (*text) {
                        fu->Deliver(std::move(**text));
                    } else {
                        fu->Abandon();
                    }
                });
            }
            if (auto reply = record(tx.Conn())) {
                if (claimed) {
                    *text = FollowUp::Text{std::move(reply->text), reply->sensitive};
                } else if (reply->sensitive) {
                    notifier.SendSecretText(userid, reply->text);
                } else {
                    notifier.SendText(userid, reply->text);
                }
            }
            tx.Commit();
        } catch (const std::exception& e) {
            log->error("recording a directory outcome for {} failed: {}", userid, e.what());
            if (claimed) {
                fu->Abandon();
            }
        }
    }

    // A caller without a pipeline: the final text when the outcome is known already.
    ChatReply Settle(ChatReply reply, const std::string& userid) {
        if (!reply.follow_up) {
            return reply;
        }
        if (auto done = reply.follow_up->TakeIfDelivered()) {
            ChatReply r{std::move(done->text), false, done->sensitive};
            r.flow_done = !OpenSession(db.Conn(), userid).has_value();
            return r;
        }
        return reply;
    }

    static constexpr const char* kChecking = "正在核对您的账号，请稍候，结果会马上发给您。";
    static constexpr const char* kApplying = "验证码正确，正在处理，请稍候，结果会马上发给您。";

    ChatReply DirectoryDown(store::Conn& c, const std::string& userid, const std::string& account,
                            const std::string& step) {
        AuditLog(c, userid, account, step, "failed", "directory unavailable (circuit open)");
        ++directory_errors;
        return {"目录服务暂时不可用，请稍后再试，IT已收到提醒。", true};
    }

    // 重置密码 / 解锁账号: what needs no directory is decided here; the account lookup runs
    // after commit (LookUp) and its outcome step sends the code.
    ChatReply StartIn(store::Conn& c, const std::string& userid, Purpose purpose) {
        const std::string what = PurposeName(purpose);
        const std::int64_t now = Now();
        if (const auto until = ClosedUntil(c, userid, ""); until > now) {
            return ClosedReply(c, userid, "", until, "start");
        }
        if (const auto until = LockedUntil(c, userid); until > now) {
            AuditLog(c, userid, "", "start", "refused", "locked");
            ++refused;
            return {"验证码错误次数过多，自助服务已暂时锁定，请" +
                        Minutes(static_cast<int>(until - now)) +
                        "分钟后再试，或回复 转人工 找工程师。",
                    true};
        }
        const UserInfo user = users.Find(userid);
        if (user.account.empty()) {
            AuditLog(c, userid, "", "start", "refused", "no account on file");
            ++refused;
            return {
                "未找到与您的企业微信绑定的域账号，无法自助" + what + "，请回复 转人工 找工程师。",
                true};
        }
        const auto open = OpenSession(c, userid);
        if (open && open->state != "code_sent") {
            return {"上一个请求正在处理，请稍候。", false};
        }
        if (open && open->purpose == PurposeKey(purpose)) {
            // Asked again during the cool-down: where the code went, no new lookup.
            const std::int64_t last = LastSend(c, userid, open->phone);
            if (last > 0 && now - last < cfg.resend_cooldown_s) {
                return {"验证码已发送至 " + sms::MaskPhone(open->phone) +
                            "。请回复短信中的6位验证码；" +
                            std::to_string(cfg.resend_cooldown_s - (now - last)) +
                            "秒后可回复 重发 重新发送，回复 取消 退出。",
                        false};
            }
        }
        if (!dir->Available()) {
            return DirectoryDown(c, userid, user.account, "start");
        }
        const std::string session_id = random.Alnum(24);
        store::Query st(c,
                        "INSERT INTO reset_sessions(id, userid, account, purpose, phone, "
                        "state, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, '', "
                        "'checking', ?, ?, ?)");
        st.bind(1, session_id);
        st.bind(2, userid);
        st.bind(3, user.account);
        st.bind(4, PurposeKey(purpose));
        st.bind(5, static_cast<std::int64_t>(now + kPendingS));
        st.bind(6, static_cast<std::int64_t>(now));
        st.bind(7, static_cast<std::int64_t>(now));
        st.exec();
        return AfterCommitCall(kChecking,
                               [this, session_id, userid, user, purpose](const auto& fu) {
                                   auto acct = dir->Find(user.account);  // no transaction open here
                                   Conclude(fu, userid, [&](store::Conn& oc) {
                                       return LookedUp(oc, session_id, userid, user, purpose, acct);
                                   });
                               });
    }

    // The lookup's outcome: refuse, or send the code.
    std::optional<ChatReply> LookedUp(store::Conn& c, const std::string& session_id,
                                      const std::string& userid, const UserInfo& user,
                                      Purpose purpose, const Result<directory::Account>& acct) {
        const auto self = SessionById(c, session_id);
        if (!self || self->state != "checking") {
            return std::nullopt;  // cancelled meanwhile
        }
        const std::string what = PurposeName(purpose);
        auto end = [&](const std::string& text) -> std::optional<ChatReply> {
            SetState(c, session_id, "failed");
            return ChatReply{text, true};
        };
        if (!acct) {
            AuditLog(c, userid, user.account, "start", "failed",
                     "directory " + acct.error().CodeText());
            if (acct.error().code == Errc::kNotFound || acct.error().code == Errc::kProtected) {
                ++refused;
            }
            return end(DirectoryText(acct.error(), user.account, what));
        }
        // From here on the account as the directory spells it: the interval, the audit and
        // the session (so a case variant in the import is the same account).
        const std::string account = acct->account.empty() ? user.account : acct->account;
        if (acct->is_protected) {
            AuditLog(c, userid, account, "start", "refused", "protected account");
            ++refused;
            return end("账号 " + account + " 为受保护账号，不能自助" + what +
                       "，请回复 转人工，由工程师处理。");
        }
        if (purpose == Purpose::kUnlock && !acct->locked) {
            // Nothing to unlock: no SMS, and no claim of 已解锁.
            AuditLog(c, userid, account, "start", "refused", "not locked");
            ++refused;
            return end(
                "账号 " + account +
                " 目前没有被锁定，无需解锁，可以直接登录。如果忘记了密码，请回复 重置密码。");
        }
        // The directory's mobile (mobile_attr) is the number of record; an imported one only
        // stands in where the directory has none and allow_imported_mobile says so (an
        // import must not be able to redirect someone's code).
        std::string raw_mobile = acct->mobile.value_or("");
        if (raw_mobile.empty() && cfg.allow_imported_mobile) {
            raw_mobile = user.mobile;
        }
        auto phone = sms::NormalizePhone(raw_mobile);
        if (raw_mobile.empty() || !phone) {
            AuditLog(c, userid, account, "start", "refused",
                     raw_mobile.empty() ? "no mobile on file" : "mobile not usable");
            ++refused;
            return end("您的账号未登记可用的手机号，无法自助" + what +
                       "，请回复 转人工，请工程师登记手机号。");
        }
        if (const auto until = ClosedUntil(c, userid, *phone); until > Now()) {
            SetState(c, session_id, "failed");
            return ClosedReply(c, userid, account, until, "start");
        }
        if (purpose == Purpose::kResetPassword) {
            if (auto r = IntervalRefusal(c, userid, account)) {
                return end(*r);
            }
        }
        std::int64_t wait = 0;
        if (auto refusal = SendRefusal(c, userid, account, *phone, &wait)) {
            return end(*refusal);
        }
        // The code supersedes any earlier session still waiting for one.
        store::Query old(c,
                         "UPDATE reset_sessions SET state = 'superseded', code_hash = '', "
                         "updated_at = ?1 WHERE userid = ?2 AND id != ?3 AND state = "
                         "'code_sent'");
        old.bind(1, Now());
        old.bind(2, userid);
        old.bind(3, session_id);
        old.exec();
        const std::string hash = QueueCode(c, session_id, userid, account, *phone, purpose);
        const std::int64_t now = Now();
        store::Query st(c,
                        "UPDATE reset_sessions SET phone = ?, state = 'code_sent', "
                        "code_hash = ?, code_expires_at = ?, expires_at = ?, updated_at = ?, "
                        "account = ? WHERE id = ?");
        st.bind(1, *phone);
        st.bind(2, hash);
        st.bind(3, static_cast<std::int64_t>(now + cfg.code_ttl_s));
        st.bind(4, SessionEnd(now));
        st.bind(5, now);
        st.bind(6, account);
        st.bind(7, session_id);
        st.exec();
        AuditLog(c, userid, account, "start", "ok", PurposeKey(purpose));
        return ChatReply{"验证码已发送至 " + sms::MaskPhone(*phone) + "，" +
                             Minutes(cfg.code_ttl_s) + "分钟内有效。" + kCodeHint,
                         false};
    }

    // The session stays open a while after the code expires, so 重发 still works.
    std::int64_t SessionEnd(std::int64_t sent_at) const {
        return sent_at + 2 * static_cast<std::int64_t>(cfg.code_ttl_s);
    }

    std::optional<std::string> IntervalRefusal(store::Conn& c, const std::string& userid,
                                               const std::string& account,
                                               const std::string& step = "start") {
        // The link whose submit was cut short by a restart may be used again at once.
        const std::int64_t last = LastPasswordReset(c, account, step != "form_submit");
        const std::int64_t interval = static_cast<std::int64_t>(cfg.min_reset_interval_min) * 60;
        if (last > 0 && Now() - last < interval) {
            AuditLog(c, userid, account, step, "refused", "min reset interval");
            ++refused;
            return "账号 " + account + " 刚刚重置过密码，" +
                   Minutes(static_cast<int>(interval - (Now() - last))) + "分钟内不能再次重置。" +
                   kConfirmTail;
        }
        return std::nullopt;
    }

    ChatReply Resend(store::Conn& c, const Session& s) {
        const Purpose purpose = PurposeFrom(s.purpose);
        std::int64_t wait = 0;
        if (auto refusal = SendRefusal(c, s.userid, s.account, s.phone, &wait)) {
            if (wait > 0) {
                return {"请" + std::to_string(wait) + "秒后再回复 重发；" +
                            "收到验证码后直接回复6位数字，回复 取消 退出。",
                        false};
            }
            SetState(c, s.id, "cancelled");
            return {*refusal, true};
        }
        const std::string hash = QueueCode(c, s.id, s.userid, s.account, s.phone, purpose,
                                           PreviousCode{s.code_hash, s.code_expires_at});
        const std::int64_t now = Now();
        store::Query st(c,
                        "UPDATE reset_sessions SET code_hash = ?, code_expires_at = ?, "
                        "expires_at = ?, updated_at = ? WHERE id = ?");
        st.bind(1, hash);
        st.bind(2, static_cast<std::int64_t>(now + cfg.code_ttl_s));
        st.bind(3, SessionEnd(now));
        st.bind(4, static_cast<std::int64_t>(now));
        st.bind(5, s.id);
        st.exec();
        return {"新的验证码已发送至 " + sms::MaskPhone(s.phone) + "，" + Minutes(cfg.code_ttl_s) +
                    "分钟内有效，之前的验证码已失效。" + kCodeHint,
                false};
    }

    void LockSession(store::Conn& c, const std::string& session_id, int attempts,
                     std::int64_t until) {
        store::Query st(c,
                        "UPDATE reset_sessions SET state = 'locked', code_hash = '', "
                        "attempts = ?, locked_until = ?, updated_at = ? WHERE id = ?");
        st.bind(1, attempts);
        st.bind(2, until);
        st.bind(3, Now());
        st.bind(4, session_id);
        st.exec();
    }

    ChatReply Verify(store::Conn& c, const Session& s, std::string& digits) {
        const std::int64_t now = Now();
        const Purpose purpose = PurposeFrom(s.purpose);
        if (now >= s.code_expires_at) {
            WipeString(digits);
            AuditLog(c, s.userid, s.account, "verify", "expired");
            return {"验证码已过期。请回复 重发 获取新验证码，回复 取消 退出。", false};
        }
        if ((purpose == Purpose::kUnlock || cfg.mode == "temp_password") && !dir->Available()) {
            // Checked before the code, so no attempt is spent on a directory that is down.
            WipeString(digits);
            AuditLog(c, s.userid, s.account, "verify", "failed",
                     "directory unavailable (circuit open)");
            ++directory_errors;
            return {
                "目录服务暂时不可用，请稍后再回复验证码（验证码在有效期内仍可使用），IT已收到提醒"
                "。",
                false};
        }
        std::string hash = CodeHash(s.id, digits);
        WipeString(digits);
        if (s.code_hash.empty() || !ConstantTimeEquals(hash, s.code_hash)) {
            ++codes_wrong;
            const int attempts = s.attempts + 1;
            store::Query wrong(c,
                               "INSERT INTO reset_wrong_codes(userid, phone, at) "
                               "VALUES (?, ?, ?)");
            wrong.bind(1, s.userid);
            wrong.bind(2, s.phone);
            wrong.bind(3, now);
            wrong.exec();
            if (const auto until = ClosedUntil(c, s.userid, s.phone); until > now) {
                // Over the 24 h limit, counted across sessions: a new session starts nowhere.
                ++closed;
                LockSession(c, s.id, attempts, until);
                log->warn("self-service closed for user {} (account {}): {} wrong codes in 24 h",
                          s.userid, s.account, cfg.max_wrong_codes_per_day);
                return ClosedReply(c, s.userid, s.account, until, "verify");
            }
            if (attempts >= cfg.max_attempts) {
                ++locked;
                LockSession(c, s.id, attempts, now + cfg.lock_min * 60);
                AuditLog(c, s.userid, s.account, "verify", "locked",
                         std::to_string(attempts) + " wrong codes");
                log->warn("reset flow locked for user {} (account {}) after {} wrong codes",
                          s.userid, s.account, attempts);
                return {"验证码错误次数过多，自助" + std::string(PurposeName(purpose)) + "已锁定" +
                            std::to_string(cfg.lock_min) + "分钟。" + kConfirmTail,
                        true};
            }
            store::Query st(c,
                            "UPDATE reset_sessions SET attempts = ?, updated_at = ? "
                            "WHERE id = ?");
            st.bind(1, attempts);
            st.bind(2, static_cast<std::int64_t>(now));
            st.bind(3, s.id);
            st.exec();
            AuditLog(c, s.userid, s.account, "verify", "wrong",
                     "attempt " + std::to_string(attempts));
            return {"验证码不正确，还可尝试" + std::to_string(cfg.max_attempts - attempts) +
                        "次。" + kCodeHint,
                    false};
        }
        ++codes_ok;
        AuditLog(c, s.userid, s.account, "verify", "ok");
        if (purpose == Purpose::kUnlock || cfg.mode == "temp_password") {
            return Apply(c, s);
        }
        return IssueLink(c, s);
    }

    // The code was right: unlock or set a temporary password, after commit.
    ChatReply Apply(store::Conn& c, const Session& s) {
        const bool unlock = PurposeFrom(s.purpose) == Purpose::kUnlock;
        if (!unlock) {
            if (auto r = IntervalRefusal(c, s.userid, s.account, "verify")) {
                SetState(c, s.id, "failed");
                return {*r, true};
            }
        }
        store::Query st(c,
                        "UPDATE reset_sessions SET state = 'applying', code_hash = '', "
                        "updated_at = ? WHERE id = ?");
        st.bind(1, Now());
        st.bind(2, s.id);
        st.exec();
        return AfterCommitCall(kApplying, [this, s, unlock](const auto& fu) {
            if (unlock) {
                auto acct = dir->Find(s.account);  // no transaction open here
                Result<void> r = acct ? dir->Unlock(*acct) : Result<void>(acct.error());
                Conclude(fu, s.userid, [&](store::Conn& oc) { return Unlocked(oc, s, r); });
                return;
            }
            auto acct = dir->Find(s.account);
            std::string pw = GenerateTempPassword(random, s.account, cfg.min_length);
            Result<void> r =
                acct ? dir->SetPassword(*acct, Secret(pw), true) : Result<void>(acct.error());
            Conclude(fu, s.userid, [&](store::Conn& oc) { return TempPasswordSet(oc, s, r, pw); });
            WipeString(pw);
        });
    }

    std::optional<ChatReply> Unlocked(store::Conn& c, const Session& s, const Result<void>& r) {
        if (!r) {
            SetState(c, s.id, "failed");
            AuditLog(c, s.userid, s.account, "unlock", "failed",
                     "directory " + r.error().CodeText());
            return ChatReply{DirectoryText(r.error(), s.account, "解锁账号"), true};
        }
        ++unlocks;
        SetState(c, s.id, "done");
        AuditLog(c, s.userid, s.account, "unlock", "ok");
        NotifyOwners(
            s.userid, s.account,
            "您的域账号 " + s.account + " 刚刚通过企业微信自助服务完成了解锁。" + kConfirmTail);
        return ChatReply{
            "账号 " + s.account + " 已解锁，现在可以重新登录了。如忘记密码，可发送 重置密码。",
            true};
    }

    std::optional<ChatReply> TempPasswordSet(store::Conn& c, const Session& s,
                                             const Result<void>& r, const std::string& pw) {
        if (!r) {
            SetState(c, s.id, "failed");
            AuditLog(c, s.userid, s.account, "temp_password_set", "failed",
                     "directory " + r.error().CodeText());
            if (r.error().code == Errc::kPolicy) {
                ++directory_errors;
                log->error("directory policy refused a generated temporary password for {}: {}",
                           s.account, r.error().message);
                return ChatReply{"目录的密码策略拒绝了临时密码，请回复 转人工，由工程师处理。",
                                 true};
            }
            return ChatReply{DirectoryText(r.error(), s.account, "重置密码"), true};
        }
        ++passwords_set;
        SetState(c, s.id, "done");
        AuditLog(c, s.userid, s.account, "temp_password_set", "ok", "must change at next logon");
        NotifyOwners(s.userid, s.account,
                     "您的域账号 " + s.account + " 的密码刚刚通过企业微信自助服务完成了重置。" +
                         kConfirmTail);
        return ChatReply{"密码已重置。账号：" + s.account + "\n临时密码：" + pw +
                             "\n请尽快用它登录，系统会要求您设置新密码。请勿转发此消息。",
                         true, true};
    }

    ChatReply IssueLink(store::Conn& c, const Session& s) {
        if (auto r = IntervalRefusal(c, s.userid, s.account, "verify")) {
            SetState(c, s.id, "failed");
            return {*r, true};
        }
        std::string token = random.Alnum(kTokenChars);
        const std::int64_t now = Now();
        store::Query st(c,
                        "INSERT INTO reset_tokens(token_hash, session_id, userid, "
                        "account, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)");
        st.bind(1, TokenHash(token));
        st.bind(2, s.id);
        st.bind(3, s.userid);
        st.bind(4, s.account);
        st.bind(5, static_cast<std::int64_t>(now + cfg.link_ttl_s));
        st.bind(6, static_cast<std::int64_t>(now));
        st.exec();
        SetState(c, s.id, "link_issued");
        AuditLog(c, s.userid, s.account, "link_issued", "ok",
                 "valid " + std::to_string(cfg.link_ttl_s) + " s");
        ChatReply reply{"验证成功。请在" + Minutes(cfg.link_ttl_s) +
                            "分钟内打开下面的链接设置新密码（仅可使用一次，请勿转发）：\n" +
                            public_url + "/reset/" + token + "\n新密码要求：" +
                            DescribePasswordPolicy(cfg.min_length) + "。",
                        true, true};
        WipeString(token);
        return reply;
    }

    ChatReply InputIn(store::Conn& c, const std::string& userid, const std::string& raw) {
        const auto active = OpenSession(c, userid);
        if (!active) {
            return {"当前没有进行中的验证。发送 重置密码 或 解锁账号 重新开始。", true};
        }
        std::string cmd = text::NormalizeCommand(raw);
        const bool cancel = cmd == "取消" || cmd == "退出" || cmd == "cancel" || cmd == "quit";
        if (active->state == "applying") {
            // The directory call is under way: it cannot be taken back; its outcome follows.
            WipeString(cmd);
            return {cancel ? "正在处理中，已无法取消，结果会马上发给您。" : kApplying, cancel};
        }
        if (cancel) {
            WipeString(cmd);
            SetState(c, active->id, "cancelled");
            AuditLog(c, userid, active->account, "cancel", "ok");
            return {"已取消。需要时可再次发送 重置密码 或 解锁账号。", true};
        }
        if (active->state == "checking") {
            WipeString(cmd);
            return {kChecking, false};
        }
        if (cmd == "重发" || cmd == "重新发送" || cmd == "resend") {
            return Resend(c, *active);
        }
        std::string digits;
        for (char ch : cmd) {
            if (ch != ' ') {
                digits.push_back(ch);
            }
        }
        WipeString(cmd);
        if (AllDigits(digits)) {
            if (digits.size() != kCodeDigits) {
                WipeString(digits);
                return {"验证码是6位数字，请重新输入；回复 重发 重新发送，回复 取消 退出。", false};
            }
            return Verify(c, *active, digits);
        }
        WipeString(digits);
        return {kCodeHint, false};
    }

    // ------------------------------------------------------------------ web form

    WebPage TokenProblem(const std::optional<TokenRow>& t) {
        if (!t) {
            return {404, page::Message("链接无效",
                                       "此链接无效。请在企业微信中发送 重置密码 重新获取。")};
        }
        if (t->used_at > 0) {
            return {410,
                    page::Message("链接已使用",
                                  "此链接已经使用过。如需再次重置，请在企业微信中发送 重置密码。")};
        }
        if (Now() >= t->expires_at) {
            return {410, page::Message("链接已过期",
                                       "此链接已过期。请在企业微信中发送 重置密码 重新获取。")};
        }
        return {200, ""};
    }

    std::string FormUrl(const std::string& token) const { return public_url + "/reset/" + token; }

    WebPage Form(int status, const std::string& token, const std::string& account,
                 const std::string& error) {
        return {status, page::Form(FormUrl(token), account, DescribePasswordPolicy(cfg.min_length),
                                   error, cfg.min_length, FormNonce(token, Now()))};
    }

    // "<issued unix s>.<HMAC(server key, form:token:issued)>": proves a submission follows a
    // form this server rendered for this token (not a blind cross-site POST).
    std::string FormNonce(const std::string& token, std::int64_t issued) const {
        const std::string at = std::to_string(issued);
        return at + "." + HmacHex(server_key.Reveal(), "form:" + token + ":" + at);
    }
    bool NonceValid(const std::string& token, const std::string& nonce) const {
        const auto dot = nonce.find('.');
        if (dot == std::string::npos || dot == 0 || dot > 12 || !AllDigits(nonce.substr(0, dot))) {
            return false;
        }
        const std::int64_t issued = std::stoll(nonce.substr(0, dot));
        if (issued > Now() + 60 || Now() - issued > cfg.link_ttl_s) {
            return false;
        }
        return ConstantTimeEquals(FormNonce(token, issued), nonce);
    }
};

ResetService::ResetService(const config::ResetConfig& config, std::string public_url,
                           store::Database& db, directory::Directory* dir, sms::SmsSender* sms,
                           UserLookup& users, Notifier& notifier, Clock& clock, Random& random,
                           Secret server_key)
    : impl_(std::make_unique<Impl>(config, std::move(public_url), db, dir, sms, users, notifier,
                                   clock, random, std::move(server_key))) {}

ResetService::~ResetService() = default;

ChatReply ResetService::Start(const std::string& userid, Purpose purpose) {
    if (impl_->dir == nullptr || impl_->sms == nullptr) {
        return {kNotSetUp, true};
    }
    // An exception (SQLite, disk) undoes the step and propagates: the pipeline answers 500
    // and WeCom delivers the message again.
    ChatReply reply;
    {
        store::StepTx tx(impl_->db, "wedesk_reset");
        reply = impl_->StartIn(tx.Conn(), userid, purpose);
        tx.Commit();
    }
    return impl_->Settle(std::move(reply), userid);
}

ChatReply ResetService::Input(const std::string& userid, const std::string& text) {
    if (impl_->dir == nullptr || impl_->sms == nullptr) {
        return {kNotSetUp, true};
    }
    ChatReply reply;
    {
        store::StepTx tx(impl_->db, "wedesk_reset");  // exceptions propagate, as in Start
        reply = impl_->InputIn(tx.Conn(), userid, text);
        tx.Commit();
    }
    return impl_->Settle(std::move(reply), userid);
}

bool ResetService::InFlow(const std::string& userid) {
    return impl_->OpenSession(impl_->db.Conn(), userid).has_value();
}

WebPage ResetService::ShowForm(const std::string& token) {
    if (!ValidTokenShape(token)) {
        return impl_->TokenProblem(std::nullopt);
    }
    try {
        auto t = impl_->FindToken(impl_->db.Conn(), token);
        if (auto p = impl_->TokenProblem(t); p.status != 200) {
            return p;
        }
        return impl_->Form(200, token, t->account, "");
    } catch (const std::exception& e) {
        impl_->log->error("reset form failed: {}", e.what());
        return {500, page::Message("暂时无法处理", kBusy)};
    }
}

WebPage ResetService::SubmitForm(const std::string& token, const std::string& password,
                                 const std::string& confirm, const std::string& nonce) {
    if (!ValidTokenShape(token)) {
        return impl_->TokenProblem(std::nullopt);
    }
    auto& im = *impl_;
    if (!im.NonceValid(token, nonce)) {
        try {
            // A used or expired link says so, whatever the nonce.
            if (auto p = im.TokenProblem(im.FindToken(im.db.Conn(), token)); p.status != 200) {
                return p;
            }
        } catch (const std::exception& e) {
            im.log->error("reset form failed: {}", e.what());
            return {500, page::Message("暂时无法处理", kBusy)};
        }
        im.log->warn("reset form submitted without a valid form nonce: refused");
        return {403,
                page::Message("页面已失效", "请重新打开企业微信中的链接，在页面上设置新密码。")};
    }
    if (im.dir == nullptr) {
        return {503, page::Message("未开通", kNotSetUp)};
    }
    try {
        std::optional<TokenRow> t;
        {
            store::StepTx tx(im.db, "wedesk_reset");
            auto& c = tx.Conn();
            t = im.FindToken(c, token);
            if (auto p = im.TokenProblem(t); p.status != 200) {
                return p;
            }
            if (!ConstantTimeEquals(password, confirm)) {
                im.AuditLog(c, t->userid, t->account, "form_submit", "refused", "mismatch");
                tx.Commit();
                return im.Form(400, token, t->account, "两次输入的密码不一致，请重新输入。");
            }
            if (auto why = CheckPasswordPolicy(password, t->account, im.cfg.min_length)) {
                im.AuditLog(c, t->userid, t->account, "form_submit", "refused", "policy");
                tx.Commit();
                return im.Form(422, token, t->account, *why);
            }
            if (auto why = im.IntervalRefusal(c, t->userid, t->account, "form_submit")) {
                tx.Commit();
                return {409, page::Message("暂时不能重置", *why)};
            }
            // Claim the token before talking to the directory: two concurrent submits cannot
            // both get through. Released again when the directory did not change anything.
            store::Query st(c,
                            "UPDATE reset_tokens SET used_at = ? WHERE token_hash = ? "
                            "AND used_at = 0 AND expires_at > ?");
            st.bind(1, static_cast<std::int64_t>(im.Now()));
            st.bind(2, t->token_hash);
            st.bind(3, static_cast<std::int64_t>(im.Now()));
            if (st.exec() != 1) {
                return {410, page::Message("链接已使用", "此链接已经使用过。")};
            }
            // The intent, so a restart during the directory write can tell (Recover).
            im.SetState(c, t->session_id, "applying_form");
            im.AuditLog(c, t->userid, t->account, "password_set", "pending", "via link");
            tx.Commit();
        }
        // The directory round trip happens outside any transaction (no write lock held).
        auto acct = im.dir->Find(t->account);
        Result<void> r =
            acct ? im.dir->SetPassword(*acct, Secret(password), false) : Result<void>(acct.error());
        store::StepTx tx(im.db, "wedesk_reset");
        auto& c = tx.Conn();
        if (!r) {
            const Error& e = r.error();
            im.AuditLog(c, t->userid, t->account, "password_set", "failed",
                        "directory " + e.CodeText());
            const bool final_refusal = e.code == Errc::kNotFound || e.code == Errc::kProtected;
            if (!final_refusal) {
                store::Query st(c, "UPDATE reset_tokens SET used_at = 0 WHERE token_hash = ?");
                st.bind(1, t->token_hash);
                st.exec();
            }
            im.SetState(c, t->session_id, final_refusal ? "failed" : "link_issued");
            const std::string text = im.DirectoryText(e, t->account, "重置密码");
            tx.Commit();
            if (e.code == Errc::kPolicy) {
                return im.Form(422, token, t->account, text);
            }
            const int status = e.code == Errc::kNotFound      ? 404
                               : e.code == Errc::kProtected   ? 403
                               : e.code == Errc::kUnavailable ? 503
                                                              : 500;
            return {status, page::Message("未能修改密码", text)};
        }
        ++im.passwords_set;
        im.SetState(c, t->session_id, "done");
        im.AuditLog(c, t->userid, t->account, "password_set", "ok", "via link");
        im.NotifyOwners(t->userid, t->account,
                        "您的域账号 " + t->account + " 的密码刚刚通过企业微信自助服务完成了修改。" +
                            kConfirmTail);
        tx.Commit();
        return {200, page::Message("密码已修改",
                                   "账号 " + t->account + " 的密码已修改成功，请使用新密码登录。")};
    } catch (const std::exception& e) {
        im.log->error("reset form submit failed: {}", e.what());
        return {500, page::Message("暂时无法处理", kBusy)};
    }
}

std::vector<AuditRow> ResetService::Audit(const std::string& userid_or_empty, int limit) {
    std::vector<AuditRow> rows;
    auto& c = impl_->db.Conn();
    store::Query st(c, userid_or_empty.empty()
                           ? "SELECT at, userid, account, action, outcome, detail FROM "
                             "reset_audit ORDER BY id DESC LIMIT ?"
                           : "SELECT at, userid, account, action, outcome, detail FROM "
                             "reset_audit WHERE userid = ? ORDER BY id DESC LIMIT ?");
    int i = 1;
    if (!userid_or_empty.empty()) {
        st.bind(i++, userid_or_empty);
    }
    st.bind(i, limit > 0 ? limit : 100);
    while (st.executeStep()) {
        AuditRow r;
        r.at = st.getColumn(0).getInt64();
        r.userid = st.getColumn(1).getString();
        r.account = st.getColumn(2).getString();
        r.action = st.getColumn(3).getString();
        r.outcome = st.getColumn(4).getString();
        r.detail = st.getColumn(5).getString();
        rows.push_back(std::move(r));
    }
    return rows;
}

int ResetService::Recover() {
    auto& im = *impl_;
    store::StepTx tx(im.db, "wedesk_reset");
    auto& c = tx.Conn();
    struct Cut {
        std::string session_id, userid, account, token_hash;
    };
    std::vector<Cut> cut;
    {
        store::Query q(c,
                       "SELECT s.id, s.userid, s.account, t.token_hash FROM reset_sessions s "
                       "JOIN reset_tokens t ON t.session_id = s.id WHERE s.state = "
                       "'applying_form'");
        while (q.executeStep()) {
            cut.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                           q.getColumn(2).getString(), q.getColumn(3).getString()});
        }
    }
    for (const auto& x : cut) {
        // Whether the directory took the password is unknown: the link works again (it is
        // still bound to its expiry), the owners are told, the audit says so, and a new reset
        // by chat waits out the interval as if it had happened.
        im.AuditLog(c, x.userid, x.account, "password_set", "unknown",
                    "wedesk stopped during the directory write; the link works again");
        store::Query free_token(c, "UPDATE reset_tokens SET used_at = 0 WHERE token_hash = ?");
        free_token.bind(1, x.token_hash);
        free_token.exec();
        im.SetState(c, x.session_id, "link_issued");
        im.NotifyOwners(
            x.userid, x.account,
            "您的域账号 " + x.account +
                " 的密码修改因服务重启被打断，可能已经生效。若新密码无法登录，可在有效期内"
                "再次打开原链接，或重新发送 重置密码。" +
                kConfirmTail);
    }
    tx.Commit();
    return static_cast<int>(cut.size());
}

int ResetService::Reopen(const std::string& userid) {
    auto& im = *impl_;
    store::StepTx tx(im.db, "wedesk_reset");
    auto& c = tx.Conn();
    store::Query st(c,
                    "UPDATE reset_wrong_codes SET cleared = 1 WHERE cleared = 0 AND (userid = "
                    "?1 OR phone IN (SELECT phone FROM reset_wrong_codes WHERE userid = ?1 "
                    "AND phone != ''))");
    st.bind(1, userid);
    const int cleared = st.exec();
    store::Query locks(c,
                       "UPDATE reset_sessions SET locked_until = 0, updated_at = ?2 WHERE "
                       "userid = ?1 AND locked_until > 0");
    locks.bind(1, userid);
    locks.bind(2, im.Now());
    locks.exec();
    im.AuditLog(c, userid, "", "admin_unlock", "ok",
                std::to_string(cleared) + " wrong code(s) cleared");
    tx.Commit();
    return cleared;
}

ResetCounters ResetService::Counters() const {
    const auto& im = *impl_;
    ResetCounters c;
    c.sms_sent = im.sms_sent.load();
    c.sms_failed = im.sms_failed.load();
    c.codes_ok = im.codes_ok.load();
    c.codes_wrong = im.codes_wrong.load();
    c.locked = im.locked.load();
    c.refused = im.refused.load();
    c.passwords_set = im.passwords_set.load();
    c.unlocks = im.unlocks.load();
    c.directory_errors = im.directory_errors.load();
    c.sms_budget_refused = im.budget_refused.load();
    c.closed = im.closed.load();
    return c;
}

}  // namespace wedesk::reset
