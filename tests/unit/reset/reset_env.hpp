#pragma once
// A ResetService over a real SQLite file with fakes around it.

#include <chrono>
#include <memory>
#include <string>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "reset_fakes.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

namespace wedesk::testing {

struct ResetEnv {
    TempDir tmp;
    std::unique_ptr<store::Database> db =
        store::Database::Open(tmp.File("wedesk.db"), wedesk::schema::All());
    FakeClock clock;
    FakeSeqRandom random;
    FakeDirectory directory;
    FakeSmsSender sms;
    FakeNotifier notifier;
    FakeUserLookup users;
    config::ResetConfig cfg;
    std::unique_ptr<reset::ResetService> svc;

    explicit ResetEnv(const std::string& mode = "link") {
        cfg.mode = mode;
        users.users["alice"] = {"alice", "13800000001"};
        directory.Add("alice", "+86 138 0000 0001");  // the number of record
        Rebuild();
    }
    void Rebuild(bool with_dir = true, bool with_sms = true) {
        svc = std::make_unique<reset::ResetService>(
            cfg, "https://desk.example.com/", *db, with_dir ? &directory : nullptr,
            with_sms ? &sms : nullptr, users, notifier, clock, random,
            Secret("server-key-for-tests-0123456789abcdef"));
    }
    void Advance(int seconds) { clock.Advance(std::chrono::seconds(seconds)); }

    /// The token at the end of "https://desk.example.com/reset/<token>" in a reply.
    static std::string TokenIn(const std::string& text) {
        const std::string marker = "https://desk.example.com/reset/";
        const auto p = text.find(marker);
        if (p == std::string::npos) {
            return "";
        }
        std::string token;
        for (std::size_t i = p + marker.size(); i < text.size(); ++i) {
            const char c = text[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                break;
            }
            token.push_back(c);
        }
        return token;
    }
    /// The anti-CSRF nonce of a rendered form ("" when the page has none).
    static std::string NonceIn(const std::string& html) {
        const std::string marker = "name=\"nonce\" value=\"";
        const auto p = html.find(marker);
        if (p == std::string::npos) {
            return "";
        }
        const auto start = p + marker.size();
        return html.substr(start, html.find('"', start) - start);
    }
    /// Opens the form, as a browser would, and submits it.
    reset::WebPage Submit(const std::string& token, const std::string& password,
                          const std::string& confirm) {
        return svc->SubmitForm(token, password, confirm, NonceIn(svc->ShowForm(token).html));
    }
    /// A 6-digit code that is not `code`.
    static std::string WrongCode(const std::string& code) {
        std::string w = code;
        w[0] = w[0] == '9' ? '0' : static_cast<char>(w[0] + 1);
        return w;
    }
    bool HasAudit(const std::string& action, const std::string& outcome) {
        for (const auto& r : svc->Audit("", 1000)) {
            if (r.action == action && r.outcome == outcome) {
                return true;
            }
        }
        return false;
    }
};

inline bool Contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace wedesk::testing
