#pragma once
/// Directory: where domain accounts live (OpenLDAP, Active Directory, or for the demo a local
/// SQLite table). The reset flow looks an account up, sets a new password, and unlocks it.
/// Implementations: LdapDirectory (flavors "openldap" and "ad"), LocalDirectory (demo only).
///
/// Error codes (Error::code) every implementation uses, so reset/ can map them to user text:
///   "not_found"      no such account
///   "protected"      privileged account (AD adminCount=1, a configured protected group)
///   "policy"         the server's password policy refused the password; message names the rule
///   "unavailable"    network, TLS or timeout: try later (and alert IT)
///   "busy"           too many calls in flight already (a per-service cap): try later
///   "denied"         the service account lacks the right
///   "internal"       anything else

#include <optional>
#include <string>

#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk::directory {

struct Account {
    std::string account;  ///< login name (uid / sAMAccountName)
    std::string dn;       ///< distinguished name (LDAP) or the account name (local)
    std::string display_name;
    std::optional<std::string> mobile;  ///< as stored; normalised by the caller
    bool locked = false;
    bool is_protected = false;  ///< never reset self-service
};

class Directory {
public:
    virtual ~Directory() = default;
    virtual Result<Account> Find(const std::string& account) = 0;
    /// Administrative reset (the user's old password is not known). With `must_change`, the
    /// user has to change it at next logon (AD pwdLastSet=0, OpenLDAP pwdReset=TRUE).
    /// Also clears a lockout.
    virtual Result<void> SetPassword(const Account& account, const Secret& new_password,
                                     bool must_change) = 0;
    /// Clears a lockout without touching the password.
    virtual Result<void> Unlock(const Account& account) = 0;
    /// Checks the directory answers (service-account bind); for /healthz and start-up.
    virtual Result<void> Ping() = 0;
    /// False while calls would fail at once (a circuit breaker is open): callers answer "try
    /// later" without queuing a call.
    virtual bool Available() { return true; }
};

}  // namespace wedesk::directory
