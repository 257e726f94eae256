// Tests for reactor::BufferPool: read-buffer accounting and reuse, strings handed back with
// their capacity, oversized strings dropped, and keep_max bounding both free lists.
// This binary replaces operator new[] to count read-buffer allocations (the pool's only array
// allocations), except under TSan, whose runtime defines operator new[] in the same archive
// member as the other forms, so a partial replacement does not link. Thread: test thread only.
#include "reactor/buffer_pool.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#if defined(__SANITIZE_THREAD__)
#define CASHIERD_COUNT_ARRAY_NEW 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CASHIERD_COUNT_ARRAY_NEW 0
#endif
#endif
#ifndef CASHIERD_COUNT_ARRAY_NEW
#define CASHIERD_COUNT_ARRAY_NEW 1
#endif

namespace {

std::size_t g_read_buffer_allocations = 0;

}  // namespace

#if CASHIERD_COUNT_ARRAY_NEW
void* operator new[](std::size_t size) {
    if (size == cashierd::reactor::BufferPool::read_buffer_capacity) ++g_read_buffer_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void operator delete[](void* p) noexcept {
    std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
#endif

namespace cashierd::reactor {
namespace {

constexpr bool counts_array_new = CASHIERD_COUNT_ARRAY_NEW != 0;

// The allocation counts are only known when operator new[] is ours.
void expect_allocations(std::size_t expected, int line) {
    if (counts_array_new) {
        EXPECT_EQ(g_read_buffer_allocations, expected) << "line " << line;
    }
}

TEST(BufferPoolTest, ReadBuffersAreCountedAndReused) {
    BufferPool pool;
    g_read_buffer_allocations = 0;
    EXPECT_EQ(pool.read_buffers_out(), 0u);

    char* a = pool.acquire_read_buffer();
    char* b = pool.acquire_read_buffer();
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    EXPECT_EQ(pool.read_buffers_out(), 2u);
    expect_allocations(2, __LINE__);
    // The whole capacity, padding included, is usable (ASan checks the bounds).
    std::memset(a, 'a', BufferPool::read_buffer_capacity);
    std::memset(b, 'b', BufferPool::read_buffer_capacity);
    EXPECT_EQ(BufferPool::read_buffer_capacity,
              BufferPool::read_buffer_bytes + limits::json_padding_bytes);

    pool.release_read_buffer(a);
    EXPECT_EQ(pool.read_buffers_out(), 1u);
    pool.release_read_buffer(nullptr);  // Nothing held: no change.
    EXPECT_EQ(pool.read_buffers_out(), 1u);

    char* again = pool.acquire_read_buffer();
    EXPECT_EQ(again, a);
    EXPECT_EQ(pool.read_buffers_out(), 2u);
    expect_allocations(2, __LINE__);

    pool.release_read_buffer(again);
    pool.release_read_buffer(b);
    EXPECT_EQ(pool.read_buffers_out(), 0u);

    // Steady state: acquire/release cycles allocate nothing new.
    for (int i = 0; i < 100; ++i) {
        char* x = pool.acquire_read_buffer();
        char* y = pool.acquire_read_buffer();
        pool.release_read_buffer(y);
        pool.release_read_buffer(x);
    }
    expect_allocations(2, __LINE__);
    EXPECT_EQ(pool.read_buffers_out(), 0u);
}

TEST(BufferPoolTest, KeepMaxBoundsFreeReadBuffers) {
    if (!counts_array_new) GTEST_SKIP() << "needs the counting operator new[]";
    BufferPool pool(2);
    g_read_buffer_allocations = 0;
    std::vector<char*> buffers;
    for (int i = 0; i < 4; ++i)
        buffers.push_back(pool.acquire_read_buffer());
    expect_allocations(4, __LINE__);
    for (char* buffer : buffers)
        pool.release_read_buffer(buffer);
    EXPECT_EQ(pool.read_buffers_out(), 0u);

    // Two were kept, two freed: the third and fourth acquire must allocate again.
    std::vector<char*> again;
    for (int i = 0; i < 4; ++i)
        again.push_back(pool.acquire_read_buffer());
    expect_allocations(6, __LINE__);
    EXPECT_EQ(pool.read_buffers_out(), 4u);
    for (char* buffer : again)
        pool.release_read_buffer(buffer);
}

TEST(BufferPoolTest, StringsComeBackEmptyWithTheirCapacity) {
    BufferPool pool;
    std::string fresh = pool.acquire_string();
    EXPECT_TRUE(fresh.empty());

    std::string grown;
    grown.reserve(4000);
    grown.assign(3000, 'x');
    std::size_t capacity = grown.capacity();
    const char* storage = grown.data();
    pool.release_string(std::move(grown));

    std::string reused = pool.acquire_string();
    EXPECT_TRUE(reused.empty());
    EXPECT_EQ(reused.capacity(), capacity);
    EXPECT_EQ(reused.data(), storage);  // The same heap block, not a copy.

    // The list is now empty again.
    std::string next = pool.acquire_string();
    EXPECT_LT(next.capacity(), capacity);
}

TEST(BufferPoolTest, OversizedStringsAreDropped) {
    BufferPool pool;
    constexpr std::size_t keep = BufferPool::string_keep_capacity_max;

    std::string huge;
    huge.reserve(keep + 1);
    ASSERT_GT(huge.capacity(), keep);
    pool.release_string(std::move(huge));
    EXPECT_LE(pool.acquire_string().capacity(), 64u);  // Nothing was kept: a fresh string.

    // The limit itself is kept.
    std::string at_limit;
    at_limit.reserve(keep);
    if (at_limit.capacity() != keep) GTEST_SKIP() << "reserve did not give an exact capacity";
    pool.release_string(std::move(at_limit));
    EXPECT_EQ(pool.acquire_string().capacity(), keep);
}

TEST(BufferPoolTest, KeepMaxBoundsFreeStrings) {
    BufferPool pool(2);
    for (int i = 0; i < 3; ++i) {
        std::string value;
        value.reserve(1000);
        value.assign(10, static_cast<char>('a' + i));
        pool.release_string(std::move(value));
    }
    std::string first = pool.acquire_string();
    std::string second = pool.acquire_string();
    std::string third = pool.acquire_string();
    EXPECT_GE(first.capacity(), 1000u);
    EXPECT_GE(second.capacity(), 1000u);
    EXPECT_TRUE(first.empty());
    EXPECT_TRUE(second.empty());
    EXPECT_LT(third.capacity(), 1000u);  // The third release was over keep_max and freed.
}

}  // namespace
}  // namespace cashierd::reactor
