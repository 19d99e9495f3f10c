#pragma once
// RecordingNotifier: a Notifier that keeps every message in memory, for unit tests of the
// modules that notify (tickets, bot). Thread-safe.

#include <mutex>
#include <string>
#include <vector>

#include "wedesk/common/notifier.hpp"

namespace wedesk::testing {

struct Sent {
    std::string kind;  // "text" | "secret" | "markdown" | "card" | "retire"
    std::string to;    // for "retire": the card's id
    std::string body;  // for "retire": the button's new name; for "card": its title
    Card card;         // for "card"
};

/// Records every message; thread-safe.
class RecordingNotifier final : public Notifier {
public:
    void SendText(const std::string& userid, const std::string& text) override {
        Add("text", userid, text);
    }
    void SendSecretText(const std::string& userid, const std::string& text) override {
        Add("secret", userid, text);
    }
    void SendMarkdown(const std::string& userid, const std::string& markdown) override {
        Add("markdown", userid, markdown);
    }
    void SendCard(const std::string& userid, const Card& card) override {
        std::lock_guard lock(mu_);
        sent_.push_back({"card", userid, card.title, card});
    }
    /// Recorded as kind "file" with body = the file's path.
    void SendFile(const std::string& userid, const FileMessage& file) override {
        Add("file", userid, file.path);
    }
    void RetireCard(const std::string& task_id, const std::string& replace_name) override {
        Add("retire", task_id, replace_name);
    }
    std::vector<Sent> All() const {
        std::lock_guard lock(mu_);
        return sent_;
    }
    /// Messages of `kind` to `to` ("" = any recipient).
    std::vector<Sent> To(const std::string& to, const std::string& kind = "") const {
        std::vector<Sent> out;
        for (const auto& s : All()) {
            if ((to.empty() || s.to == to) && (kind.empty() || s.kind == kind)) {
                out.push_back(s);
            }
        }
        return out;
    }
    void Clear() {
        std::lock_guard lock(mu_);
        sent_.clear();
    }

private:
    void Add(const char* kind, const std::string& to, const std::string& body) {
        std::lock_guard lock(mu_);
        sent_.push_back({kind, to, body, {}});
    }
    mutable std::mutex mu_;
    std::vector<Sent> sent_;
};

}  // namespace wedesk::testing
