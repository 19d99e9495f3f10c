#pragma once
// Text analysis shared by indexing and querying, so both sides cut text the same way.
// Normalised text holds only lower-case ASCII letters/digits, Latin letters, CJK characters
// and single spaces. CJK runs are split at particles (的 了 吗 ...) and filler phrases
// (怎么, 请问 ...) that carry no meaning for search.

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wedesk::kb::tok {

struct Segment {
    bool cjk = false;
    std::string text;                // the segment as normalised text
    std::vector<std::string> chars;  // CJK: one entry per character
};

/// Full-width folded, lower-cased, punctuation/emoji/invalid bytes turned into separators,
/// hyphens and apostrophes inside Latin words dropped ("Wi-Fi" -> "wifi"). At most
/// `max_chars` kept characters.
std::string Normalize(std::string_view raw, std::size_t max_chars);

/// Latin words and CJK runs of normalised text, in order.
std::vector<Segment> Segments(std::string_view normalized);

/// Bigrams of CJK segments (or the character of a one-character segment) and Latin words,
/// in text order. These are the positional tokens of the bigram index.
std::vector<std::string> PositionalTokens(const std::vector<Segment>& segs);

/// Text stored in the bigram index: positional tokens, then every single CJK character.
std::string IndexText(std::string_view raw);

/// Every token IndexText would produce for `raw` (for membership tests).
std::vector<std::string> AllTokens(std::string_view raw);

/// True for a Latin segment (ASCII letters, digits, Latin-1 letters).
bool IsAsciiWord(std::string_view s);

/// Character bigrams of a normalised text, spaces left out (the single character of a
/// one-character text): how alike two questions are, whatever their words.
std::set<std::string> Bigrams(const std::string& norm);
/// |a ∩ b| / |a ∪ b|; 0 when either is empty.
double Jaccard(const std::set<std::string>& a, const std::set<std::string>& b);

}  // namespace wedesk::kb::tok
