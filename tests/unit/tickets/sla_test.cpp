#include <catch2/catch.hpp>

#include "tickets_env.hpp"
#include "wedesk/tickets/sla.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Local;

namespace {

sla::Calendar Cal(std::vector<std::string> holidays = {}) {
    config::BusinessHours h;  // Mon-Fri 09:00-18:00 +08:00
    h.holidays = std::move(holidays);
    auto c = sla::ParseCalendar(h);
    REQUIRE(c.ok());
    return *c;
}

constexpr std::int64_t kMin = 60;
constexpr std::int64_t kHour = 3600;

}  // namespace

TEST_CASE("sla: adding business minutes inside one working day", "[unit]") {
    const auto cal = Cal();
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 10, 0), 60) ==
          Local(2026, 11, 23, 11, 0));
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 17, 0), 60) ==
          Local(2026, 11, 23, 18, 0));
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 10, 0), 0) ==
          Local(2026, 11, 23, 10, 0));
}

TEST_CASE("sla: business time skips nights, early mornings and weekends", "[unit]") {
    const auto cal = Cal();
    // Monday 17:30 + 1 h → Tuesday 09:30.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 17, 30), 60) ==
          Local(2026, 11, 24, 9, 30));
    // Before opening counts from 09:00.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 7, 0), 30) ==
          Local(2026, 11, 23, 9, 30));
    // After closing counts from the next morning.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 23, 22, 0), 30) ==
          Local(2026, 11, 24, 9, 30));
    // Friday 17:00 + 2 h → Monday 10:00.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 27, 17, 0), 120) ==
          Local(2026, 11, 30, 10, 0));
    // Saturday start → Monday.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 28, 12, 0), 90) ==
          Local(2026, 11, 30, 10, 30));
    // Two and a half working days.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 11, 26, 9, 0), 9 * 60 * 2 + 4 * 60 + 30) ==
          Local(2026, 11, 30, 13, 30));
}

TEST_CASE("sla: holidays are skipped", "[unit]") {
    const auto cal = Cal({"2026-10-01", "2026-10-02"});
    // Wednesday 30 Sep 17:00 + 2 h: Thu/Fri holidays, weekend → Monday 5 Oct 10:00.
    CHECK(sla::AddBusinessMinutes(cal, Local(2026, 9, 30, 17, 0), 120) ==
          Local(2026, 10, 5, 10, 0));
    CHECK(sla::BusinessMinutesBetween(cal, Local(2026, 9, 30, 17, 0), Local(2026, 10, 5, 10, 0)) ==
          120);
    // Without the holidays it is Thursday.
    CHECK(sla::AddBusinessMinutes(Cal(), Local(2026, 9, 30, 17, 0), 120) ==
          Local(2026, 10, 1, 10, 0));
}

TEST_CASE("sla: elapsed business minutes between two instants", "[unit]") {
    const auto cal = Cal();
    CHECK(sla::BusinessMinutesBetween(cal, Local(2026, 11, 27, 17, 0),
                                      Local(2026, 11, 30, 10, 0)) == 120);
    CHECK(sla::BusinessMinutesBetween(cal, Local(2026, 11, 28, 0, 0), Local(2026, 11, 29, 23, 0)) ==
          0);
    CHECK(sla::BusinessMinutesBetween(cal, Local(2026, 11, 23, 20, 0), Local(2026, 11, 23, 8, 0)) ==
          0);
    CHECK(sla::BusinessMinutesBetween(cal, Local(2026, 11, 23, 0, 0), Local(2026, 11, 30, 0, 0)) ==
          5 * 9 * 60);
    // Round trip from awkward starting points.
    for (std::int64_t start :
         {Local(2026, 11, 23, 8, 59), Local(2026, 11, 27, 17, 59), Local(2026, 11, 29, 3, 0)}) {
        for (std::int64_t n : {1, 59, 540, 541, 3000}) {
            CHECK(sla::BusinessMinutesBetween(cal, start, sla::AddBusinessMinutes(cal, start, n)) ==
                  n);
        }
    }
}

TEST_CASE("sla: calendar mode counts every second", "[unit]") {
    const auto cal = Cal();
    const auto fri = Local(2026, 11, 27, 17, 0);
    CHECK(sla::AddCounted(sla::ClockMode::kCalendar, cal, fri, 2 * kHour) == fri + 2 * kHour);
    CHECK(sla::CountedSeconds(sla::ClockMode::kCalendar, cal, fri, fri + 3 * 86400) == 3 * 86400);
    CHECK(sla::CountedSeconds(sla::ClockMode::kBusiness, cal, fri, fri + 3 * 86400) == 9 * kHour);
}

TEST_CASE("sla: pauses stop the clock and resume it", "[unit]") {
    const auto cal = Cal();
    const auto mon9 = Local(2026, 11, 23, 9, 0);
    const auto biz = sla::ClockMode::kBusiness;

    // 4 business hours, paused 10:00-11:00 → due 14:00 instead of 13:00.
    std::vector<sla::Interval> pauses = {{Local(2026, 11, 23, 10, 0), Local(2026, 11, 23, 11, 0)}};
    CHECK(sla::DueAt(biz, cal, mon9, 4 * kHour, {}) == Local(2026, 11, 23, 13, 0));
    CHECK(sla::DueAt(biz, cal, mon9, 4 * kHour, pauses) == Local(2026, 11, 23, 14, 0));
    CHECK(sla::ActiveSeconds(biz, cal, mon9, Local(2026, 11, 23, 14, 0), pauses) == 4 * kHour);

    // Still paused: no due time; active time stops at the pause.
    std::vector<sla::Interval> open = {{Local(2026, 11, 23, 10, 0), std::nullopt}};
    CHECK_FALSE(sla::DueAt(biz, cal, mon9, 4 * kHour, open).has_value());
    CHECK(sla::ActiveSeconds(biz, cal, mon9, Local(2026, 11, 24, 12, 0), open) == kHour);
    // But a target reached before the pause began is still due.
    CHECK(sla::DueAt(biz, cal, mon9, 30 * kMin, open) == Local(2026, 11, 23, 9, 30));

    // Pause across the night and resume Tuesday 10:00: 8 h counted Monday, 1 h more Tuesday.
    std::vector<sla::Interval> night = {{Local(2026, 11, 23, 17, 0), Local(2026, 11, 24, 10, 0)}};
    CHECK(sla::DueAt(biz, cal, mon9, 9 * kHour, night) == Local(2026, 11, 24, 11, 0));

    // Overlapping and unsorted pauses are merged.
    std::vector<sla::Interval> messy = {
        {Local(2026, 11, 23, 10, 30), Local(2026, 11, 23, 11, 0)},
        {Local(2026, 11, 23, 10, 0), Local(2026, 11, 23, 10, 45)},
        {Local(2026, 11, 23, 12, 0), Local(2026, 11, 23, 12, 0)},  // empty
    };
    CHECK(sla::DueAt(biz, cal, mon9, 4 * kHour, messy) == Local(2026, 11, 23, 14, 0));

    // Calendar mode with a pause.
    const auto cal_mode = sla::ClockMode::kCalendar;
    CHECK(sla::DueAt(cal_mode, cal, mon9, 4 * kHour, pauses) == mon9 + 5 * kHour);
    CHECK(sla::ActiveSeconds(cal_mode, cal, mon9, mon9 + 5 * kHour, pauses) == 4 * kHour);
}

TEST_CASE("sla: other offsets and local dates", "[unit]") {
    config::BusinessHours h;
    h.utc_offset = "-05:00";
    h.days = {1, 2, 3, 4, 5, 6};
    auto cal = sla::ParseCalendar(h);
    REQUIRE(cal.ok());
    // Saturday 2026-11-28 09:00 at -05:00 is 14:00 UTC.
    const std::int64_t sat9_utc = Local(2026, 11, 28, 14 + 8, 0);
    CHECK(sla::AddBusinessMinutes(*cal, sat9_utc - 3600, 60) == sat9_utc + 3600);
    CHECK(sla::LocalDate(8 * 3600, Local(2026, 11, 27, 23, 59)) == "20261127");
    CHECK(sla::LocalDate(8 * 3600, Local(2026, 11, 28, 0, 0)) == "20261128");
    CHECK(sla::LocalDateTime(8 * 3600, Local(2026, 1, 2, 3, 4)) == "01-02 03:04");
    CHECK(sla::IsoWeekday(sla::LocalDay(8 * 3600, Local(2026, 11, 29, 12))) == 7);
}

TEST_CASE("sla: malformed business hours are refused with the key named", "[unit]") {
    auto bad = [](auto mutate) {
        config::BusinessHours h;
        mutate(h);
        auto r = sla::ParseCalendar(h);
        REQUIRE_FALSE(r.ok());
        return r.error().message;
    };
    CHECK_THAT(bad([](auto& h) { h.start = "9:00"; }), Catch::Contains("business_hours.start"));
    CHECK_THAT(bad([](auto& h) { h.end = "08:00"; }), Catch::Contains("business_hours.end"));
    CHECK_THAT(bad([](auto& h) { h.end = "25:00"; }), Catch::Contains("business_hours.end"));
    CHECK_THAT(bad([](auto& h) { h.days = {0}; }), Catch::Contains("business_hours.days"));
    CHECK_THAT(bad([](auto& h) { h.holidays = {"2026-02-30"}; }),
               Catch::Contains("business_hours.holidays"));
    CHECK_THAT(bad([](auto& h) { h.utc_offset = "8"; }), Catch::Contains("utc_offset"));
    CHECK_FALSE(sla::ParseClockMode("wall").ok());
    CHECK(*sla::ParseUtcOffset("-03:30") == -(3 * 3600 + 30 * 60));
}
