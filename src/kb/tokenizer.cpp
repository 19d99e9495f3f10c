#include "kb/tokenizer.hpp"

#include <algorithm>
#include <array>

#include "wedesk/common/text.hpp"

namespace wedesk::kb::tok {

namespace {

bool IsCjk(char32_t c) {
    return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F) ||
           (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF) || c == 0x3007;
}

bool IsAsciiAlnum(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsLatinLetter(char32_t c) {
    return IsAsciiAlnum(c) || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

// Characters that never belong to a search term: particles, pronouns, degree adverbs.
constexpr std::array<std::string_view, 28> kSplitChars = {
    "的", "了", "吗", "呢", "啊", "吧", "呀", "嘛", "哦", "啦", "哇", "呗", "哈", "嗯",
    "我", "你", "您", "他", "她", "它", "很", "太", "好", "是", "也", "都", "就", "又"};

// Filler phrases removed from CJK runs (longest first where one contains another).
constexpr std::array<std::string_view, 44> kStopPhrases = {
    "为什么", "怎么办", "怎么样", "怎么回事", "能不能", "可不可以", "是不是", "有没有", "怎么",
    "什么",   "如何",   "请问",   "一下",     "帮忙",   "麻烦",     "谢谢",   "你好",   "您好",
    "在吗",   "咋办",   "咋",     "为啥",     "一直",   "老是",     "总是",   "还是",   "无法",
    "不能",   "已经",   "然后",   "但是",     "现在",   "这个",     "那个",   "之后",   "以后",
    "怎样",   "特别",   "非常",   "有点",     "一点",   "突然",     "一些",   "那么"};

bool StartsWith(std::string_view s, std::size_t i, std::string_view p) {
    return s.size() - i >= p.size() && s.compare(i, p.size(), p) == 0;
}

void SplitCjkRun(const std::vector<std::string>& chars, std::vector<Segment>& out) {
    Segment cur;
    cur.cjk = true;
    auto flush = [&] {
        if (!cur.chars.empty()) {
            out.push_back(cur);
        }
        cur.chars.clear();
        cur.text.clear();
    };
    std::size_t i = 0;
    while (i < chars.size()) {
        const std::string& c = chars[i];
        if (std::find(kSplitChars.begin(), kSplitChars.end(), c) != kSplitChars.end()) {
            flush();
            ++i;
            continue;
        }
        // Stop phrases: compare the next few characters joined.
        std::size_t stop_len = 0;
        for (std::string_view p : kStopPhrases) {
            std::string joined;
            std::size_t n = 0;
            while (i + n < chars.size() && joined.size() < p.size()) {
                joined += chars[i + n];
                ++n;
            }
            if (StartsWith(joined, 0, p) && joined.size() == p.size()) {
                stop_len = n;
                break;
            }
        }
        if (stop_len > 0) {
            flush();
            i += stop_len;
            continue;
        }
        cur.chars.push_back(c);
        cur.text += c;
        ++i;
    }
    flush();
}

}  // namespace

std::string Normalize(std::string_view raw, std::size_t max_chars) {
    const std::string folded = text::FoldFullWidth(raw);
    std::string_view s = folded;
    std::string out;
    out.reserve(std::min<std::size_t>(s.size(), max_chars * 4));
    std::size_t kept = 0;
    char32_t prev = 0;
    std::size_t i = 0;
    while (i < s.size() && kept < max_chars) {
        char32_t cp = 0;
        std::size_t n = text::DecodeUtf8At(s, i, cp);
        if (n == 0) {
            cp = ' ';
            n = 1;
        }
        if (cp >= 'A' && cp <= 'Z') {
            cp = cp - 'A' + 'a';
        }
        if (IsLatinLetter(cp) || IsCjk(cp)) {
            out.append(s.substr(i, n));
            if (cp >= 'a' && cp <= 'z') {
                out.back() = static_cast<char>(cp);
            }
            ++kept;
        } else if ((cp == '-' || cp == '\'') && IsAsciiAlnum(prev) && i + 1 < s.size() &&
                   IsAsciiAlnum(static_cast<unsigned char>(s[i + 1]))) {
            // "wi-fi" and "can't" are one word.
        } else if (!out.empty() && out.back() != ' ') {
            out.push_back(' ');
        }
        prev = cp;
        i += n;
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

std::vector<Segment> Segments(std::string_view s) {
    std::vector<Segment> out;
    std::size_t i = 0;
    Segment latin;
    std::vector<std::string> cjk;
    auto flush_latin = [&] {
        if (!latin.text.empty()) {
            out.push_back(latin);
            latin.text.clear();
        }
    };
    auto flush_cjk = [&] {
        if (!cjk.empty()) {
            SplitCjkRun(cjk, out);
            cjk.clear();
        }
    };
    while (i < s.size()) {
        char32_t cp = 0;
        std::size_t n = text::DecodeUtf8At(s, i, cp);
        if (n == 0) {
            n = 1;
            cp = ' ';
        }
        if (IsCjk(cp)) {
            flush_latin();
            cjk.emplace_back(s.substr(i, n));
        } else if (IsLatinLetter(cp)) {
            flush_cjk();
            latin.text.append(s.substr(i, n));
        } else {
            flush_latin();
            flush_cjk();
        }
        i += n;
    }
    flush_latin();
    flush_cjk();
    return out;
}

std::vector<std::string> PositionalTokens(const std::vector<Segment>& segs) {
    std::vector<std::string> out;
    for (const auto& seg : segs) {
        if (!seg.cjk) {
            out.push_back(seg.text);
        } else if (seg.chars.size() == 1) {
            out.push_back(seg.chars[0]);
        } else {
            for (std::size_t k = 0; k + 1 < seg.chars.size(); ++k) {
                out.push_back(seg.chars[k] + seg.chars[k + 1]);
            }
        }
    }
    return out;
}

std::vector<std::string> AllTokens(std::string_view raw) {
    const auto segs = Segments(Normalize(raw, std::string::npos));
    auto out = PositionalTokens(segs);
    for (const auto& seg : segs) {
        if (seg.cjk && seg.chars.size() > 1) {
            out.insert(out.end(), seg.chars.begin(), seg.chars.end());
        }
    }
    return out;
}

std::string IndexText(std::string_view raw) {
    std::string out;
    for (const auto& t : AllTokens(raw)) {
        if (!out.empty()) {
            out.push_back(' ');
        }
        out += t;
    }
    return out;
}

bool IsAsciiWord(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

std::set<std::string> Bigrams(const std::string& norm) {
    std::vector<std::string> chars;
    std::size_t i = 0;
    while (i < norm.size()) {
        char32_t cp = 0;
        std::size_t n = text::DecodeUtf8At(norm, i, cp);
        n = n == 0 ? 1 : n;
        if (norm[i] != ' ') {
            chars.push_back(norm.substr(i, n));
        }
        i += n;
    }
    std::set<std::string> out;
    if (chars.size() == 1) {
        out.insert(chars.front());
    }
    for (std::size_t k = 0; k + 1 < chars.size(); ++k) {
        out.insert(chars[k] + chars[k + 1]);
    }
    return out;
}

double Jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
    if (a.empty() || b.empty()) {
        return 0.0;
    }
    std::size_t common = 0;
    for (const auto& x : a) {
        common += b.count(x);
    }
    return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

}  // namespace wedesk::kb::tok
