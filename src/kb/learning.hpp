#pragma once
// Learning from outcomes (kb_feedback, migration 15): what 解决了 / 没解决 and tickets filed
// right after suggestions say about an article, for questions worded like the one recorded.
// Suggest() multiplies each candidate's score by Factors(); the rows are written by
// Record() inside the caller's step. Not a public interface of the kb module.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "wedesk/store/sql.hpp"

namespace wedesk::kb::learn {

/// A signal loses half its weight every this many days, and is ignored after kMaxAgeDays.
inline constexpr double kHalfLifeDays = 30;
inline constexpr std::int64_t kMaxAgeDays = 180;
/// One fresh signal on the very same question moves an article's score by this share...
inline constexpr double kStep = 0.15;
/// ...and all signals together by at most this share, either way.
inline constexpr double kCap = 0.5;
/// Questions less alike than this (bigram Jaccard) do not count for each other.
inline constexpr double kMinSimilarity = 0.35;

enum class Signal { kSolved, kUnsolved, kTicket };

/// +1, -1, -0.5.
double Weight(Signal s);

/// Appends one signal for `article_id` (at its current version) and question `norm`
/// (tok::Normalize'd) on `conn` (the caller's step).
void Record(store::Conn& conn, std::int64_t article_id, const std::string& norm, Signal s,
            std::int64_t now);

/// Score multipliers (1 ± ≤ kCap) for `article_ids` given the normalised query; articles
/// without signals for alike questions are left out (their factor is 1).
std::map<std::int64_t, double> Factors(store::Conn& conn, const std::string& norm,
                                       const std::vector<std::int64_t>& article_ids,
                                       std::int64_t now);

}  // namespace wedesk::kb::learn
