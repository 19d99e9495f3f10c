#pragma once
/// LocalDirectory: a Directory kept in the wedesk SQLite file (table directory_accounts), for
/// the embedded demo and tests only. Passwords are stored as salted PBKDF2-HMAC-SHA256 hashes
/// (200k iterations); a small built-in policy (at least 8 characters, not the current password)
/// stands in for a server's.

#include <optional>
#include <string>

#include "wedesk/directory/directory.hpp"

namespace wedesk::store {
class Database;
}

namespace wedesk::directory {

class LocalDirectory final : public Directory {
public:
    explicit LocalDirectory(store::Database& db);

    Result<Account> Find(const std::string& account) override;
    Result<void> SetPassword(const Account& account, const Secret& new_password,
                             bool must_change) override;
    Result<void> Unlock(const Account& account) override;
    Result<void> Ping() override;

    /// Creates (or replaces) an account. The password is not checked against the policy.
    Result<void> AddAccount(const std::string& account, const std::string& display_name,
                            const std::optional<std::string>& mobile, const Secret& password,
                            bool is_protected = false);
    /// True when `password` is the account's current password (lock state is ignored).
    bool CheckPassword(const std::string& account, const Secret& password);
    /// Marks the account locked, as too many bad logons would.
    Result<void> Lock(const std::string& account);
    /// True when the password must be changed at next logon (set by a must_change reset).
    bool MustChange(const std::string& account);

private:
    store::Database& db_;
};

}  // namespace wedesk::directory
