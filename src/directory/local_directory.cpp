#include "wedesk/directory/local_directory.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::directory {

namespace {

constexpr int kIterations = 200000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMinLength = 8;
constexpr std::string_view kScheme = "pbkdf2-sha256";

std::string Base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

std::vector<unsigned char> Unbase64(const std::string& s) {
    std::vector<unsigned char> out(3 * (s.size() / 4) + 3);
    const int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()),
                                    static_cast<int>(s.size()));
    if (len < 0) {
        return {};
    }
    std::size_t n = static_cast<std::size_t>(len);
    // EVP_DecodeBlock counts '=' padding as zero bytes.
    for (std::size_t i = s.size(); i > 0 && s[i - 1] == '='; --i) {
        --n;
    }
    out.resize(n);
    return out;
}

bool Derive(const std::string& password, const unsigned char* salt, std::size_t salt_len,
            int iterations, unsigned char* out) {
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                             static_cast<int>(salt_len), iterations, EVP_sha256(),
                             static_cast<int>(kHashBytes), out) == 1;
}

std::string HashPassword(const Secret& password) {
    std::array<unsigned char, kSaltBytes> salt{};
    std::array<unsigned char, kHashBytes> hash{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1 ||
        !Derive(password.Reveal(), salt.data(), salt.size(), kIterations, hash.data())) {
        std::abort();  // never store a weak or unsalted hash
    }
    return std::string(kScheme) + "$" + std::to_string(kIterations) + "$" +
           Base64(salt.data(), salt.size()) + "$" + Base64(hash.data(), hash.size());
}

bool VerifyPassword(const std::string& stored, const Secret& password) {
    // scheme$iterations$salt$hash
    const std::size_t a = stored.find('$');
    const std::size_t b = stored.find('$', a == std::string::npos ? a : a + 1);
    const std::size_t c = stored.find('$', b == std::string::npos ? b : b + 1);
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos ||
        stored.substr(0, a) != kScheme) {
        return false;
    }
    const int iterations = std::atoi(stored.substr(a + 1, b - a - 1).c_str());
    const auto salt = Unbase64(stored.substr(b + 1, c - b - 1));
    const auto expected = Unbase64(stored.substr(c + 1));
    if (iterations <= 0 || salt.empty() || expected.size() != kHashBytes) {
        return false;
    }
    std::array<unsigned char, kHashBytes> hash{};
    if (!Derive(password.Reveal(), salt.data(), salt.size(), iterations, hash.data())) {
        return false;
    }
    return ConstantTimeEquals(
        std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()),
        std::string_view(reinterpret_cast<const char*>(expected.data()), expected.size()));
}

Error Internal(const std::exception& e) {
    log::Get("directory")->error("local directory: {}", e.what());
    return Fail(Errc::kInternal, "local directory storage error");
}

}  // namespace

LocalDirectory::LocalDirectory(store::Database& db) : db_(db) {}

Result<Account> LocalDirectory::Find(const std::string& account) {
    try {
        store::Query q(db_.Conn(),
                       "SELECT account, display_name, mobile, locked, is_protected "
                       "FROM directory_accounts WHERE account = ?");
        q.bind(1, account);
        if (!q.executeStep()) {
            return Fail(Errc::kNotFound, "no such account");
        }
        Account a;
        a.account = q.getColumn(0).getString();
        a.dn = a.account;
        a.display_name = q.getColumn(1).getString();
        if (!q.getColumn(2).isNull()) {
            a.mobile = q.getColumn(2).getString();
        }
        a.locked = q.getColumn(3).getInt() != 0;
        a.is_protected = q.getColumn(4).getInt() != 0;
        return a;
    } catch (const std::exception& e) {
        return Internal(e);
    }
}

Result<void> LocalDirectory::SetPassword(const Account& account, const Secret& new_password,
                                         bool must_change) {
    auto current = Find(account.account);
    if (!current) {
        return current.error();
    }
    if (current->is_protected) {
        return Fail(Errc::kProtected,
                    "this account is privileged and cannot be reset self-service");
    }
    if (text::Utf8Length(new_password.Reveal()) < kMinLength) {
        return Fail(Errc::kPolicy, "the password is too short (at least 8 characters)");
    }
    try {
        store::Query old(db_.Conn(),
                         "SELECT password_hash FROM directory_accounts WHERE account = ?");
        old.bind(1, current->account);
        if (old.executeStep() && VerifyPassword(old.getColumn(0).getString(), new_password)) {
            return Fail(Errc::kPolicy, "the password is the same as the current one");
        }
        const std::string hash = HashPassword(new_password);
        store::StepTx write(db_);
        store::Query q(write.Conn(),
                       "UPDATE directory_accounts SET password_hash = ?, must_change = ?, "
                       "locked = 0, updated_at = unixepoch() WHERE account = ?");
        q.bind(1, hash);
        q.bind(2, must_change ? 1 : 0);
        q.bind(3, current->account);
        const int changed = q.exec();
        write.Commit();
        if (changed != 1) {
            return Fail(Errc::kNotFound, "no such account");
        }
    } catch (const std::exception& e) {
        return Internal(e);
    }
    log::Get("directory")
        ->info("local password reset for '{}' (must_change={})", current->account, must_change);
    return {};
}

Result<void> LocalDirectory::Unlock(const Account& account) {
    auto current = Find(account.account);
    if (!current) {
        return current.error();
    }
    if (current->is_protected) {
        return Fail(Errc::kProtected,
                    "this account is privileged and cannot be unlocked self-service");
    }
    try {
        store::StepTx write(db_);
        store::Query q(write.Conn(),
                       "UPDATE directory_accounts SET locked = 0, updated_at = unixepoch() "
                       "WHERE account = ?");
        q.bind(1, current->account);
        q.exec();
        write.Commit();
    } catch (const std::exception& e) {
        return Internal(e);
    }
    return {};
}

Result<void> LocalDirectory::Ping() {
    try {
        store::Query q(db_.Conn(), "SELECT count(*) FROM directory_accounts");
        q.executeStep();
    } catch (const std::exception& e) {
        return Internal(e);
    }
    return {};
}

Result<void> LocalDirectory::AddAccount(const std::string& account, const std::string& display_name,
                                        const std::optional<std::string>& mobile,
                                        const Secret& password, bool is_protected) {
    if (account.empty()) {
        return Fail(Errc::kInternal, "empty account name");
    }
    try {
        store::StepTx write(db_);
        store::Query q(write.Conn(),
                       "INSERT OR REPLACE INTO directory_accounts "
                       "(account, display_name, mobile, password_hash, is_protected) "
                       "VALUES (?, ?, ?, ?, ?)");
        q.bind(1, account);
        q.bind(2, display_name);
        if (mobile) {
            q.bind(3, *mobile);
        } else {
            q.bind(3);
        }
        q.bind(4, HashPassword(password));
        q.bind(5, is_protected ? 1 : 0);
        q.exec();
        write.Commit();
    } catch (const std::exception& e) {
        return Internal(e);
    }
    return {};
}

bool LocalDirectory::CheckPassword(const std::string& account, const Secret& password) {
    try {
        store::Query q(db_.Conn(),
                       "SELECT password_hash FROM directory_accounts WHERE account = ?");
        q.bind(1, account);
        return q.executeStep() && VerifyPassword(q.getColumn(0).getString(), password);
    } catch (const std::exception& e) {
        (void)Internal(e);
        return false;
    }
}

Result<void> LocalDirectory::Lock(const std::string& account) {
    try {
        store::StepTx write(db_);
        store::Query q(write.Conn(),
                       "UPDATE directory_accounts SET locked = 1, updated_at = unixepoch() "
                       "WHERE account = ?");
        q.bind(1, account);
        const int changed = q.exec();
        write.Commit();
        if (changed != 1) {
            return Fail(Errc::kNotFound, "no such account");
        }
    } catch (const std::exception& e) {
        return Internal(e);
    }
    return {};
}

bool LocalDirectory::MustChange(const std::string& account) {
    try {
        store::Query q(db_.Conn(), "SELECT must_change FROM directory_accounts WHERE account = ?");
        q.bind(1, account);
        return q.executeStep() && q.getColumn(0).getInt() != 0;
    } catch (const std::exception& e) {
        (void)Internal(e);
        return false;
    }
}

}  // namespace wedesk::directory
