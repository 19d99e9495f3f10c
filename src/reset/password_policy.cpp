#include "wedesk/reset/password_policy.hpp"

#include <algorithm>

#include "wedesk/common/secret.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::reset {

namespace {

// No look-alikes (0/O, 1/l/I) so a temporary password can be read off a phone screen.
constexpr std::string_view kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
constexpr std::string_view kLower = "abcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kDigits = "23456789";
constexpr std::string_view kSymbols = "!@#%*-_+=?";

}  // namespace

std::optional<std::string> CheckPasswordPolicy(const std::string& password,
                                               const std::string& account, int min_length) {
    if (!text::IsValidUtf8(password)) {
        return "密码包含无效字符";
    }
    const std::size_t len = text::Utf8Length(password);
    if (len < static_cast<std::size_t>(std::max(min_length, 1))) {
        return "密码至少需要" + std::to_string(min_length) + "个字符";
    }
    if (len > 128) {
        return "密码不能超过128个字符";
    }
    bool upper = false;
    bool lower = false;
    bool digit = false;
    bool other = false;
    for (char c : password) {
        if (c >= 'A' && c <= 'Z') {
            upper = true;
        } else if (c >= 'a' && c <= 'z') {
            lower = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return "密码不能包含空格或控制字符";
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            // Chinese, full-width forms, accents, emoji: not typeable at a Windows or Linux
            // logon screen (no input method there), so the account would be locked out.
            return "密码只能使用键盘上的英文字母、数字和符号（不能有中文、全角字符或表情），"
                   "否则在电脑登录界面无法输入";
        } else {
            other = true;
        }
    }
    if (static_cast<int>(upper) + static_cast<int>(lower) + static_cast<int>(digit) +
            static_cast<int>(other) <
        3) {
        return "密码需包含大写字母、小写字母、数字、符号中的至少三类";
    }
    // Like AD: the account name (3+ characters), case-insensitively.
    if (account.size() >= 3 &&
        text::AsciiLower(password).find(text::AsciiLower(account)) != std::string::npos) {
        return "密码不能包含账号名";
    }
    return std::nullopt;
}

std::string DescribePasswordPolicy(int min_length) {
    return "至少" + std::to_string(min_length) +
           "个字符；包含大写字母、小写字母、数字、符号中的至少三类；不能包含账号名；"
           "只能使用键盘上的英文字母、数字和符号（不能有中文、全角字符或空格）";
}

std::string GenerateTempPassword(Random& random, const std::string& account, int min_length) {
    const std::size_t n = static_cast<std::size_t>(std::max(min_length, 14));
    std::string all;
    all.append(kUpper).append(kLower).append(kDigits).append(kSymbols);
    for (;;) {
        std::string pw;
        pw.reserve(n);
        // One of each class at random positions, the rest from the whole alphabet.
        for (std::size_t i = 0; i < n; ++i) {
            pw.push_back(all[random.Below(all.size())]);
        }
        const std::string_view classes[] = {kUpper, kLower, kDigits, kSymbols};
        std::size_t pos = 0;
        for (const auto& cls : classes) {
            pw[pos] = cls[random.Below(cls.size())];
            ++pos;
        }
        // Shuffle (Fisher-Yates) so the forced characters are not always first.
        for (std::size_t i = n - 1; i > 0; --i) {
            std::swap(pw[i], pw[random.Below(i + 1)]);
        }
        if (!CheckPasswordPolicy(pw, account, min_length)) {
            return pw;
        }
        WipeString(pw);
    }
}

}  // namespace wedesk::reset
