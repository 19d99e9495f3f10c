#pragma once
// Throwaway directory servers for the integration tests (scripts/start-slapd.sh and
// scripts/start-samba-ad.sh) and a plain libldap client to check results in the directory
// itself (bind as a user, read an attribute), independent of the code under test.

#include <map>
#include <memory>
#include <string>

#include "fakes/temp_dir.hpp"
#include "wedesk/config/config.hpp"

namespace wedesk::testing {

/// A free TCP port on 127.0.0.1 (bound to port 0, then released).
int FreePort();

/// Runs a script and returns its KEY=VALUE output lines; empty map when it failed.
std::map<std::string, std::string> RunScript(const std::string& command);

/// A server started by one of the scripts into its own TempDir and stopped (by PID file) when
/// the object dies.
class TestDirectoryServer {
public:
    /// slapd on two free loopback ports, fresh data.
    static std::unique_ptr<TestDirectoryServer> StartSlapd();
    /// Samba AD DC on 127.0.0.1:389/636 (fixed ports), fresh provision (≈10-20 s). Holds an
    /// exclusive lock (/tmp/wedesk-samba-ad.lock) for its life: another process's DC waits.
    static std::unique_ptr<TestDirectoryServer> StartSambaAd();
    ~TestDirectoryServer();
    TestDirectoryServer(const TestDirectoryServer&) = delete;
    TestDirectoryServer& operator=(const TestDirectoryServer&) = delete;

    const std::string& Get(const std::string& key) const { return info_.at(key); }
    /// A config for LdapDirectory over ldaps:// (or StartTLS on the plain port).
    config::LdapConfig Config(bool starttls = false) const;
    const TempDir& dir() const { return dir_; }

private:
    TestDirectoryServer() = default;
    TempDir dir_;
    std::map<std::string, std::string> info_;
    bool ad_ = false;
    int lock_fd_ = -1;
};

/// The one Samba AD DC of this test process: provisioned on first use, stopped at exit.
TestDirectoryServer& SharedSambaAd();

struct BindOutcome {
    int rc = -1;
    std::string diagnostic;
};

/// Simple bind as `dn` over `uri` (ldaps) with the CA at `ca_file`; with `probe_search`, also
/// reads the user's own entry afterwards (and reports that result when the bind worked).
BindOutcome UserBind(const std::string& uri, const std::string& ca_file, const std::string& dn,
                     const std::string& password, bool probe_search = false);

/// First value of `attr` on entry `dn`, read as `bind_dn`; "" when absent or on error.
std::string ReadAttr(const std::string& uri, const std::string& ca_file, const std::string& bind_dn,
                     const std::string& bind_pw, const std::string& dn, const std::string& attr);

/// Writes a self-signed CA certificate unrelated to the servers, for "wrong CA" tests.
std::string MakeOtherCa(const TempDir& dir);

}  // namespace wedesk::testing
