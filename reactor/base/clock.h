// Wall-clock and monotonic time behind one interface so tests can inject time.
// Thread: RealClock is safe from any thread; ManualClock belongs to its test.
#pragma once

#include <atomic>
#include <cstdint>

namespace cashierd {

class Clock {
public:
    virtual ~Clock() = default;
    /// Seconds since the Unix epoch.
    virtual std::int64_t unix_seconds() const = 0;
    /// Microseconds since the Unix epoch.
    virtual std::int64_t unix_micros() const = 0;
};

class RealClock final : public Clock {
public:
    std::int64_t unix_seconds() const override;
    std::int64_t unix_micros() const override;
    static const RealClock& instance();
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t unix_micros) : micros_(unix_micros) {}

    std::int64_t unix_seconds() const override { return micros_.load() / 1000000; }

    std::int64_t unix_micros() const override { return micros_.load(); }

    void advance_micros(std::int64_t delta) { micros_.fetch_add(delta); }

private:
    std::atomic<std::int64_t> micros_;
};

/// Monotonic nanoseconds (CLOCK_MONOTONIC), for durations.
std::uint64_t monotonic_nanos();

}  // namespace cashierd
