#include "wedesk/common/text.hpp"

#include <cstdint>

namespace wedesk::text {

namespace {

bool IsSpaceAt(std::string_view s, std::size_t i, std::size_t& len) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        len = 1;
        return true;
    }
    if (s.substr(i, 3) == "\xE3\x80\x80") {  // U+3000 ideographic space
        len = 3;
        return true;
    }
    return false;
}

}  // namespace

std::string Trim(std::string_view s) {
    std::size_t b = 0;
    std::size_t len = 0;
    while (b < s.size() && IsSpaceAt(s, b, len)) {
        b += len;
    }
    std::size_t e = s.size();
    for (;;) {
        if (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
                      s[e - 1] == '\f' || s[e - 1] == '\v')) {
            --e;
        } else if (e >= b + 3 && s.substr(e - 3, 3) == "\xE3\x80\x80") {
            e -= 3;
        } else {
            break;
        }
    }
    return std::string(s.substr(b, e - b));
}

std::string FoldFullWidth(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t n = DecodeUtf8At(s, i, cp);
        if (n == 0) {
            out.push_back(s[i]);
            ++i;
            continue;
        }
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
        } else if (cp == 0x3000) {
            out.push_back(' ');
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::string AsciiLower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string_view TrimSuffixes(std::string_view s, std::span<const std::string_view> suffixes) {
    for (bool again = true; again;) {
        again = false;
        for (auto p : suffixes) {
            if (!p.empty() && s.size() > p.size() && s.ends_with(p)) {
                s.remove_suffix(p.size());
                again = true;
            }
        }
    }
    return s;
}

bool ContainsAny(std::string_view s, std::span<const std::string_view> words) {
    for (auto w : words) {
        if (!w.empty() && s.find(w) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

bool ContainsAny(std::string_view s, std::initializer_list<std::string_view> words) {
    return ContainsAny(s, std::span<const std::string_view>(words.begin(), words.size()));
}

std::string NormalizeCommand(std::string_view s) { return AsciiLower(Trim(FoldFullWidth(s))); }

bool IsValidUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t n = DecodeUtf8At(s, i, cp);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string TruncateUtf8(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) {
        return std::string(s);
    }
    std::size_t cut = max_bytes;
    // Step back over continuation bytes so we never split a character.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(s.substr(0, cut));
}

std::size_t Utf8Length(std::string_view s) {
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t n = DecodeUtf8At(s, i, cp);
        i += (n == 0) ? 1 : n;
        ++count;
    }
    return count;
}

std::size_t DecodeUtf8At(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

}  // namespace wedesk::text
