#include <cctype>

#include "wedesk/common/text.hpp"
#include "wedesk/sms/sms_sender.hpp"

namespace wedesk::sms {

namespace {

bool AllDigits(const std::string& s) {
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return !s.empty();
}

// Mainland mobile numbers: 11 digits, 1 then 3-9.
bool IsCnMobile(const std::string& national) {
    return national.size() == 11 && AllDigits(national) && national[0] == '1' &&
           national[1] >= '3' && national[1] <= '9';
}

Error Invalid() { return Fail(Errc::kInvalidPhone, "not a mobile number"); }

}  // namespace

Result<std::string> NormalizePhone(const std::string& raw) {
    const std::string folded = text::FoldFullWidth(raw);
    std::string s;
    for (char c : folded) {
        if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '\t') {
            continue;
        }
        s.push_back(c);
    }
    if (s.empty() || s.size() > 20) {
        return Invalid();
    }
    std::string digits;
    bool international = false;
    if (s[0] == '+') {
        digits = s.substr(1);
        international = true;
    } else if (s.rfind("00", 0) == 0) {
        digits = s.substr(2);
        international = true;
    } else {
        digits = s;
    }
    if (!AllDigits(digits)) {
        return Invalid();
    }
    if (!international) {
        if (IsCnMobile(digits)) {
            return "+86" + digits;
        }
        if (digits.size() == 13 && digits.rfind("86", 0) == 0 && IsCnMobile(digits.substr(2))) {
            return "+" + digits;
        }
        return Invalid();
    }
    if (digits.rfind("86", 0) == 0) {
        if (IsCnMobile(digits.substr(2))) {
            return "+" + digits;
        }
        return Invalid();
    }
    // E.164: country code 1-9xx, at most 15 digits in all.
    if (digits[0] == '0' || digits.size() < 8 || digits.size() > 15) {
        return Invalid();
    }
    return "+" + digits;
}

std::string MaskPhone(const std::string& e164) {
    if (e164.size() == 14 && e164.rfind("+86", 0) == 0) {
        return e164.substr(3, 3) + "****" + e164.substr(e164.size() - 4);
    }
    if (e164.size() >= 9 && e164[0] == '+') {
        return e164.substr(0, 4) + "****" + e164.substr(e164.size() - 4);
    }
    return "****";
}

}  // namespace wedesk::sms
