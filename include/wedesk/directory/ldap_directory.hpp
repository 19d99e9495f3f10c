#pragma once
/// LdapDirectory: the Directory on a real LDAP server, flavor "openldap" (reset with the
/// Password Modify extended operation, ppolicy reasons, pwdReset for must-change) or "ad"
/// (Active Directory / Samba: unicodePwd replace, pwdLastSet, lockoutTime). Always over TLS
/// (ldaps:// or StartTLS) with the certificate checked against `ca_file`; referrals off; every
/// operation opens its own connection bound as the service account, so calls are thread-safe.
/// Privileged accounts (AD adminCount=1, disabled AD accounts, members of `protected_groups`)
/// are found but marked protected and never written.
/// Every operation has a hard deadline of `timeout_s` covering connect, TLS handshake, bind and
/// the operation (a watchdog shuts the socket down when it passes), and a circuit breaker: after
/// kBreakerFailures "unavailable" results in a row, calls fail at once for kBreakerOpen, so a
/// dead directory costs each employee no wait at all. At most kMaxInFlight calls run at once
/// (more fail at once with "busy"), so a hanging directory holds only that many of the
/// server's external-call threads and SMS sends keep going.

#include <chrono>
#include <mutex>

#include "wedesk/config/config.hpp"
#include "wedesk/directory/directory.hpp"

namespace wedesk::directory {

class LdapDirectory final : public Directory {
public:
    /// Throws std::invalid_argument for a configuration that cannot be safe (no TLS, no CA
    /// file, unknown flavor, user_filter without "{account}"): a start-up error.
    explicit LdapDirectory(const config::LdapConfig& cfg);

    Result<Account> Find(const std::string& account) override;
    Result<void> SetPassword(const Account& account, const Secret& new_password,
                             bool must_change) override;
    Result<void> Unlock(const Account& account) override;
    Result<void> Ping() override;

    /// True while calls are paused after repeated failures (for /healthz).
    bool CircuitOpen() const;
    bool Available() override { return !CircuitOpen(); }
    static constexpr int kMaxInFlight = 4;
    static constexpr int kBreakerFailures = 3;
    static constexpr std::chrono::seconds kBreakerOpen{30};

private:
    /// Runs `op(session)` under the deadline and the breaker.
    template <class T, class F>
    Result<T> Guarded(const char* what, F&& op);
    /// One call under the deadline (Guarded's inner part).
    template <class T, class F>
    Result<T> Attempt(const char* what, F& op);

    config::LdapConfig cfg_;
    bool ad_;
    mutable std::mutex breaker_mu_;  // guards failures_, open_until_ and in_flight_
    int failures_ = 0;
    int in_flight_ = 0;  // guarded by breaker_mu_
    std::chrono::steady_clock::time_point open_until_{};
};

}  // namespace wedesk::directory
