#include "wedesk/tickets/sla.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

namespace wedesk::tickets::sla {

namespace {

constexpr std::int64_t kDay = 86400;
// Business time that cannot be found within this many days is treated as never.
constexpr std::int64_t kMaxScanDays = 3660;

bool AllDigits(const std::string& s, std::size_t from, std::size_t n) {
    if (s.size() < from + n) {
        return false;
    }
    for (std::size_t i = from; i < from + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

int Num(const std::string& s, std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/// "HH:MM" → seconds after midnight; "24:00" allowed as the end of a day.
Result<std::int64_t> ParseHourMinute(const std::string& s, const std::string& key) {
    if (s.size() != 5 || s[2] != ':' || !AllDigits(s, 0, 2) || !AllDigits(s, 3, 2)) {
        return Fail(Errc::kConfig, key + ": expected HH:MM, got \"" + s + "\"");
    }
    const int h = Num(s, 0, 2);
    const int m = Num(s, 3, 2);
    if (m > 59 || h > 24 || (h == 24 && m != 0)) {
        return Fail(Errc::kConfig, key + ": no such time \"" + s + "\"");
    }
    return static_cast<std::int64_t>(h) * 3600 + m * 60;
}

Result<std::int64_t> ParseDay(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !AllDigits(s, 0, 4) ||
        !AllDigits(s, 5, 2) || !AllDigits(s, 8, 2)) {
        return Fail(Errc::kConfig,
                    "business_hours.holidays: expected YYYY-MM-DD, got \"" + s + "\"");
    }
    const std::chrono::year_month_day ymd{std::chrono::year(Num(s, 0, 4)),
                                          std::chrono::month(static_cast<unsigned>(Num(s, 5, 2))),
                                          std::chrono::day(static_cast<unsigned>(Num(s, 8, 2)))};
    if (!ymd.ok()) {
        return Fail(Errc::kConfig, "business_hours.holidays: no such day \"" + s + "\"");
    }
    return static_cast<std::int64_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

bool IsWorkingDay(const Calendar& cal, std::int64_t local_day) {
    return cal.days[static_cast<std::size_t>(IsoWeekday(local_day))] &&
           cal.holidays.count(local_day) == 0;
}

/// The working window of a local day as UTC instants [open, close).
std::pair<std::int64_t, std::int64_t> Window(const Calendar& cal, std::int64_t local_day) {
    const std::int64_t base = local_day * kDay - cal.utc_offset_s;
    return {base + cal.start_s, base + cal.end_s};
}

/// Sorted, merged pauses clipped to start at or after `from`.
std::vector<Interval> Normalise(const std::vector<Interval>& pauses) {
    std::vector<Interval> v = pauses;
    std::sort(v.begin(), v.end(),
              [](const Interval& a, const Interval& b) { return a.start < b.start; });
    std::vector<Interval> out;
    for (const auto& p : v) {
        if (p.end && *p.end <= p.start) {
            continue;
        }
        if (!out.empty()) {
            auto& last = out.back();
            if (!last.end) {
                break;  // an open pause swallows everything after it
            }
            if (p.start <= *last.end) {
                if (!p.end) {
                    last.end.reset();
                } else {
                    last.end = std::max(*last.end, *p.end);
                }
                continue;
            }
        }
        out.push_back(p);
    }
    return out;
}

}  // namespace

Result<std::int64_t> ParseUtcOffset(const std::string& text) {
    if (text == "Z" || text == "z") {
        return std::int64_t{0};
    }
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
        !AllDigits(text, 1, 2) || !AllDigits(text, 4, 2)) {
        return Fail(Errc::kConfig,
                    "business_hours.utc_offset: expected +HH:MM, got \"" + text + "\"");
    }
    const int h = Num(text, 1, 2);
    const int m = Num(text, 4, 2);
    if (h > 14 || m > 59) {
        return Fail(Errc::kConfig, "business_hours.utc_offset: out of range \"" + text + "\"");
    }
    const std::int64_t s = static_cast<std::int64_t>(h) * 3600 + m * 60;
    return text[0] == '-' ? -s : s;
}

Result<Calendar> ParseCalendar(const config::BusinessHours& hours) {
    Calendar cal;
    for (int d : hours.days) {
        if (d < 1 || d > 7) {
            return Fail(Errc::kConfig,
                        "business_hours.days: " + std::to_string(d) + " is not 1..7");
        }
        cal.days[static_cast<std::size_t>(d)] = true;
    }
    auto start = ParseHourMinute(hours.start, "business_hours.start");
    if (!start) {
        return start.error();
    }
    auto end = ParseHourMinute(hours.end, "business_hours.end");
    if (!end) {
        return end.error();
    }
    if (*end <= *start) {
        return Fail(Errc::kConfig, "business_hours.end must be after business_hours.start");
    }
    cal.start_s = *start;
    cal.end_s = *end;
    for (const auto& h : hours.holidays) {
        auto day = ParseDay(h);
        if (!day) {
            return day.error();
        }
        cal.holidays.insert(*day);
    }
    auto offset = ParseUtcOffset(hours.utc_offset);
    if (!offset) {
        return offset.error();
    }
    cal.utc_offset_s = *offset;
    return cal;
}

Result<ClockMode> ParseClockMode(const std::string& text) {
    if (text == "business") {
        return ClockMode::kBusiness;
    }
    if (text == "calendar") {
        return ClockMode::kCalendar;
    }
    return Fail(Errc::kConfig,
                "tickets.sla_clock: expected \"business\" or \"calendar\", got \"" + text + "\"");
}

std::int64_t LocalDay(std::int64_t utc_offset_s, std::int64_t t) {
    return FloorDiv(t + utc_offset_s, kDay);
}

int IsoWeekday(std::int64_t local_day) {
    // 1970-01-01 was a Thursday (ISO 4).
    return static_cast<int>(((local_day % 7) + 7 + 3) % 7) + 1;
}

std::string LocalDate(std::int64_t utc_offset_s, std::int64_t t) {
    const std::chrono::sys_days day{std::chrono::days(LocalDay(utc_offset_s, t))};
    const std::chrono::year_month_day ymd{day};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

std::string LocalDateTime(std::int64_t utc_offset_s, std::int64_t t) {
    const std::int64_t local_day = LocalDay(utc_offset_s, t);
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days(local_day)}};
    const std::int64_t sec = t + utc_offset_s - local_day * kDay;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02u-%02u %02d:%02d", static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(sec / 3600),
                  static_cast<int>(sec % 3600 / 60));
    return buf;
}

bool HasWorkingTime(const Calendar& cal) {
    return cal.end_s > cal.start_s &&
           std::any_of(cal.days.begin() + 1, cal.days.end(), [](bool b) { return b; });
}

std::int64_t AddBusinessSeconds(const Calendar& cal, std::int64_t t, std::int64_t seconds) {
    if (seconds <= 0) {
        return t;
    }
    if (!HasWorkingTime(cal)) {
        return t + kMaxScanDays * kDay;
    }
    std::int64_t remaining = seconds;
    const std::int64_t first = LocalDay(cal.utc_offset_s, t);
    for (std::int64_t day = first; day < first + kMaxScanDays; ++day) {
        if (!IsWorkingDay(cal, day)) {
            continue;
        }
        const auto [open, close] = Window(cal, day);
        const std::int64_t from = std::max(open, t);
        if (from >= close) {
            continue;
        }
        const std::int64_t available = close - from;
        if (remaining <= available) {
            return from + remaining;
        }
        remaining -= available;
    }
    return t + kMaxScanDays * kDay;
}

std::int64_t AddBusinessMinutes(const Calendar& cal, std::int64_t t, std::int64_t minutes) {
    return AddBusinessSeconds(cal, t, minutes * 60);
}

std::int64_t BusinessSecondsBetween(const Calendar& cal, std::int64_t a, std::int64_t b) {
    if (b <= a) {
        return 0;
    }
    std::int64_t total = 0;
    const std::int64_t last = LocalDay(cal.utc_offset_s, b);
    for (std::int64_t day = LocalDay(cal.utc_offset_s, a); day <= last; ++day) {
        if (!IsWorkingDay(cal, day)) {
            continue;
        }
        const auto [open, close] = Window(cal, day);
        const std::int64_t from = std::max(open, a);
        const std::int64_t to = std::min(close, b);
        if (to > from) {
            total += to - from;
        }
    }
    return total;
}

std::int64_t BusinessMinutesBetween(const Calendar& cal, std::int64_t a, std::int64_t b) {
    return BusinessSecondsBetween(cal, a, b) / 60;
}

std::int64_t CountedSeconds(ClockMode mode, const Calendar& cal, std::int64_t a, std::int64_t b) {
    if (b <= a) {
        return 0;
    }
    return mode == ClockMode::kCalendar ? b - a : BusinessSecondsBetween(cal, a, b);
}

std::int64_t AddCounted(ClockMode mode, const Calendar& cal, std::int64_t t, std::int64_t seconds) {
    if (mode == ClockMode::kCalendar) {
        return t + std::max<std::int64_t>(seconds, 0);
    }
    return AddBusinessSeconds(cal, t, seconds);
}

std::int64_t ActiveSeconds(ClockMode mode, const Calendar& cal, std::int64_t start,
                           std::int64_t end, const std::vector<Interval>& pauses) {
    std::int64_t total = 0;
    std::int64_t cur = start;
    for (const auto& p : Normalise(pauses)) {
        if (cur >= end) {
            break;
        }
        const std::int64_t p_end = p.end.value_or(std::numeric_limits<std::int64_t>::max());
        if (p_end <= cur) {
            continue;
        }
        total += CountedSeconds(mode, cal, cur, std::min(p.start, end));
        cur = std::max(cur, p_end);
    }
    if (cur < end) {
        total += CountedSeconds(mode, cal, cur, end);
    }
    return total;
}

std::optional<std::int64_t> DueAt(ClockMode mode, const Calendar& cal, std::int64_t start,
                                  std::int64_t target_seconds,
                                  const std::vector<Interval>& pauses) {
    std::int64_t remaining = std::max<std::int64_t>(target_seconds, 0);
    std::int64_t cur = start;
    for (const auto& p : Normalise(pauses)) {
        if (p.end && *p.end <= cur) {
            continue;
        }
        if (p.start > cur) {
            const std::int64_t available = CountedSeconds(mode, cal, cur, p.start);
            if (remaining <= available) {
                return AddCounted(mode, cal, cur, remaining);
            }
            remaining -= available;
        }
        if (!p.end) {
            return std::nullopt;
        }
        cur = std::max(cur, *p.end);
    }
    return AddCounted(mode, cal, cur, remaining);
}

}  // namespace wedesk::tickets::sla
