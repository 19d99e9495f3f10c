#pragma once
// Test doubles for the reset flow: directory, SMS sender (records codes), notifier, user lookup,
// and a deterministic random source with a long period (session ids must not repeat).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wedesk/common/notifier.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/directory/directory.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/sms/sms_sender.hpp"

namespace wedesk::testing {

/// splitmix64: reproducible, never repeats within a test (FakeRandom cycles every 16 bytes).
class FakeSeqRandom final : public Random {
public:
    explicit FakeSeqRandom(std::uint64_t seed = 42) : state_(seed) {}
    void Fill(std::span<std::uint8_t> out) override {
        for (auto& b : out) {
            if (left_ == 0) {
                state_ += 0x9E3779B97F4A7C15ULL;
                std::uint64_t z = state_;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
                word_ = z ^ (z >> 31);
                left_ = 8;
            }
            b = static_cast<std::uint8_t>(word_ & 0xFF);
            word_ >>= 8;
            --left_;
        }
    }

private:
    std::uint64_t state_;
    std::uint64_t word_ = 0;
    int left_ = 0;
};

class FakeDirectory final : public directory::Directory {
public:
    struct SetCall {
        std::string account;
        std::string password;
        bool must_change = false;
    };
    std::map<std::string, directory::Account> accounts;
    std::optional<Error> find_error;
    std::optional<Error> write_error;  // SetPassword and Unlock
    std::vector<SetCall> sets;
    std::vector<std::string> unlocks;
    int finds = 0;
    std::function<void()> on_set;  // runs first in SetPassword (a test may throw from it)
    bool available = true;         // false: as a directory whose circuit breaker is open

    void Add(const std::string& account, std::optional<std::string> mobile, bool prot = false) {
        directory::Account a;
        a.account = account;
        a.dn = "uid=" + account + ",ou=people,dc=example,dc=com";
        a.display_name = account;
        a.mobile = std::move(mobile);
        a.is_protected = prot;
        accounts[account] = a;
    }
    Result<directory::Account> Find(const std::string& account) override {
        ++finds;
        if (find_error) {
            return *find_error;
        }
        auto it = accounts.find(account);
        if (it == accounts.end()) {
            return Fail(wedesk::Errc::kNotFound, "no such account");
        }
        return it->second;
    }
    Result<void> SetPassword(const directory::Account& account, const Secret& pw,
                             bool must_change) override {
        if (on_set) {
            on_set();
        }
        if (write_error) {
            return *write_error;
        }
        sets.push_back({account.account, pw.Reveal(), must_change});
        return {};
    }
    Result<void> Unlock(const directory::Account& account) override {
        if (write_error) {
            return *write_error;
        }
        unlocks.push_back(account.account);
        return {};
    }
    Result<void> Ping() override { return {}; }
    bool Available() override { return available; }
    bool Unchanged() const { return sets.empty() && unlocks.empty(); }
};

class FakeSmsSender final : public sms::SmsSender {
public:
    struct Sent {
        std::string phone;
        std::string code;
        std::string purpose;
    };
    std::vector<Sent> sent;
    std::optional<Error> fail;
    std::function<void()> on_send;  // runs first in every Send
    int calls = 0;                  // every Send, failed ones too

    Result<void> Send(const sms::SmsMessage& m) override {
        ++calls;
        if (on_send) {
            on_send();
        }
        if (fail) {
            return *fail;
        }
        sent.push_back({m.phone_e164, m.code.Reveal(), m.purpose});
        return {};
    }
    std::string Name() const override { return "fake"; }
    const std::string& LastCode() const { return sent.back().code; }
};

class FakeNotifier final : public Notifier {
public:
    std::vector<std::pair<std::string, std::string>> texts;
    void SendText(const std::string& userid, const std::string& text) override {
        texts.emplace_back(userid, text);
    }
    std::vector<std::pair<std::string, std::string>> secrets;
    void SendSecretText(const std::string& userid, const std::string& text) override {
        secrets.emplace_back(userid, text);
    }
    void SendMarkdown(const std::string& userid, const std::string& md) override {
        texts.emplace_back(userid, md);
    }
    void SendCard(const std::string& userid, const Card& card) override {
        texts.emplace_back(userid, card.title);
    }
    void SendFile(const std::string& userid, const FileMessage& file) override {
        texts.emplace_back(userid, file.name);
    }
    void RetireCard(const std::string&, const std::string&) override {}
};

class FakeUserLookup final : public reset::UserLookup {
public:
    std::map<std::string, reset::UserInfo> users;
    std::map<std::string, std::vector<std::string>> owners;  // account -> userids
    reset::UserInfo Find(const std::string& userid) override {
        auto it = users.find(userid);
        return it == users.end() ? reset::UserInfo{} : it->second;
    }
    std::vector<std::string> OwnersOf(const std::string& account) override {
        auto it = owners.find(account);
        return it == owners.end() ? std::vector<std::string>{} : it->second;
    }
};

}  // namespace wedesk::testing
