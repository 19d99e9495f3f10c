#pragma once
/// SLA arithmetic: pure functions over unix seconds. Business-hours mode counts only the working
/// window of working days that are not holidays (in the configured UTC offset); calendar mode
/// counts every second. Pause intervals (ticket waiting for the employee) are not counted.
/// No clock, no database: the ticket service feeds in instants and gets instants back.

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wedesk/common/result.hpp"
#include "wedesk/config/config.hpp"

namespace wedesk::tickets::sla {

enum class ClockMode { kBusiness, kCalendar };

/// Parsed business hours: which ISO weekdays work, the daily window in seconds after local
/// midnight, holidays as local day numbers (days since 1970-01-01), and the UTC offset.
struct Calendar {
    std::array<bool, 8> days{};  ///< index 1..7 = Monday..Sunday
    std::int64_t start_s = 9 * 3600;
    std::int64_t end_s = 18 * 3600;
    std::set<std::int64_t> holidays;
    std::int64_t utc_offset_s = 8 * 3600;
};

/// A stretch of time during which the clock stands still. `end` empty: still paused.
struct Interval {
    std::int64_t start = 0;
    std::optional<std::int64_t> end;
};

/// Validates and converts the config section ("HH:MM", "+08:00", "YYYY-MM-DD", days 1..7).
Result<Calendar> ParseCalendar(const config::BusinessHours& hours);
/// "business" | "calendar".
Result<ClockMode> ParseClockMode(const std::string& text);
/// "+08:00" / "-05:30" / "Z" → seconds east of UTC.
Result<std::int64_t> ParseUtcOffset(const std::string& text);

/// Local day number (days since 1970-01-01 in the calendar's offset) of instant `t`.
std::int64_t LocalDay(std::int64_t utc_offset_s, std::int64_t t);
/// ISO weekday (1 = Monday .. 7 = Sunday) of a local day number.
int IsoWeekday(std::int64_t local_day);
/// "YYYYMMDD" of instant `t` in the given offset (ticket numbers).
std::string LocalDate(std::int64_t utc_offset_s, std::int64_t t);
/// "MM-DD HH:MM" of instant `t` in the given offset (messages).
std::string LocalDateTime(std::int64_t utc_offset_s, std::int64_t t);

/// True when `cal` has at least one working window (else business time never advances).
bool HasWorkingTime(const Calendar& cal);
/// The instant at which `seconds` business seconds have passed after `t`. A start outside
/// business hours counts from the next opening. Gives up after ~10 years (returns that far).
std::int64_t AddBusinessSeconds(const Calendar& cal, std::int64_t t, std::int64_t seconds);
std::int64_t AddBusinessMinutes(const Calendar& cal, std::int64_t t, std::int64_t minutes);
/// Business seconds within [a, b) (0 when b <= a).
std::int64_t BusinessSecondsBetween(const Calendar& cal, std::int64_t a, std::int64_t b);
/// Whole business minutes within [a, b).
std::int64_t BusinessMinutesBetween(const Calendar& cal, std::int64_t a, std::int64_t b);

/// Counted seconds within [a, b) under `mode`.
std::int64_t CountedSeconds(ClockMode mode, const Calendar& cal, std::int64_t a, std::int64_t b);
/// `t` plus `seconds` counted seconds under `mode`.
std::int64_t AddCounted(ClockMode mode, const Calendar& cal, std::int64_t t, std::int64_t seconds);

/// Counted seconds within [start, end) minus those inside the pauses (overlaps handled; an open
/// pause runs to `end`).
std::int64_t ActiveSeconds(ClockMode mode, const Calendar& cal, std::int64_t start,
                           std::int64_t end, const std::vector<Interval>& pauses);
/// The instant at which the active (counted, not paused) time since `start` reaches
/// `target_seconds`; empty while an open pause stops the clock before that point.
std::optional<std::int64_t> DueAt(ClockMode mode, const Calendar& cal, std::int64_t start,
                                  std::int64_t target_seconds, const std::vector<Interval>& pauses);

}  // namespace wedesk::tickets::sla
