#include "wedesk/directory/ldap_directory.hpp"

#include <ldap.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/common/thread_name.hpp"
#include "wedesk/directory/ldap_text.hpp"

namespace wedesk::directory {

namespace {

constexpr std::string_view kPlaceholder = "{account}";
// AD: LDAP_MATCHING_RULE_IN_CHAIN, so nested membership of a protected group counts too.
constexpr std::string_view kInChain = "1.2.840.113556.1.4.1941";
constexpr long kAdAccountDisable = 0x2;

struct LdapCloser {
    void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using LdapPtr = std::unique_ptr<LDAP, LdapCloser>;

struct MsgFree {
    void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using MsgPtr = std::unique_ptr<LDAPMessage, MsgFree>;

struct ControlsFree {
    void operator()(LDAPControl** c) const { ldap_controls_free(c); }
};
using ControlsPtr = std::unique_ptr<LDAPControl*, ControlsFree>;

std::shared_ptr<spdlog::logger> Log() { return log::Get("directory"); }

metrics::Histogram& CallLatency() {
    static auto& h = metrics::Global().GetHistogram(
        "wedesk_ldap_call_duration_seconds",
        "Time of one directory operation (connect, TLS, bind and the operation itself)",
        {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    return h;
}

/// The hard deadline of a directory operation. libldap's own timeouts bound the TCP connect and
/// each synchronous call, but not a TLS handshake with a peer that accepts and never speaks, nor
/// a server that stops mid-answer (SIGSTOP). A watchdog thread shuts the operation's socket
/// down when its deadline passes: whatever libldap or the TLS library is blocked in then fails
/// at once, and the operation ends as "unavailable".
class SocketWatchdog {
public:
    static SocketWatchdog& Get() {
        // Never destroyed: its detached thread may still wait on it while the process exits.
        static auto* w = new SocketWatchdog;
        return *w;
    }
    /// Watches `fd_slot` (the socket, -1 while there is none) until Disarm(id).
    std::uint64_t Arm(const std::atomic<int>* fd_slot, std::chrono::steady_clock::time_point at) {
        std::lock_guard lock(mu_);
        if (!started_) {
            started_ = true;
            std::thread([this] { Run(); }).detach();  // lives as long as the process
        }
        const std::uint64_t id = ++next_id_;
        armed_.emplace(id, Entry{fd_slot, at});
        cv_.notify_one();
        return id;
    }
    /// After this returns the watchdog no longer touches the socket (so it may be closed).
    /// True when the deadline had fired.
    bool Disarm(std::uint64_t id) {
        std::lock_guard lock(mu_);
        auto it = armed_.find(id);
        const bool fired = it != armed_.end() && it->second.fired;
        if (it != armed_.end()) {
            armed_.erase(it);
        }
        return fired;
    }

private:
    struct Entry {
        const std::atomic<int>* fd;
        std::chrono::steady_clock::time_point at;
        bool fired = false;
    };
    void Run() {
        SetThreadName("wd-ldap-watch");
        std::unique_lock lock(mu_);
        for (;;) {
            auto next = std::chrono::steady_clock::time_point::max();
            const auto now = std::chrono::steady_clock::now();
            for (auto& [id, e] : armed_) {
                if (e.fired) {
                    continue;
                }
                if (e.at <= now) {
                    // Under mu_: Disarm (which precedes the socket's close) waits for this.
                    const int fd = e.fd->load();
                    if (fd >= 0) {
                        ::shutdown(fd, SHUT_RDWR);
                        e.fired = true;
                    }
                } else {
                    next = std::min(next, e.at);
                }
            }
            if (next == std::chrono::steady_clock::time_point::max()) {
                // Nothing pending, or an armed socket not connected yet: look again soon.
                cv_.wait_for(
                    lock, armed_.empty() ? std::chrono::hours(1) : std::chrono::milliseconds(100));
            } else {
                cv_.wait_until(lock, next);
            }
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::uint64_t, Entry> armed_;
    std::uint64_t next_id_ = 0;
    bool started_ = false;
};

/// Arms the watchdog for one operation's session; disarms before the session closes its socket.
class DeadlineGuard {
public:
    DeadlineGuard(const std::atomic<int>& fd, int seconds)
        : id_(SocketWatchdog::Get().Arm(
              &fd, std::chrono::steady_clock::now() + std::chrono::seconds(seconds))) {}
    ~DeadlineGuard() { Disarm(); }
    DeadlineGuard(const DeadlineGuard&) = delete;
    DeadlineGuard& operator=(const DeadlineGuard&) = delete;
    bool Disarm() {
        if (!done_) {
            done_ = true;
            fired_ = SocketWatchdog::Get().Disarm(id_);
        }
        return fired_;
    }

private:
    std::uint64_t id_;
    bool done_ = false;
    bool fired_ = false;
};

std::string Diagnostic(LDAP* ld) {
    char* msg = nullptr;
    if (ld == nullptr ||
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS ||
        msg == nullptr) {
        return {};
    }
    std::string out(msg);
    ldap_memfree(msg);
    // libldap's text for TLS errors it cannot name; adds nothing for the reader.
    return out == "(unknown error code)" ? std::string() : out;
}

/// Maps a libldap result code (and the server's diagnostic) to the Directory error codes.
Error MapError(int rc, const std::string& diag, std::string_view what, bool ad,
               bool password_write = false) {
    std::string detail = ldap_err2string(rc);
    if (!diag.empty()) {
        detail += " (" + diag + ")";
    }
    Error e;
    switch (rc) {
        case LDAP_SERVER_DOWN:
        case LDAP_CONNECT_ERROR:
        case LDAP_TIMEOUT:
        case LDAP_TIMELIMIT_EXCEEDED:
        case LDAP_UNAVAILABLE:
        case LDAP_BUSY:
            // A wrong CA or a name mismatch also ends here, with no diagnostic at all.
            e = Fail(
                Errc::kUnavailable,
                std::string(what) + ": directory unreachable (network or TLS failure): " + detail);
            break;
        case LDAP_STRONG_AUTH_REQUIRED:
        case LDAP_CONFIDENTIALITY_REQUIRED:
            e = Fail(
                Errc::kUnavailable,
                std::string(what) + ": the directory requires a protected connection: " + detail);
            break;
        case LDAP_INVALID_CREDENTIALS:
        case LDAP_INAPPROPRIATE_AUTH:
            e = Fail(Errc::kDenied,
                     std::string(what) + ": the service account's bind was refused: " + detail);
            break;
        case LDAP_INSUFFICIENT_ACCESS:
            e = Fail(Errc::kDenied,
                     std::string(what) + ": the service account lacks the right: " + detail);
            break;
        case LDAP_NO_SUCH_OBJECT:
            e = Fail(Errc::kNotFound, std::string(what) + ": no such entry");
            break;
        case LDAP_CONSTRAINT_VIOLATION:
            if (!password_write) {
                e = Fail(Errc::kInternal, std::string(what) + ": " + detail);
            } else if (ad && diag.find("0000052D") != std::string::npos) {
                // Windows and Samba do not say which rule failed.
                e = Fail(Errc::kPolicy,
                         "the password does not meet the domain's password policy (minimum "
                         "length, complexity or password history)");
            } else {
                e = Fail(Errc::kPolicy, "the directory's password policy refused the password: " +
                                            (diag.empty() ? detail : diag));
            }
            break;
        default:
            e = Fail(Errc::kInternal, std::string(what) + ": " + detail);
            break;
    }
    if (e.code == Errc::kUnavailable || e.code == Errc::kInternal || e.code == Errc::kDenied) {
        Log()->warn("{}", e.message);
    }
    return e;
}

Error MapError(LDAP* ld, int rc, std::string_view what, bool ad, bool password_write = false) {
    return MapError(rc, Diagnostic(ld), what, ad, password_write);
}

std::vector<std::string> Values(LDAP* ld, LDAPMessage* entry, const char* attr) {
    std::vector<std::string> out;
    berval** vals = ldap_get_values_len(ld, entry, attr);
    if (vals == nullptr) {
        return out;
    }
    for (berval** v = vals; *v != nullptr; ++v) {
        out.emplace_back((*v)->bv_val, (*v)->bv_len);
    }
    ldap_value_free_len(vals);
    return out;
}

std::string First(LDAP* ld, LDAPMessage* entry, const char* attr) {
    auto v = Values(ld, entry, attr);
    return v.empty() ? std::string() : v.front();
}

// AD: the RID of a well-known privileged group, or of a privileged primary group. Domain (and
// forest root) relative: Domain Admins 512, Domain Controllers 516, Schema Admins 518,
// Enterprise Admins 519, Read-only Domain Controllers 521, Key Admins 526, Enterprise Key
// Admins 527. Builtin (S-1-5-32-x): Administrators 544, Account Operators 548, Server
// Operators 549, Print Operators 550, Backup Operators 551.
bool PrivilegedDomainRid(std::uint32_t rid) {
    switch (rid) {
        case 512:
        case 516:
        case 518:
        case 519:
        case 521:
        case 526:
        case 527:
            return true;
        default:
            return false;
    }
}
bool PrivilegedBuiltinRid(std::uint32_t rid) { return rid == 544 || (rid >= 548 && rid <= 551); }

// A binary SID (revision, count, 48-bit authority big-endian, sub-authorities little-endian)
// names a privileged group: builtin S-1-5-32-{544,548..551} or S-1-5-21-…-{512,516,…}.
bool PrivilegedSid(const std::string& sid) {
    const auto* b = reinterpret_cast<const unsigned char*>(sid.data());
    if (sid.size() < 8 || b[0] != 1) {
        return false;
    }
    const std::size_t count = b[1];
    if (sid.size() != 8 + 4 * count || count == 0) {
        return false;
    }
    std::uint64_t authority = 0;
    for (int i = 2; i < 8; ++i) {
        authority = (authority << 8) | b[i];
    }
    auto sub = [&](std::size_t i) {
        const unsigned char* p = b + 8 + 4 * i;
        return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
               (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    };
    if (authority != 5) {
        return false;
    }
    if (count == 2 && sub(0) == 32) {
        return PrivilegedBuiltinRid(sub(1));
    }
    return count >= 2 && sub(0) == 21 && PrivilegedDomainRid(sub(count - 1));
}

std::vector<std::string> SplitList(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t comma = s.find(',', pos);
        if (comma == std::string::npos) {
            comma = s.size();
        }
        std::string item = text::Trim(std::string_view(s).substr(pos, comma - pos));
        if (!item.empty()) {
            out.push_back(item);
        }
        pos = comma + 1;
    }
    return out;
}

timeval Timeout(int seconds) {
    timeval tv{};
    tv.tv_sec = seconds > 0 ? seconds : 10;
    return tv;
}

/// A bound connection plus what each operation needs from the config.
class Session {
public:
    explicit Session(const config::LdapConfig& cfg, bool ad) : cfg_(cfg), ad_(ad) {
        conncb_.lc_add = &Session::OnConnect;
        conncb_.lc_del = &Session::OnClose;
        conncb_.lc_arg = this;
    }

    LDAP* ld() { return ld_.get(); }
    /// The connection's socket (-1 before connect and after close), for the deadline.
    const std::atomic<int>& fd() const { return fd_; }

    /// Connects (TLS, certificate checked) and binds as the service account.
    Result<void> Open() {
        LDAP* raw = nullptr;
        int rc = ldap_initialize(&raw, cfg_.uri.c_str());
        if (rc != LDAP_SUCCESS || raw == nullptr) {
            return MapError(rc, "", "connect", ad_);
        }
        ld_.reset(raw);
        const int v3 = LDAP_VERSION3;
        const timeval tv = Timeout(cfg_.timeout_s);
        const int demand = LDAP_OPT_X_TLS_DEMAND;
        const int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
        const int is_server = 0;
        if (ldap_set_option(raw, LDAP_OPT_CONNECT_CB, &conncb_) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_X_TLS_CACERTFILE, cfg_.ca_file.c_str()) !=
                LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
            ldap_set_option(raw, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS) {
            return Fail(Errc::kInternal, "connect: could not set the LDAP connection options");
        }
        // Per-handle TLS options only take effect in a new TLS context.
        rc = ldap_set_option(raw, LDAP_OPT_X_TLS_NEWCTX, &is_server);
        if (rc != LDAP_OPT_SUCCESS) {
            return Fail(Errc::kUnavailable,
                        "connect: TLS set-up failed (is ca_file a readable PEM file?)");
        }
        if (cfg_.starttls) {
            rc = ldap_start_tls_s(raw, nullptr, nullptr);
            if (rc != LDAP_SUCCESS) {
                return MapError(raw, rc, "StartTLS", ad_);
            }
        }
        berval cred{static_cast<ber_len_t>(cfg_.bind_password.Reveal().size()),
                    const_cast<char*>(cfg_.bind_password.Reveal().data())};
        rc = ldap_sasl_bind_s(raw, cfg_.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr,
                              nullptr);
        if (rc != LDAP_SUCCESS) {
            return MapError(raw, rc, "service account bind", ad_);
        }
        return {};
    }

    /// Looks `account` up under base_dn with user_filter; exactly one entry must match.
    Result<Account> Lookup(const std::string& account) {
        if (account.empty()) {
            return Fail(Errc::kNotFound, "no account given");
        }
        const std::string filter = BuildUserFilter(cfg_.user_filter, account);
        std::vector<std::string> names = {"displayName", "cn", "memberOf"};
        const auto mobile_attrs = SplitList(cfg_.mobile_attr);
        names.insert(names.end(), mobile_attrs.begin(), mobile_attrs.end());
        if (ad_) {
            names.insert(names.end(), {"sAMAccountName", "adminCount", "lockoutTime",
                                       "userAccountControl", "primaryGroupID"});
        } else {
            names.insert(names.end(), {"uid", "pwdAccountLockedTime"});
        }
        std::vector<char*> attrs;
        for (auto& n : names) {
            attrs.push_back(n.data());
        }
        attrs.push_back(nullptr);

        timeval tv = Timeout(cfg_.timeout_s);
        LDAPMessage* raw = nullptr;
        const int rc =
            ldap_search_ext_s(ld(), cfg_.base_dn.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(),
                              attrs.data(), 0, nullptr, nullptr, &tv, 2, &raw);
        MsgPtr res(raw);
        if (rc == LDAP_SIZELIMIT_EXCEEDED ||
            (rc == LDAP_SUCCESS && ldap_count_entries(ld(), raw) > 1)) {
            Log()->warn("lookup of '{}' matched several entries; refusing", account);
            return Fail(Errc::kNotFound, "several directory entries match this account");
        }
        if (rc == LDAP_NO_SUCH_OBJECT) {
            Log()->warn("lookup: base_dn '{}' does not exist", cfg_.base_dn);
            return Fail(Errc::kNotFound, "no such account");
        }
        if (rc != LDAP_SUCCESS) {
            return MapError(ld(), rc, "lookup", ad_);
        }
        LDAPMessage* entry = ldap_first_entry(ld(), raw);
        if (entry == nullptr) {
            return Fail(Errc::kNotFound, "no such account");
        }

        Account a;
        char* dn = ldap_get_dn(ld(), entry);
        if (dn == nullptr) {
            return Fail(Errc::kInternal, "lookup: entry without DN");
        }
        a.dn = dn;
        ldap_memfree(dn);
        a.account = First(ld(), entry, ad_ ? "sAMAccountName" : "uid");
        if (a.account.empty()) {
            a.account = account;
        }
        a.display_name = First(ld(), entry, "displayName");
        if (a.display_name.empty()) {
            a.display_name = First(ld(), entry, "cn");
        }
        for (const auto& attr : mobile_attrs) {
            std::string m = First(ld(), entry, attr.c_str());
            if (!m.empty()) {
                a.mobile = std::move(m);
                break;
            }
        }
        if (ad_) {
            a.locked = std::atoll(First(ld(), entry, "lockoutTime").c_str()) > 0;
            const long uac = std::atol(First(ld(), entry, "userAccountControl").c_str());
            // Disabled accounts are left to IT: treat them as protected. So are members of the
            // built-in privileged groups, whatever protected_groups says: by primary group
            // (not listed in memberOf) and through nesting (tokenGroups).
            const auto primary =
                std::strtoul(First(ld(), entry, "primaryGroupID").c_str(), nullptr, 10);
            a.is_protected = First(ld(), entry, "adminCount") == "1" ||
                             (uac & kAdAccountDisable) != 0 ||
                             PrivilegedDomainRid(static_cast<std::uint32_t>(primary));
            if (!a.is_protected) {
                auto privileged = InPrivilegedAdGroup(a.dn);
                if (!privileged) {
                    return privileged.error();
                }
                a.is_protected = *privileged;
            }
        } else {
            a.locked = !Values(ld(), entry, "pwdAccountLockedTime").empty();
        }
        if (!a.is_protected) {
            auto member = InProtectedGroup(a, Values(ld(), entry, "memberOf"));
            if (!member) {
                return member.error();
            }
            a.is_protected = *member;
        }
        return a;
    }

    /// Re-reads the account the caller holds and refuses protected or changed entries, so a
    /// stale or forged Account cannot steer a write.
    Result<Account> Target(const Account& held) {
        auto fresh = Lookup(held.account);
        if (!fresh) {
            return fresh.error();
        }
        if (DnKey(fresh->dn) != DnKey(held.dn)) {
            return Fail(Errc::kNotFound, "the account changed in the directory; look it up again");
        }
        if (fresh->is_protected) {
            Log()->warn("refused to write protected account '{}'", fresh->account);
            return Fail(Errc::kProtected,
                        "this account is privileged or disabled and cannot be reset "
                        "self-service; contact IT");
        }
        return fresh;
    }

    Result<void> Modify(const std::string& dn, LDAPMod** mods, std::string_view what,
                        bool password_write = false) {
        const int rc = ldap_modify_ext_s(ld(), dn.c_str(), mods, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            return MapError(ld(), rc, what, ad_, password_write);
        }
        return {};
    }

    /// RFC 3062 Password Modify as the service account, asking for the ppolicy response so a
    /// refusal names the rule.
    Result<void> PasswordModify(const std::string& dn, const Secret& pw) {
        LDAPControl* req = nullptr;
        if (ldap_create_passwordpolicy_control(ld(), &req) != LDAP_SUCCESS) {
            return Fail(Errc::kInternal, "password modify: could not build the ppolicy control");
        }
        LDAPControl* sctrls[] = {req, nullptr};
        berval user{static_cast<ber_len_t>(dn.size()), const_cast<char*>(dn.data())};
        berval newpw{static_cast<ber_len_t>(pw.Reveal().size()),
                     const_cast<char*>(pw.Reveal().data())};
        int msgid = 0;
        int rc = ldap_passwd(ld(), &user, nullptr, &newpw, sctrls, nullptr, &msgid);
        ldap_control_free(req);
        if (rc != LDAP_SUCCESS) {
            return MapError(ld(), rc, "password modify", ad_);
        }
        timeval tv = Timeout(cfg_.timeout_s);
        LDAPMessage* raw = nullptr;
        rc = ldap_result(ld(), msgid, LDAP_MSG_ALL, &tv, &raw);
        MsgPtr res(raw);
        if (rc == 0) {
            ldap_abandon_ext(ld(), msgid, nullptr, nullptr);
            return MapError(LDAP_TIMEOUT, "", "password modify", ad_);
        }
        if (rc < 0) {
            int code = LDAP_OTHER;
            ldap_get_option(ld(), LDAP_OPT_RESULT_CODE, &code);
            return MapError(ld(), code, "password modify", ad_);
        }
        int err = LDAP_OTHER;
        char* diag_raw = nullptr;
        LDAPControl** ctrls_raw = nullptr;
        rc = ldap_parse_result(ld(), raw, &err, nullptr, &diag_raw, nullptr, &ctrls_raw, 0);
        ControlsPtr ctrls(ctrls_raw);
        std::string diag = diag_raw != nullptr ? diag_raw : "";
        ldap_memfree(diag_raw);
        if (rc != LDAP_SUCCESS) {
            return MapError(ld(), rc, "password modify", ad_);
        }
        if (err == LDAP_SUCCESS) {
            return {};
        }
        if (ctrls_raw != nullptr) {
            LDAPControl* pp =
                ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls_raw, nullptr);
            ber_int_t expire = -1;
            ber_int_t grace = -1;
            LDAPPasswordPolicyError pperr = PP_noError;
            if (pp != nullptr &&
                ldap_parse_passwordpolicy_control(ld(), pp, &expire, &grace, &pperr) ==
                    LDAP_SUCCESS &&
                pperr != PP_noError) {
                return Fail(Errc::kPolicy, PpolicyReason(static_cast<int>(pperr)));
            }
        }
        return MapError(err, diag, "password modify", ad_, true);
    }

private:
    /// AD: the account's tokenGroups (every group it is in, nested and primary included)
    /// contain a well-known privileged group. Fails closed when they cannot be read.
    Result<bool> InPrivilegedAdGroup(const std::string& dn) {
        char token_groups[] = "tokenGroups";
        char* attrs[] = {token_groups, nullptr};
        timeval tv = Timeout(cfg_.timeout_s);
        LDAPMessage* raw = nullptr;
        const int rc = ldap_search_ext_s(ld(), dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)",
                                         attrs, 0, nullptr, nullptr, &tv, 1, &raw);
        MsgPtr res(raw);
        if (rc != LDAP_SUCCESS) {
            return MapError(ld(), rc, "privileged group check (tokenGroups)", ad_);
        }
        LDAPMessage* entry = ldap_first_entry(ld(), raw);
        if (entry == nullptr) {
            return Fail(Errc::kInternal, "privileged group check: the account vanished");
        }
        const auto sids = Values(ld(), entry, "tokenGroups");
        if (sids.empty()) {
            // Every account is at least in Domain Users: none readable means no right to read
            // them, so nothing can be told apart safely.
            return Fail(Errc::kDenied, "tokenGroups not readable by the service account");
        }
        for (const auto& sid : sids) {
            if (PrivilegedSid(sid)) {
                return true;
            }
        }
        return false;
    }

    Result<bool> InProtectedGroup(const Account& a, const std::vector<std::string>& member_of) {
        if (cfg_.protected_groups.empty()) {
            return false;
        }
        for (const auto& g : member_of) {
            const std::string key = DnKey(g);
            for (const auto& p : cfg_.protected_groups) {
                if (DnKey(p) == key) {
                    return true;
                }
            }
        }
        for (const auto& group : cfg_.protected_groups) {
            std::string base;
            std::string filter;
            if (ad_) {
                base = a.dn;
                filter =
                    "(memberOf:" + std::string(kInChain) + ":=" + EscapeFilterValue(group) + ")";
            } else {
                base = group;
                filter = "(|(member=" + EscapeFilterValue(a.dn) +
                         ")(uniqueMember=" + EscapeFilterValue(a.dn) +
                         ")(memberUid=" + EscapeFilterValue(a.account) + "))";
            }
            char no_attrs[] = LDAP_NO_ATTRS;
            char* attrs[] = {no_attrs, nullptr};
            timeval tv = Timeout(cfg_.timeout_s);
            LDAPMessage* raw = nullptr;
            const int rc = ldap_search_ext_s(ld(), base.c_str(), LDAP_SCOPE_BASE, filter.c_str(),
                                             attrs, 0, nullptr, nullptr, &tv, 1, &raw);
            MsgPtr res(raw);
            if (rc == LDAP_NO_SUCH_OBJECT) {
                Log()->warn("protected group '{}' does not exist", group);
                continue;
            }
            if (rc != LDAP_SUCCESS) {
                // Fail closed: if membership cannot be checked, nothing is written.
                return MapError(ld(), rc, "protected group check", ad_);
            }
            if (ldap_count_entries(ld(), raw) > 0) {
                return true;
            }
        }
        return false;
    }

    static int OnConnect(LDAP*, Sockbuf* sb, LDAPURLDesc*, sockaddr*, ldap_conncb* ctx) {
        ber_socket_t fd = -1;
        if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1) {
            static_cast<Session*>(ctx->lc_arg)->fd_.store(fd);
        }
        return 0;
    }
    static void OnClose(LDAP*, Sockbuf*, ldap_conncb* ctx) {
        static_cast<Session*>(ctx->lc_arg)->fd_.store(-1);
    }

    const config::LdapConfig& cfg_;
    bool ad_;
    std::atomic<int> fd_{-1};
    ldap_conncb conncb_{};  // referenced by the handle: declared before ld_, so it outlives it
    LdapPtr ld_;
};

}  // namespace

template <class T, class F>
Result<T> LdapDirectory::Guarded(const char* what, F&& op) {
    {
        std::lock_guard lock(breaker_mu_);
        const auto now = std::chrono::steady_clock::now();
        if (now < open_until_) {
            return Fail(Errc::kUnavailable, std::string(what) +
                                                ": directory calls paused after repeated failures "
                                                "(circuit open)");
        }
        if (in_flight_ >= kMaxInFlight) {
            return Fail(Errc::kBusy, std::string(what) + ": " + std::to_string(in_flight_) +
                                         " directory calls in flight already");
        }
        ++in_flight_;
    }
    const auto start = std::chrono::steady_clock::now();
    Result<T> r = [&]() -> Result<T> {
        try {
            return Attempt<T>(what, op);
        } catch (const std::exception& e) {  // keeps in_flight_ right; never expected
            return Fail(Errc::kInternal, std::string(what) + ": " + e.what());
        }
    }();
    CallLatency().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::lock_guard lock(breaker_mu_);
    --in_flight_;
    if (!r.ok() && r.error().code == Errc::kUnavailable) {
        if (++failures_ >= kBreakerFailures) {
            open_until_ = std::chrono::steady_clock::now() + kBreakerOpen;
            Log()->error("directory unavailable {} times in a row: calls paused for {} s",
                         failures_, kBreakerOpen.count());
        }
    } else {
        failures_ = 0;
    }
    return r;
}

template <class T, class F>
Result<T> LdapDirectory::Attempt(const char* what, F& op) {
    Session s(cfg_, ad_);
    DeadlineGuard deadline(s.fd(), cfg_.timeout_s);
    Result<T> out = op(s);
    if (deadline.Disarm() && out.ok() == false) {
        Log()->warn("{}: the directory did not answer within timeout_s={}", what, cfg_.timeout_s);
        return Fail(Errc::kUnavailable, std::string(what) + ": no answer within the deadline");
    }
    return out;
}

bool LdapDirectory::CircuitOpen() const {
    std::lock_guard lock(breaker_mu_);
    return std::chrono::steady_clock::now() < open_until_;
}

LdapDirectory::LdapDirectory(const config::LdapConfig& cfg) : cfg_(cfg), ad_(cfg.flavor == "ad") {
    if (cfg_.flavor != "ad" && cfg_.flavor != "openldap") {
        throw std::invalid_argument("directory.ldap.flavor: must be \"openldap\" or \"ad\"");
    }
    const bool ldaps = cfg_.uri.rfind("ldaps://", 0) == 0;
    const bool ldap = cfg_.uri.rfind("ldap://", 0) == 0;
    if (!ldaps && !ldap) {
        throw std::invalid_argument("directory.ldap.uri: must start with ldaps:// or ldap://");
    }
    if (ldap && !cfg_.starttls) {
        throw std::invalid_argument(
            "directory.ldap.uri: ldap:// needs starttls=true (passwords never travel in clear)");
    }
    if (ldaps && cfg_.starttls) {
        throw std::invalid_argument("directory.ldap.starttls: not with an ldaps:// uri");
    }
    if (cfg_.ca_file.empty()) {
        throw std::invalid_argument(
            "directory.ldap.ca_file: required (the server certificate "
            "is always verified)");
    }
    if (cfg_.user_filter.find(kPlaceholder) == std::string::npos) {
        throw std::invalid_argument("directory.ldap.user_filter: must contain {account}");
    }
    if (cfg_.base_dn.empty() || cfg_.bind_dn.empty()) {
        throw std::invalid_argument("directory.ldap: base_dn and bind_dn are required");
    }
}

Result<Account> LdapDirectory::Find(const std::string& account) {
    return Guarded<Account>("lookup", [&](auto& s) -> Result<Account> {
        if (auto r = s.Open(); !r) {
            return r.error();
        }
        return s.Lookup(account);
    });
}

Result<void> LdapDirectory::SetPassword(const Account& account, const Secret& new_password,
                                        bool must_change) {
    if (new_password.empty()) {
        // An empty newPasswd would make an OpenLDAP server generate one.
        return Fail(Errc::kPolicy, "the password is empty");
    }
    return Guarded<void>("set password", [&](auto& s) -> Result<void> {
        if (auto r = s.Open(); !r) {
            return r.error();
        }
        auto target = s.Target(account);
        if (!target) {
            return target.error();
        }
        const std::string& dn = target->dn;

        if (!ad_) {
            if (auto r = s.PasswordModify(dn, new_password); !r) {
                return r;
            }
            if (must_change) {
                // A non-root reset clears pwdReset; the bot sets it itself (needs manage access).
                char type[] = "pwdReset";
                char value[] = "TRUE";
                char* values[] = {value, nullptr};
                LDAPMod mod{};
                mod.mod_op = LDAP_MOD_REPLACE;
                mod.mod_type = type;
                mod.mod_values = values;
                LDAPMod* mods[] = {&mod, nullptr};
                if (auto r = s.Modify(dn, mods, "set pwdReset"); !r) {
                    return r;
                }
            }
            Log()->info("password reset for '{}' (must_change={})", target->account, must_change);
            return {};
        }

        auto value = AdPasswordValue(new_password.Reveal());
        if (!value) {
            return value.error();
        }
        berval pw{static_cast<ber_len_t>(value->size()), value->data()};
        berval* pw_values[] = {&pw, nullptr};
        char pw_type[] = "unicodePwd";
        LDAPMod pw_mod{};
        pw_mod.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
        pw_mod.mod_type = pw_type;
        pw_mod.mod_bvalues = pw_values;

        // 0 = must change at next logon; -1 = "now" (clears an earlier must-change).
        char last_type[] = "pwdLastSet";
        char last_zero[] = "0";
        char last_now[] = "-1";
        char* last_values[] = {must_change ? last_zero : last_now, nullptr};
        LDAPMod last_mod{};
        last_mod.mod_op = LDAP_MOD_REPLACE;
        last_mod.mod_type = last_type;
        last_mod.mod_values = last_values;

        // In AD a reset does not unlock: clear the lockout in the same modify.
        char lock_type[] = "lockoutTime";
        char lock_zero[] = "0";
        char* lock_values[] = {lock_zero, nullptr};
        LDAPMod lock_mod{};
        lock_mod.mod_op = LDAP_MOD_REPLACE;
        lock_mod.mod_type = lock_type;
        lock_mod.mod_values = lock_values;

        LDAPMod* mods[] = {&pw_mod, &last_mod, &lock_mod, nullptr};
        auto r = s.Modify(dn, mods, "set unicodePwd", true);
        WipeString(*value);
        if (!r) {
            return r;
        }
        Log()->info("password reset for '{}' (must_change={})", target->account, must_change);
        return {};
    });
}

Result<void> LdapDirectory::Unlock(const Account& account) {
    return Guarded<void>("unlock", [&](auto& s) -> Result<void> {
        if (auto r = s.Open(); !r) {
            return r.error();
        }
        auto target = s.Target(account);
        if (!target) {
            return target.error();
        }
        Result<void> r;
        if (ad_) {
            char type[] = "lockoutTime";
            char zero[] = "0";
            char* values[] = {zero, nullptr};
            LDAPMod mod{};
            mod.mod_op = LDAP_MOD_REPLACE;
            mod.mod_type = type;
            mod.mod_values = values;
            LDAPMod* mods[] = {&mod, nullptr};
            r = s.Modify(target->dn, mods, "unlock");
        } else {
            // replace with no values removes the attribute and, unlike delete, does not fail when
            // it is absent. (pwdFailureTime is not writable; slapd clears it on the next good
            // bind.)
            char locked_type[] = "pwdAccountLockedTime";
            LDAPMod locked{};
            locked.mod_op = LDAP_MOD_REPLACE;
            locked.mod_type = locked_type;
            LDAPMod* mods[] = {&locked, nullptr};
            r = s.Modify(target->dn, mods, "unlock");
        }
        if (r) {
            Log()->info("unlocked '{}'", target->account);
        }
        return r;
    });
}

Result<void> LdapDirectory::Ping() {
    return Guarded<void>("ping", [&](auto& s) -> Result<void> { return s.Open(); });
}

}  // namespace wedesk::directory
