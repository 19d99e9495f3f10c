#pragma once
/// Small text helpers for chat input: trimming, full-width to half-width folding, lower-casing
/// ASCII, UTF-8 validation and truncation at a character boundary.

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace wedesk::text {

/// Removes ASCII white space and U+3000 (ideographic space) at both ends.
std::string Trim(std::string_view s);
/// Maps full-width ASCII forms (U+FF01..U+FF5E) to ASCII and U+3000 to a space.
std::string FoldFullWidth(std::string_view s);
/// ASCII lower-case; other bytes unchanged.
std::string AsciiLower(std::string_view s);
/// Normalised command text: folded, trimmed, ASCII lower-cased.
std::string NormalizeCommand(std::string_view s);
/// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);
/// At most `max_bytes` bytes of `s`, cut at a UTF-8 character boundary.
std::string TruncateUtf8(std::string_view s, std::size_t max_bytes);
/// `s` without any of `suffixes` at its end, repeatedly ("好的！！" → "好的" for "！"), but never
/// down to nothing (a message that is only "?" stays "?").
std::string_view TrimSuffixes(std::string_view s, std::span<const std::string_view> suffixes);
/// Whether `s` contains any of `words` (byte substrings; an empty word never matches).
bool ContainsAny(std::string_view s, std::span<const std::string_view> words);
bool ContainsAny(std::string_view s, std::initializer_list<std::string_view> words);
/// Number of Unicode code points (invalid bytes count as one each).
std::size_t Utf8Length(std::string_view s);
/// Decodes the UTF-8 character at s[i] into `cp`; returns its length in bytes, or 0 when the
/// bytes there are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF too).
std::size_t DecodeUtf8At(std::string_view s, std::size_t i, char32_t& cp);

}  // namespace wedesk::text
