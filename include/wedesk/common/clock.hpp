#pragma once
/// Clock: the only source of "now" in wedesk. Production code gets SystemClock; tests move a
/// FakeClock (tests/fakes) instead of sleeping.

#include <chrono>
#include <cstdint>

namespace wedesk {

class Clock {
public:
    using TimePoint = std::chrono::system_clock::time_point;
    virtual ~Clock() = default;
    virtual TimePoint Now() const = 0;
    /// Unix time in whole seconds.
    std::int64_t NowSeconds() const {
        return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
    }
};

class SystemClock final : public Clock {
public:
    TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace wedesk
