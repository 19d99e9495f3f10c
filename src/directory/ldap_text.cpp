#include "wedesk/directory/ldap_text.hpp"

#include <ldap.h>

#include <cstdint>

#include "wedesk/common/text.hpp"

namespace wedesk::directory {

namespace {

void PutUnit(std::string& out, std::uint32_t unit) {
    out.push_back(static_cast<char>(unit & 0xFFu));
    out.push_back(static_cast<char>((unit >> 8) & 0xFFu));
}

void PutCodePoint(std::string& out, std::uint32_t cp) {
    if (cp >= 0x10000u) {
        cp -= 0x10000u;
        PutUnit(out, 0xD800u + (cp >> 10));
        PutUnit(out, 0xDC00u + (cp & 0x3FFu));
    } else {
        PutUnit(out, cp);
    }
}

bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string EscapeFilterValue(std::string_view value) {
    berval in{static_cast<ber_len_t>(value.size()), const_cast<char*>(value.data())};
    berval out{0, nullptr};
    if (ldap_bv2escaped_filter_value(&in, &out) != 0 || out.bv_val == nullptr) {
        // Only fails on allocation failure; never fall back to the raw value.
        throw std::bad_alloc();
    }
    std::string escaped(out.bv_val, out.bv_len);
    ber_memfree(out.bv_val);
    return escaped;
}

std::string BuildUserFilter(std::string_view filter_template, std::string_view account) {
    static constexpr std::string_view kPlaceholder = "{account}";
    const std::string escaped = EscapeFilterValue(account);
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t hit = filter_template.find(kPlaceholder, pos);
        if (hit == std::string_view::npos) {
            out.append(filter_template.substr(pos));
            return out;
        }
        out.append(filter_template.substr(pos, hit - pos));
        out.append(escaped);
        pos = hit + kPlaceholder.size();
    }
}

Result<std::string> AdPasswordValue(std::string_view password_utf8) {
    if (!text::IsValidUtf8(password_utf8) || password_utf8.find('\0') != std::string_view::npos) {
        return Fail(Errc::kPolicy, "the password contains characters that cannot be used");
    }
    std::string out;
    out.reserve((password_utf8.size() + 2) * 2);
    PutCodePoint(out, '"');
    const auto* p = reinterpret_cast<const unsigned char*>(password_utf8.data());
    const auto* end = p + password_utf8.size();
    while (p < end) {
        std::uint32_t cp = 0;
        int extra = 0;
        if (*p < 0x80) {
            cp = *p;
        } else if ((*p & 0xE0u) == 0xC0u) {
            cp = *p & 0x1Fu;
            extra = 1;
        } else if ((*p & 0xF0u) == 0xE0u) {
            cp = *p & 0x0Fu;
            extra = 2;
        } else {
            cp = *p & 0x07u;
            extra = 3;
        }
        ++p;
        for (int i = 0; i < extra; ++i, ++p) {
            cp = (cp << 6) | (*p & 0x3Fu);  // validated above, so the bytes are there
        }
        PutCodePoint(out, cp);
    }
    PutCodePoint(out, '"');
    return out;
}

std::string AdDataCode(std::string_view diagnostic) {
    static constexpr std::string_view kData = "data ";
    std::size_t pos = 0;
    while ((pos = diagnostic.find(kData, pos)) != std::string_view::npos) {
        pos += kData.size();
        std::size_t end = pos;
        while (end < diagnostic.size() && IsHex(diagnostic[end])) {
            ++end;
        }
        if (end > pos) {
            return text::AsciiLower(diagnostic.substr(pos, end - pos));
        }
    }
    return {};
}

std::string PpolicyReason(int ppolicy_error) {
    switch (ppolicy_error) {
        case PP_passwordTooShort:
            return "the password is too short for the directory's password policy";
        case PP_passwordTooLong:
            return "the password is too long for the directory's password policy";
        case PP_passwordInHistory:
            return "the password was used recently (password history)";
        case PP_insufficientPasswordQuality:
            return "the password does not meet the directory's quality rules";
        case PP_passwordTooYoung:
            return "the password was changed too recently (minimum password age)";
        case PP_passwordModNotAllowed:
            return "password changes are not allowed for this account";
        case PP_accountLocked:
            return "the account is locked";
        default:
            return std::string("password policy: ") +
                   ldap_passwordpolicy_err2txt(static_cast<LDAPPasswordPolicyError>(ppolicy_error));
    }
}

std::string DnKey(std::string_view dn) {
    const std::string in(dn);
    char* out = nullptr;
    if (ldap_dn_normalize(in.c_str(), LDAP_DN_FORMAT_LDAP, &out, LDAP_DN_FORMAT_LDAPV3) ==
            LDAP_SUCCESS &&
        out != nullptr) {
        std::string key = text::AsciiLower(out);
        ldap_memfree(out);
        return key;
    }
    return text::AsciiLower(in);
}

}  // namespace wedesk::directory
