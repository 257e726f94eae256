#include "reactor/base/clock.h"

#include <time.h>

namespace cashierd {

std::int64_t RealClock::unix_seconds() const {
    return unix_micros() / 1000000;
}

std::int64_t RealClock::unix_micros() const {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000;
}

const RealClock& RealClock::instance() {
    static const RealClock clock;
    return clock;
}

std::uint64_t monotonic_nanos() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
           static_cast<std::uint64_t>(now.tv_nsec);
}

}  // namespace cashierd
