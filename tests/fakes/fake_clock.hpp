#pragma once
/// FakeClock: a Clock tests move by hand. Thread-safe so background workers may read it.

#include <atomic>
#include <chrono>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"

namespace wedesk::testing {

class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t unix_seconds = 1795744800)  // 2026-11-27T09:00:00+08:00
        : now_us_(unix_seconds * 1000000) {}
    TimePoint Now() const override { return TimePoint(std::chrono::microseconds(now_us_.load())); }
    void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }
    void Set(std::int64_t unix_seconds) { now_us_ = unix_seconds * 1000000; }

private:
    std::atomic<std::int64_t> now_us_;
};

/// Deterministic "random" bytes for tests that need reproducible output.
class FakeRandom final : public Random {
public:
    explicit FakeRandom(std::uint8_t seed = 1) : next_(seed) {}
    void Fill(std::span<std::uint8_t> out) override {
        for (auto& b : out) {
            b = next_;
            next_ = static_cast<std::uint8_t>(next_ * 31 + 7);
        }
    }

private:
    std::uint8_t next_;
};

}  // namespace wedesk::testing
