// libFuzzer target: config::Parse(text, env). The input is the config text up to the first NUL
// byte; every further NUL-separated piece is one environment entry, "WEDESK__" + piece, or the
// piece without its leading '!' taken verbatim. The piece "!canary" stands for a set of
// WEDESK__… entries putting a known value into every secret key: that value must never appear
// in an error message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "wedesk/common/text.hpp"
#include "wedesk/config/config.hpp"

namespace {

constexpr std::string_view kCanary = "c4n4ry-s3cr3t-v4lu3";

void Check(bool ok, const char* what, const std::string& detail = {}) {
    if (!ok) {
        std::fprintf(stderr, "invariant violated: %s\n%s\n", what, detail.c_str());
        std::abort();
    }
}

void AddCanaries(std::vector<std::string>& env) {
    for (const char* key : {"WECOM__SECRET", "WECOM__TOKEN", "WECOM__ENCODING_AES_KEY",
                            "SMS__WEBHOOK__SECRET", "SMS__TENCENT__SECRET_KEY",
                            "SMS__ALIYUN__ACCESS_KEY_SECRET", "DIRECTORY__LDAP__BIND_PASSWORD"}) {
        env.push_back("WEDESK__" + std::string(key) + "=" + std::string(kCanary));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto nul = in.find('\0');
    const std::string text(in.substr(0, nul));
    std::vector<std::string> env;
    bool canaries = false;
    // The canary may also be typed into the text or another entry by the fuzzer (in any case:
    // key paths are lower-cased); then it is not a secret and may be echoed, e.g. as an unknown
    // key name.
    using wedesk::text::AsciiLower;
    bool canary_elsewhere = AsciiLower(text).find(kCanary) != std::string::npos;
    if (nul != std::string_view::npos) {
        in.remove_prefix(nul + 1);
        for (;;) {
            const auto end = in.find('\0');
            const std::string_view piece = in.substr(0, end);
            if (piece == "!canary") {
                AddCanaries(env);
                canaries = true;
            } else if (!piece.empty() && piece.front() == '!') {
                env.emplace_back(piece.substr(1));
            } else {
                env.push_back("WEDESK__" + std::string(piece));
            }
            if (piece != "!canary" && AsciiLower(piece).find(kCanary) != std::string::npos) {
                canary_elsewhere = true;
            }
            if (end == std::string_view::npos) {
                break;
            }
            in.remove_prefix(end + 1);
        }
    }

    auto r = wedesk::config::Parse(text, env);
    if (!r.ok()) {
        Check(r.error().code == wedesk::Errc::kConfig, "errors have code config", r.error().CodeText());
        Check(!r.error().message.empty(), "errors say something");
        if (canaries && !canary_elsewhere) {
            Check(AsciiLower(r.error().message).find(kCanary) == std::string::npos,
                  "a secret value appears in an error message", r.error().message);
        }
        return 0;
    }
    const wedesk::config::Config& c = *r;
    Check(c.server.port >= 0 && c.server.port <= 65535, "port range");
    Check(c.server.threads >= 1, "threads >= 1");
    Check(c.wecom.encoding_aes_key.Reveal().size() == 43, "encoding_aes_key is 43 characters");
    Check(!c.tickets.categories.empty(), "there are always ticket categories");
    Check(!c.tickets.business_hours.days.empty(), "business hours have days");
    for (int d : c.tickets.business_hours.days) {
        Check(d >= 1 && d <= 7, "ISO weekday");
    }
    return 0;
}
