#include "directory_helpers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ldap.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace wedesk::testing {

namespace {

std::string Script(const std::string& name) {
    return std::string(WEDESK_SOURCE_DIR) + "/scripts/" + name;
}

std::string Quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

LDAP* Connect(const std::string& uri, const std::string& ca_file) {
    LDAP* ld = nullptr;
    if (ldap_initialize(&ld, uri.c_str()) != LDAP_SUCCESS) {
        return nullptr;
    }
    const int v3 = LDAP_VERSION3;
    const int demand = LDAP_OPT_X_TLS_DEMAND;
    const int zero = 0;
    timeval tv{10, 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca_file.c_str());
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    return ld;
}

std::string Diag(LDAP* ld) {
    char* msg = nullptr;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg);
    std::string out = msg != nullptr ? msg : "";
    ldap_memfree(msg);
    return out;
}

int SimpleBind(LDAP* ld, const std::string& dn, const std::string& pw) {
    berval cred{static_cast<ber_len_t>(pw.size()), const_cast<char*>(pw.data())};
    return ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
}

}  // namespace

int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw std::runtime_error("socket failed");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        throw std::runtime_error("bind to port 0 failed");
    }
    close(fd);
    return ntohs(addr.sin_port);
}

std::map<std::string, std::string> RunScript(const std::string& command) {
    std::map<std::string, std::string> out;
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    std::array<char, 1024> line{};
    while (fgets(line.data(), static_cast<int>(line.size()), p) != nullptr) {
        std::string s(line.data());
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
            s.pop_back();
        }
        const auto eq = s.find('=');
        if (eq != std::string::npos) {
            out[s.substr(0, eq)] = s.substr(eq + 1);
        }
    }
    if (pclose(p) != 0) {
        out.clear();
    }
    return out;
}

std::unique_ptr<TestDirectoryServer> TestDirectoryServer::StartSlapd() {
    std::unique_ptr<TestDirectoryServer> s(new TestDirectoryServer());
    // A port could be taken between FreePort() and slapd's bind; retry with new ports.
    for (int attempt = 0; attempt < 3 && s->info_.empty(); ++attempt) {
        const int port = FreePort();
        int tls_port = FreePort();
        while (tls_port == port) {
            tls_port = FreePort();
        }
        s->info_ = RunScript(Quote(Script("start-slapd.sh")) + " " + Quote(s->dir_.File("slapd")) +
                             " " + std::to_string(port) + " " + std::to_string(tls_port));
    }
    if (s->info_.empty()) {
        throw std::runtime_error("scripts/start-slapd.sh failed");
    }
    return s;
}

std::unique_ptr<TestDirectoryServer> TestDirectoryServer::StartSambaAd() {
    std::unique_ptr<TestDirectoryServer> s(new TestDirectoryServer());
    s->ad_ = true;
    // Fixed ports: one DC on this machine at a time, whichever test process starts it.
    s->lock_fd_ = open("/tmp/wedesk-samba-ad.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (s->lock_fd_ < 0 || flock(s->lock_fd_, LOCK_EX) != 0) {
        throw std::runtime_error("cannot lock /tmp/wedesk-samba-ad.lock");
    }
    s->info_ = RunScript(Quote(Script("start-samba-ad.sh")) + " " + Quote(s->dir_.File("ad")));
    if (s->info_.empty()) {
        throw std::runtime_error(
            "scripts/start-samba-ad.sh failed (needs root, the Samba packages from "
            "scripts/install-deps.sh, and free ports 389/636 on 127.0.0.1)");
    }
    return s;
}

TestDirectoryServer::~TestDirectoryServer() {
    const std::string sub = ad_ ? "ad" : "slapd";
    const std::string cmd =
        Quote(Script("stop-test-dirs.sh")) + " " + Quote(dir_.File(sub)) + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "stop-test-dirs.sh failed for %s\n", dir_.File(sub).c_str());
    }
    if (lock_fd_ >= 0) {
        close(lock_fd_);  // releases the flock
    }
}

config::LdapConfig TestDirectoryServer::Config(bool starttls) const {
    config::LdapConfig c;
    c.uri = starttls ? Get("LDAP_URI") : Get("LDAPS_URI");
    c.starttls = starttls;
    c.flavor = ad_ ? "ad" : "openldap";
    c.bind_dn = Get("BIND_DN");
    c.bind_password = Secret(Get("BIND_PW"));
    c.base_dn = Get("BASE_DN");
    c.user_filter = ad_ ? "(&(objectCategory=person)(objectClass=user)(sAMAccountName={account}))"
                        : "(&(objectClass=inetOrgPerson)(uid={account}))";
    c.mobile_attr = "mobile";
    c.ca_file = Get("CA_FILE");
    c.timeout_s = 10;
    return c;
}

TestDirectoryServer& SharedSambaAd() {
    static std::unique_ptr<TestDirectoryServer> server = TestDirectoryServer::StartSambaAd();
    return *server;
}

BindOutcome UserBind(const std::string& uri, const std::string& ca_file, const std::string& dn,
                     const std::string& password, bool probe_search) {
    BindOutcome out;
    LDAP* ld = Connect(uri, ca_file);
    if (ld == nullptr) {
        return out;
    }
    out.rc = SimpleBind(ld, dn, password);
    out.diagnostic = Diag(ld);
    if (out.rc == LDAP_SUCCESS && probe_search) {
        LDAPMessage* res = nullptr;
        char attr[] = "cn";
        char* attrs[] = {attr, nullptr};
        out.rc = ldap_search_ext_s(ld, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
                                   nullptr, nullptr, nullptr, 0, &res);
        out.diagnostic = Diag(ld);
        ldap_msgfree(res);
    }
    ldap_unbind_ext_s(ld, nullptr, nullptr);
    return out;
}

std::string ReadAttr(const std::string& uri, const std::string& ca_file, const std::string& bind_dn,
                     const std::string& bind_pw, const std::string& dn, const std::string& attr) {
    LDAP* ld = Connect(uri, ca_file);
    if (ld == nullptr) {
        return "";
    }
    std::string value;
    if (SimpleBind(ld, bind_dn, bind_pw) == LDAP_SUCCESS) {
        std::string name = attr;
        char* attrs[] = {name.data(), nullptr};
        LDAPMessage* res = nullptr;
        if (ldap_search_ext_s(ld, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, nullptr,
                              nullptr, nullptr, 0, &res) == LDAP_SUCCESS) {
            LDAPMessage* e = ldap_first_entry(ld, res);
            berval** vals = e != nullptr ? ldap_get_values_len(ld, e, attr.c_str()) : nullptr;
            if (vals != nullptr && vals[0] != nullptr) {
                value.assign(vals[0]->bv_val, vals[0]->bv_len);
            }
            ldap_value_free_len(vals);
        }
        ldap_msgfree(res);
    }
    ldap_unbind_ext_s(ld, nullptr, nullptr);
    return value;
}

std::string MakeOtherCa(const TempDir& dir) {
    const std::string cert = dir.File("other-ca.pem");
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=other CA' "
        "-keyout " +
        Quote(dir.File("other-ca.key")) + " -out " + Quote(cert) + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        throw std::runtime_error("openssl req failed");
    }
    return cert;
}

}  // namespace wedesk::testing
