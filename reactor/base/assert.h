// Assertion tiers. CASHIERD_ASSERT is always on: an invariant that protects money or memory
// stops the process rather than corrupt the ledger. Never assert on external input.
#pragma once

namespace cashierd {

[[noreturn]] void assert_fail(const char* condition, const char* file, int line);

}  // namespace cashierd

#define CASHIERD_ASSERT(condition)                                   \
    do {                                                             \
        if (!(condition)) [[unlikely]] {                             \
            ::cashierd::assert_fail(#condition, __FILE__, __LINE__); \
        }                                                            \
    } while (0)

#ifdef NDEBUG
#define CASHIERD_DEBUG_ASSERT(condition) \
    do {                                 \
    } while (0)
#else
#define CASHIERD_DEBUG_ASSERT(condition) CASHIERD_ASSERT(condition)
#endif
