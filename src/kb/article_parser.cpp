#include "kb/article_parser.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "wedesk/common/text.hpp"

namespace wedesk::kb {

namespace {

bool StartsWith(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

// "关键词：a, b" / "Keywords: a b" -> the part after the colon; nullopt-like empty flag.
bool KeywordLine(std::string_view line, std::string& rest) {
    const std::string t = text::Trim(line);
    const std::string lower = text::AsciiLower(t);
    for (std::string_view label : {"关键词", "关键字", "keywords", "keyword"}) {
        if (!StartsWith(lower, label)) {
            continue;
        }
        std::string after = text::Trim(std::string_view(t).substr(label.size()));
        if (StartsWith(after, ":")) {
            rest = after.substr(1);
            return true;
        }
        if (StartsWith(after, "：")) {
            rest = after.substr(std::string_view("：").size());
            return true;
        }
    }
    return false;
}

std::string Quote(const std::string& title) { return "'" + text::TruncateUtf8(title, 60) + "'"; }

}  // namespace

std::string TitleKey(std::string_view title) {
    const std::string n = text::NormalizeCommand(title);
    std::string out;
    bool space = false;
    for (char c : n) {
        const bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (ws) {
            space = true;
            continue;
        }
        if (space && !out.empty()) {
            out.push_back(' ');
        }
        space = false;
        out.push_back(c);
    }
    return out;
}

std::vector<std::string> SplitKeywords(std::string_view line) {
    std::string s(line);
    // Fold the Chinese separators into commas, then split on commas.
    for (std::string_view sep : {"，", "、", "；", ";", "｜", "|"}) {
        std::size_t pos = 0;
        while ((pos = s.find(sep, pos)) != std::string::npos) {
            s.replace(pos, sep.size(), ",");
            pos += 1;
        }
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t end = s.find(',', start);
        if (end == std::string::npos) {
            end = s.size();
        }
        std::string k = text::Trim(std::string_view(s).substr(start, end - start));
        if (!k.empty() && seen.insert(text::AsciiLower(k)).second) {
            out.push_back(k);
        }
        start = end + 1;
    }
    return out;
}

Result<Article> CleanArticle(Article a) {
    a.title = text::Trim(a.title);
    a.answer = text::Trim(a.answer);
    if (!text::IsValidUtf8(a.title) || !text::IsValidUtf8(a.answer)) {
        return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": text is not valid UTF-8");
    }
    if (a.title.empty() || TitleKey(a.title).empty()) {
        return Fail(Errc::kBadInput, "an article has an empty title");
    }
    if (a.title.find('\n') != std::string::npos || text::Utf8Length(a.title) > kMaxTitleChars) {
        return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": title too long");
    }
    if (a.answer.empty()) {
        return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": empty answer");
    }
    if (a.answer.size() > kMaxAnswerBytes) {
        return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": answer longer than 64 KB");
    }
    std::vector<std::string> kws;
    std::set<std::string> seen;
    for (auto& k : a.keywords) {
        std::string t = text::Trim(k);
        if (!text::IsValidUtf8(t)) {
            return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": keyword not UTF-8");
        }
        if (!t.empty() && seen.insert(text::AsciiLower(t)).second) {
            kws.push_back(std::move(t));
        }
    }
    if (kws.size() > kMaxKeywords) {
        return Fail(Errc::kBadInput, "article " + Quote(a.title) + ": more than 64 keywords");
    }
    a.keywords = std::move(kws);
    return a;
}

Result<std::vector<Article>> ParseMarkdown(std::string_view input) {
    if (!text::IsValidUtf8(input)) {
        return Fail(Errc::kBadInput, "file is not valid UTF-8");
    }
    if (StartsWith(input, "\xEF\xBB\xBF")) {
        input.remove_prefix(3);
    }
    std::vector<Article> out;
    std::set<std::string> keys;
    bool in_article = false;
    bool in_fence = false;
    int title_line = 0;
    Article cur;
    std::string body;

    auto finish = [&]() -> Result<void> {
        if (!in_article) {
            return {};
        }
        in_article = false;
        cur.answer = body;
        auto clean = CleanArticle(std::move(cur));
        cur = Article{};
        body.clear();
        if (!clean) {
            return Fail(clean.error().code,
                        "line " + std::to_string(title_line) + ": " + clean.error().message);
        }
        if (!keys.insert(TitleKey(clean->title)).second) {
            return Fail(Errc::kBadInput, "line " + std::to_string(title_line) +
                                             ": duplicate title " + Quote(clean->title));
        }
        out.push_back(std::move(*clean));
        return {};
    };

    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= input.size()) {
        std::size_t end = input.find('\n', pos);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        std::string_view line = input.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        ++line_no;
        pos = end + 1;
        const std::string trimmed = text::Trim(line);
        if (StartsWith(trimmed, "```") || StartsWith(trimmed, "~~~")) {
            in_fence = !in_fence;
        }
        if (!in_fence && (StartsWith(line, "## ") || line == "##")) {
            if (auto r = finish(); !r) {
                return r.error();
            }
            in_article = true;
            title_line = line_no;
            std::string title = text::Trim(line.substr(2));
            while (!title.empty() && title.back() == '#') {  // "## Title ##"
                title.pop_back();
            }
            cur.title = text::Trim(title);
            continue;
        }
        if (!in_fence && StartsWith(line, "# ")) {  // document title: ends the article
            if (auto r = finish(); !r) {
                return r.error();
            }
            continue;
        }
        if (!in_article) {
            continue;
        }
        std::string rest;
        if (!in_fence && KeywordLine(line, rest)) {
            auto kws = SplitKeywords(rest);
            cur.keywords.insert(cur.keywords.end(), kws.begin(), kws.end());
            continue;
        }
        body.append(line);
        body.push_back('\n');
    }
    if (auto r = finish(); !r) {
        return r.error();
    }
    if (out.empty()) {
        return Fail(Errc::kBadInput,
                    "no articles found (each article starts with a '## ' heading)");
    }
    return out;
}

Result<std::vector<Article>> ParseJson(std::string_view text_in) {
    const auto doc = nlohmann::json::parse(text_in, nullptr, false);
    if (doc.is_discarded()) {
        return Fail(Errc::kBadInput, "not valid JSON");
    }
    if (!doc.is_array()) {
        return Fail(Errc::kBadInput, "expected a JSON array of {title, answer, keywords?}");
    }
    if (doc.empty()) {
        return Fail(Errc::kBadInput, "no articles in the array");
    }
    std::vector<Article> out;
    std::set<std::string> keys;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const auto& item = doc[i];
        const std::string where = "item " + std::to_string(i);
        if (!item.is_object()) {
            return Fail(Errc::kBadInput, where + ": not an object");
        }
        const auto t = item.find("title");
        const auto a = item.find("answer");
        if (t == item.end() || !t->is_string()) {
            return Fail(Errc::kBadInput, where + ": 'title' must be a string");
        }
        if (a == item.end() || !a->is_string()) {
            return Fail(Errc::kBadInput, where + ": 'answer' must be a string");
        }
        Article art;
        art.title = t->get<std::string>();
        art.answer = a->get<std::string>();
        if (const auto k = item.find("keywords"); k != item.end() && !k->is_null()) {
            if (k->is_string()) {
                art.keywords = SplitKeywords(k->get<std::string>());
            } else if (k->is_array()) {
                for (const auto& e : *k) {
                    if (!e.is_string()) {
                        return Fail(Errc::kBadInput, where + ": 'keywords' must hold strings");
                    }
                    art.keywords.push_back(e.get<std::string>());
                }
            } else {
                return Fail(Errc::kBadInput, where + ": 'keywords' must be an array of strings");
            }
        }
        auto clean = CleanArticle(std::move(art));
        if (!clean) {
            return Fail(clean.error().code, where + ": " + clean.error().message);
        }
        if (!keys.insert(TitleKey(clean->title)).second) {
            return Fail(Errc::kBadInput, where + ": duplicate title " + Quote(clean->title));
        }
        out.push_back(std::move(*clean));
    }
    return out;
}

}  // namespace wedesk::kb
