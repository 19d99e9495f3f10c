#pragma once
/// ResetService: the self-service 重置密码 / 解锁账号 flows (SPEC "Password reset"). The bot
/// calls Start/Input with the user's messages; the HTTP layer calls ShowForm/SubmitForm for
/// GET/POST /reset/{token}. Account and mobile come from the imported users (UserLookup) or the
/// directory, never from chat. A 6-digit code goes out by SMS and is kept only as
/// HMAC-SHA256(server_key, session id || code); link tokens are kept only as a keyed hash.
/// Every step is written to the reset_audit table (no secret in it).
///
/// Transactions: each call is a store::StepTx: inside the calling thread's open WriteTx (the
/// bot's) it is a savepoint of it, otherwise (the HTTP form) its own transaction.
/// The directory is never called inside a write transaction: a chat step that needs it (the
/// account lookup at the start, the unlock or temporary password after the code) records its
/// intent (session state 'checking' or 'applying'), commits, and returns an interim text with
/// a FollowUp; the call runs after commit (the server's external pool), and a step of its own
/// records the outcome and hands the final text to the FollowUp (the passive reply when quick,
/// otherwise an app message). A caller without a pipeline (tests, its own transaction) gets
/// the final text straight away.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/follow_up.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/directory/directory.hpp"
#include "wedesk/sms/sms_sender.hpp"
#include "wedesk/store/database.hpp"

namespace wedesk::reset {

enum class Purpose { kResetPassword, kUnlock };

struct ChatReply {
    ChatReply() = default;
    ChatReply(std::string t, bool done, bool secret = false)
        : text(std::move(t)), flow_done(done), sensitive(secret) {}

    std::string text;
    bool flow_done = false;  ///< the flow has ended (bot returns to idle)
    bool sensitive = false;  ///< contains a link token or temp password: store sealed, never log
    /// Set when `text` is an interim answer and the final one follows (see FollowUp).
    std::shared_ptr<FollowUp> follow_up;
};

struct WebPage {
    int status = 200;
    std::string html;
};

/// From the imported users; empty fields when unknown.
struct UserInfo {
    std::string account;
    std::string mobile;
};

class UserLookup {
public:
    virtual ~UserLookup() = default;
    virtual UserInfo Find(const std::string& userid) = 0;
    /// The WeCom users mapped to directory `account`: told when its password or lock changes.
    virtual std::vector<std::string> OwnersOf(const std::string& /*account*/) { return {}; }
};

/// One row of reset_audit.
struct AuditRow {
    std::int64_t at = 0;  ///< unix seconds
    std::string userid;
    std::string account;
    std::string action;   ///< start, code_sent, sms_failed, verify, locked, link_issued, ...
    std::string outcome;  ///< ok, refused, failed, wrong, ...
    std::string detail;   ///< free text, never a secret
};

/// Counters for /metrics (monotonic since start).
struct ResetCounters {
    std::uint64_t sms_sent = 0;
    std::uint64_t sms_failed = 0;
    std::uint64_t codes_ok = 0;
    std::uint64_t codes_wrong = 0;
    std::uint64_t locked = 0;
    std::uint64_t refused = 0;  ///< caps, cool-down, interval, unknown user, no mobile, protected
    std::uint64_t passwords_set = 0;
    std::uint64_t unlocks = 0;
    std::uint64_t directory_errors = 0;
    std::uint64_t sms_budget_refused = 0;  ///< refused because the server-wide budget is used up
    std::uint64_t closed = 0;  ///< self-service closed after too many wrong codes in 24 h
};

class ResetService final {
public:
    ResetService(const config::ResetConfig& config, std::string public_url, store::Database& db,
                 directory::Directory* dir /*null: not set up*/,
                 sms::SmsSender* sms /*null: not set up*/, UserLookup& users, Notifier& notifier,
                 Clock& clock, Random& random, Secret server_key);
    ~ResetService();
    ResetService(const ResetService&) = delete;
    ResetService& operator=(const ResetService&) = delete;

    /// 重置密码 / 解锁账号.
    ChatReply Start(const std::string& userid, Purpose purpose);
    /// The user's next message while in the flow (the digits, 重发, 取消).
    ChatReply Input(const std::string& userid, const std::string& text);
    /// An active (unexpired) reset session exists for the user.
    bool InFlow(const std::string& userid);
    /// GET /reset/{token}.
    WebPage ShowForm(const std::string& token);
    /// POST /reset/{token} with form fields password, confirm and nonce. The nonce is the
    /// one the form carried (bound to the token by a keyed hash, valid link_ttl_s): a
    /// submission that did not come from a form we served is refused (403), nothing changes.
    WebPage SubmitForm(const std::string& token, const std::string& password,
                       const std::string& confirm, const std::string& nonce);

    /// At start-up, before serving: a form submit cut short by a crash between claiming its
    /// link and recording the directory's answer (session state 'applying_form') is settled —
    /// audited as outcome 'unknown', the link usable again until it expires, the account's
    /// owners told. Returns how many were found.
    int Recover();
    /// IT reopens self-service for `userid` (wedesk admin reset unlock): their wrong codes, and
    /// those to the phones their codes went to, no longer count; a locked session ends.
    /// Returns how many wrong codes were cleared. Audited as admin_unlock.
    int Reopen(const std::string& userid);

    /// Newest first; all users when `userid_or_empty` is empty.
    std::vector<AuditRow> Audit(const std::string& userid_or_empty, int limit);
    ResetCounters Counters() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wedesk::reset
