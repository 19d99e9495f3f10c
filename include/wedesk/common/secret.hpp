#pragma once
/// Secret: a string that must never reach a log line or an error message (AES key, corp
/// secret, LDAP bind password, SMS code, reset token, new password). Formatting prints "***";
/// the bytes are wiped when the object dies.

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wedesk {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&&) noexcept = default;
    Secret& operator=(Secret&&) noexcept = default;
    ~Secret();

    /// The clear value, for the one call that needs it. Name chosen to be easy to grep.
    const std::string& Reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

private:
    std::string value_;
};

/// Wipes a string's bytes in a way the optimiser cannot drop.
void WipeString(std::string& s);

/// Compares two byte strings in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wedesk

template <>
struct fmt::formatter<wedesk::Secret> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const wedesk::Secret&, Ctx& ctx) const {
        return fmt::formatter<std::string_view>::format("***", ctx);
    }
};
