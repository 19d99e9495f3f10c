// Interop with an independent peer: the official @wecom/crypto npm package plays WeCom against
// the real running server (tests/interop/wecom_peer.js), and our crypto and the package decrypt
// each other's ciphertexts directly. Needs `node` and scripts/setup-interop.sh.
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "integration/server_helpers.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/wecom/crypto.hpp"

using wedesk::testing::TestServer;
using wedesk::testing::Vectors;

namespace {

const std::string kInteropDir = std::string(WEDESK_SOURCE_DIR) + "/tests/interop";
const std::string kPackageDir = kInteropDir + "/node_modules/@wecom/crypto";

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

// Runs `command` through the shell and collects its standard output.
CommandResult Run(const std::string& command) {
    CommandResult r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return r;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        r.output.append(buf, n);
    }
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
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

std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string Hex(const std::string& s) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += kDigits[c >> 4];
        out += kDigits[c & 0xF];
    }
    return out;
}

// Fails the test (never skips) when the peer cannot run here.
void RequirePeer() {
    if (Run("node --version 2>/dev/null").exit_code != 0) {
        FAIL(
            "`node` is not installed: the interop tests need Node.js 20 "
            "(scripts/install-deps.sh) and then scripts/setup-interop.sh");
    }
    if (!std::filesystem::exists(kPackageDir + "/package.json")) {
        FAIL(
            "the official @wecom/crypto package is missing in tests/interop/node_modules: "
            "run scripts/setup-interop.sh");
    }
}

wedesk::wecom::WecomCrypto VectorCrypto() {
    const auto& c = Vectors()["config"];
    auto crypto = wedesk::wecom::WecomCrypto::Create(
        wedesk::Secret(c["token"].get<std::string>()),
        wedesk::Secret(c["encoding_aes_key"].get<std::string>()), c["corpid"].get<std::string>());
    REQUIRE(crypto.ok());
    return std::move(crypto.value());
}

// Random UTF-8 text of `chars` characters mixing ASCII, XML specials and Chinese.
std::string RandomText(wedesk::Random& random, std::size_t chars) {
    static const std::vector<std::string> kAlphabet = {
        "a", "Z", "7", " ", "<", ">", "&", "]]>", "\n", "报", "修", "帮", "助", "密", "码", "😀"};
    std::string out;
    std::vector<std::uint8_t> picks(chars);
    random.Fill(picks);
    for (auto p : picks) {
        out += kAlphabet[p % kAlphabet.size()];
    }
    return out;
}

}  // namespace

TEST_CASE("the official @wecom/crypto peer interoperates with the running server", "[interop]") {
    RequirePeer();
    // The peer signs with the real clock: start the server's fake clock at the real time, keep
    // the default 300 s skew so the peer's stale (now - 3600) request is still refused.
    TestServer s(nlohmann::json::object(), static_cast<std::int64_t>(std::time(nullptr)));
    const auto& w = s.config().wecom;
    REQUIRE(w.max_clock_skew_s > 0);
    REQUIRE(s.config().server.max_body_bytes < 200 * 1024);

    const std::string command =
        "node " + Quote(kInteropDir + "/wecom_peer.js") + " --url " +
        Quote(s.BaseUrl() + w.callback_path) + " --token " + Quote(w.token.Reveal()) + " --key " +
        Quote(w.encoding_aes_key.Reveal()) + " --corpid " + Quote(w.corp_id) + " --agentid " +
        Quote(std::to_string(w.agent_id)) + " --user zhangsan 2>&1";
    const auto run = Run(command);

    long long accepted = 0;
    int scenarios = 0;
    std::vector<std::string> refused_msg_ids;
    std::string other_output;
    for (const auto& line : Lines(run.output)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("scenario")) {
            other_output += line + "\n";
            continue;
        }
        ++scenarios;
        const auto name = j.value("scenario", std::string());
        INFO("scenario " << name << ": " << j.value("detail", std::string()));
        CHECK(j.value("ok", false));
        accepted += j.value("accepted", 0LL);
        if (name.rfind("neg_", 0) == 0 && j.contains("msg_ids")) {
            for (const auto& id : j["msg_ids"]) {
                refused_msg_ids.push_back(id.get<std::string>());
            }
        }
    }
    INFO("peer output that is not a scenario line:\n" << other_output);
    CHECK(run.exit_code == 0);
    // url_verification, text_help, events, 8 POST negatives, 2 GET negatives, still_alive,
    // duplicate.
    CHECK(scenarios == 15);

    // The negatives stored nothing: the table holds exactly the accepted deliveries (text, two
    // events, the post-negative text, one row for the duplicated request).
    CHECK(accepted == 5);
    CHECK(s.Count("inbound_messages") == accepted);
    CHECK(refused_msg_ids.size() == 8);
    for (const auto& id : refused_msg_ids) {
        INFO("refused MsgId " << id);
        CHECK(s.Count("inbound_messages", "dedupe_key = '" + id + "'") == 0);
    }
}

TEST_CASE("our crypto and the official package decrypt each other's ciphertexts", "[interop]") {
    RequirePeer();
    const auto crypto = VectorCrypto();
    const auto& c = Vectors()["config"];
    wedesk::OpenSslRandom random;

    // Lengths around the 32-byte padding boundary (plaintext = 16 + 4 + len + 18-byte corpid:
    // aligned at len 26 and 58) plus random UTF-8 messages of random length.
    std::vector<std::string> messages = {"", "帮助", "报修 打印机卡纸"};
    for (std::size_t len :
         std::initializer_list<std::size_t>{1, 12, 13, 14, 25, 26, 27, 57, 58, 59, 90}) {
        messages.push_back(std::string(len, 'x'));
    }
    for (int i = 0; i < 20; ++i) {
        std::uint8_t len[1];
        random.Fill(len);
        messages.push_back(RandomText(random, len[0]));
    }

    const std::string timestamp = std::to_string(std::time(nullptr));
    const std::string nonce = random.Digits(10);
    std::vector<std::string> ciphertexts;
    std::string args;
    for (const auto& m : messages) {
        std::string prefix(16, '\0');
        random.Fill(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(prefix.data()), 16));
        ciphertexts.push_back(crypto.EncryptWithPrefix(m, prefix));
        args += " " + Quote(ciphertexts.back());
    }

    // For each of our ciphertexts the package returns its decryption (message as hex), the
    // receiveid, its own encryption of the same message, and its signature over our ciphertext.
    const std::string script =
        "const c = require(process.argv[1]);"
        "const [key, corp, token, ts, nonce] = process.argv.slice(2, 7);"
        "const out = process.argv.slice(7).map((ct) => {"
        "  const r = c.decrypt(key, ct);"
        "  return { hex: Buffer.from(r.message).toString(\"hex\"), id: r.id,"
        "           back: c.encrypt(key, r.message, corp),"
        "           sig: c.getSignature(token, ts, nonce, ct) };"
        "});"
        "process.stdout.write(JSON.stringify(out));";
    const auto run =
        Run("node -e " + Quote(script) + " " + Quote(kPackageDir) + " " +
            Quote(c["encoding_aes_key"].get<std::string>()) + " " +
            Quote(c["corpid"].get<std::string>()) + " " + Quote(c["token"].get<std::string>()) +
            " " + Quote(timestamp) + " " + Quote(nonce) + args + " 2>&1");
    INFO(run.output.substr(0, 2000));
    REQUIRE(run.exit_code == 0);
    auto out = nlohmann::json::parse(run.output, nullptr, false);
    REQUIRE(out.is_array());
    REQUIRE(out.size() == messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        INFO("message #" << i << " (" << messages[i].size() << " bytes)");
        const auto& r = out[i];
        // Ours → package.
        CHECK(r.value("hex", std::string()) == Hex(messages[i]));
        CHECK(r.value("id", std::string()) == c["corpid"].get<std::string>());
        CHECK(r.value("sig", std::string()) ==
              crypto.SignatureFor(timestamp, nonce, ciphertexts[i]));
        // Package → ours.
        auto back = crypto.Decrypt(r.value("back", std::string()));
        REQUIRE(back.ok());
        CHECK(*back == messages[i]);
    }
}
