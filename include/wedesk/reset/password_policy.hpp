#pragma once
/// The self-service password policy (SPEC "Password reset"): at least `min_length` characters,
/// three of the four classes (upper case, lower case, digit, other), not containing the
/// account name, and only printable ASCII (what can be typed at a Windows or Linux logon
/// screen, where there is no input method). Checked server-side before the directory is asked; the
/// directory may still refuse with its own rules (history, age).

#include <cstddef>
#include <optional>
#include <string>

#include "wedesk/common/random.hpp"

namespace wedesk::reset {

/// Why `password` breaks the policy, in Chinese for the user; nullopt when it is acceptable.
std::optional<std::string> CheckPasswordPolicy(const std::string& password,
                                               const std::string& account, int min_length);

/// The policy as a short list of rules for the form page.
std::string DescribePasswordPolicy(int min_length);

/// A random password that meets the policy (at least max(min_length, 14) characters, no
/// look-alike characters).
std::string GenerateTempPassword(Random& random, const std::string& account, int min_length);

}  // namespace wedesk::reset
