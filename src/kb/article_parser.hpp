#pragma once
// Parsing of knowledge-base import files into articles. Pure functions: nothing is written
// until a whole file has parsed, which is what makes import all-or-nothing.

#include <string>
#include <string_view>
#include <vector>

#include "wedesk/common/result.hpp"
#include "wedesk/kb/knowledge_base.hpp"

namespace wedesk::kb {

constexpr std::size_t kMaxTitleChars = 200;
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;
constexpr std::size_t kMaxKeywords = 64;

Result<std::vector<Article>> ParseMarkdown(std::string_view text);
Result<std::vector<Article>> ParseJson(std::string_view text);

/// The key that makes import idempotent: folded, lower-cased, inner white space collapsed.
std::string TitleKey(std::string_view title);

/// Splits a keyword line ("a, b；c、d") into trimmed, de-duplicated keywords.
std::vector<std::string> SplitKeywords(std::string_view line);

/// Checks title/answer/keywords and trims them; the error message names the article.
Result<Article> CleanArticle(Article a);

}  // namespace wedesk::kb
