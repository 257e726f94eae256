// Tests for reactor::SlotTable: generations make stale references resolve to nullptr, capacity
// is a hard bound, objects are built once per slot and reused, for_each sees used slots only.
// Thread: test thread only (the table is single-threaded by design).
#include "reactor/slot_table.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace cashierd::reactor {
namespace {

struct Object {
    std::uint32_t built_for_slot = 0;
    int payload = 0;
};

// Counts make() calls so reuse is observable.
struct Maker {
    int* calls;

    std::unique_ptr<Object> operator()(std::uint32_t index) const {
        ++*calls;
        auto object = std::make_unique<Object>();
        object->built_for_slot = index;
        return object;
    }
};

TEST(SlotTableTest, AcquireResolveRelease) {
    int calls = 0;
    SlotTable<Object> table(4);
    EXPECT_EQ(table.capacity(), 4u);
    EXPECT_EQ(table.in_use(), 0u);
    EXPECT_FALSE(table.full());

    std::int64_t a = table.acquire(Maker{&calls});
    std::int64_t b = table.acquire(Maker{&calls});
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    EXPECT_NE(a, b);
    EXPECT_EQ(table.in_use(), 2u);
    auto ia = static_cast<std::uint32_t>(a);
    auto ib = static_cast<std::uint32_t>(b);

    Object* object_a = table.resolve(ia, table.generation(ia));
    ASSERT_NE(object_a, nullptr);
    EXPECT_EQ(object_a->built_for_slot, ia);
    Object* object_b = table.resolve(ib, table.generation(ib));
    ASSERT_NE(object_b, nullptr);
    EXPECT_NE(object_a, object_b);

    // A wrong generation never resolves, in either direction.
    EXPECT_EQ(table.resolve(ia, table.generation(ia) + 1), nullptr);
    // Out-of-range indexes resolve to nullptr rather than read past the table.
    EXPECT_EQ(table.resolve(4, 0), nullptr);
    EXPECT_EQ(table.resolve(1'000'000, 0), nullptr);
    EXPECT_EQ(table.resolve(3, 0), nullptr);  // In range of capacity, never acquired.
}

TEST(SlotTableTest, StaleReferenceResolvesToNullAfterReleaseAndReuse) {
    int calls = 0;
    SlotTable<Object> table(1);  // One slot, so reuse must hand back this same slot.
    auto index = static_cast<std::uint32_t>(table.acquire(Maker{&calls}));
    std::uint32_t old_generation = table.generation(index);
    Object* object = table.resolve(index, old_generation);
    ASSERT_NE(object, nullptr);
    object->payload = 7;

    table.release(index);
    EXPECT_EQ(table.in_use(), 0u);
    EXPECT_NE(table.generation(index), old_generation);
    // Released: neither the old generation nor the new one resolves (the slot is free).
    EXPECT_EQ(table.resolve(index, old_generation), nullptr);
    EXPECT_EQ(table.resolve(index, table.generation(index)), nullptr);

    // Reused: the slot comes back with the same object and a new generation.
    auto again = static_cast<std::uint32_t>(table.acquire(Maker{&calls}));
    ASSERT_EQ(again, index);
    EXPECT_EQ(table.resolve(index, old_generation), nullptr);
    Object* reused = table.resolve(index, table.generation(index));
    EXPECT_EQ(reused, object);
    EXPECT_EQ(reused->payload, 7);  // Reuse, not rebuild: the owner resets state itself.

    // Several cycles: every generation seen is distinct and only the latest resolves.
    std::vector<std::uint32_t> generations{old_generation, table.generation(index)};
    for (int cycle = 0; cycle < 5; ++cycle) {
        table.release(index);
        ASSERT_EQ(table.acquire(Maker{&calls}), index);
        generations.push_back(table.generation(index));
    }
    std::vector<std::uint32_t> sorted = generations;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
    for (std::size_t i = 0; i + 1 < generations.size(); ++i)
        EXPECT_EQ(table.resolve(index, generations[i]), nullptr) << i;
    EXPECT_EQ(table.resolve(index, generations.back()), object);
    EXPECT_EQ(calls, 1);
}

TEST(SlotTableTest, ExhaustionReturnsMinusOneUntilASlotIsReleased) {
    int calls = 0;
    SlotTable<Object> table(3);
    std::vector<std::int64_t> indexes;
    for (int i = 0; i < 3; ++i)
        indexes.push_back(table.acquire(Maker{&calls}));
    std::sort(indexes.begin(), indexes.end());
    EXPECT_EQ(indexes, (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(table.full());
    EXPECT_EQ(table.acquire(Maker{&calls}), -1);
    EXPECT_EQ(table.acquire(Maker{&calls}), -1);
    EXPECT_EQ(table.in_use(), 3u);
    EXPECT_EQ(calls, 3);  // A refused acquire builds nothing.

    table.release(1);
    EXPECT_FALSE(table.full());
    EXPECT_EQ(table.acquire(Maker{&calls}), 1);
    EXPECT_EQ(table.acquire(Maker{&calls}), -1);
    EXPECT_EQ(calls, 3);
}

TEST(SlotTableTest, MakeIsCalledOncePerSlot) {
    int calls = 0;
    SlotTable<Object> table(4);
    std::vector<Object*> first_objects;
    for (int i = 0; i < 4; ++i) {
        auto index = static_cast<std::uint32_t>(table.acquire(Maker{&calls}));
        first_objects.push_back(table.resolve(index, table.generation(index)));
    }
    EXPECT_EQ(calls, 4);
    for (std::uint32_t round = 0; round < 10; ++round) {
        for (std::uint32_t i = 0; i < 4; ++i)
            table.release(i);
        for (int i = 0; i < 4; ++i) {
            auto index = static_cast<std::uint32_t>(table.acquire(Maker{&calls}));
            ASSERT_LT(index, 4u);
            // Each slot keeps the object first built for it.
            EXPECT_EQ(table.resolve(index, table.generation(index)), first_objects[index]);
        }
    }
    EXPECT_EQ(calls, 4);
}

TEST(SlotTableTest, ForEachVisitsOnlyUsedSlots) {
    int calls = 0;
    SlotTable<Object> table(5);
    for (int i = 0; i < 4; ++i)
        table.acquire(Maker{&calls});
    table.release(1);
    table.release(3);

    std::vector<std::uint32_t> visited;
    table.for_each([&](Object& object) { visited.push_back(object.built_for_slot); });
    std::sort(visited.begin(), visited.end());
    EXPECT_EQ(visited, (std::vector<std::uint32_t>{0, 2}));

    // A released-then-reacquired slot is visited again; the other free slots are not.
    std::int64_t reacquired = table.acquire(Maker{&calls});
    ASSERT_GE(reacquired, 0);
    auto reused = static_cast<std::uint32_t>(reacquired);
    visited.clear();
    table.for_each([&](Object& object) { visited.push_back(object.built_for_slot); });
    std::sort(visited.begin(), visited.end());
    std::vector<std::uint32_t> expected{0, 2, reused};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(visited, expected);

    for (std::uint32_t index : {0u, 2u, reused})
        table.release(index);
    int count = 0;
    table.for_each([&](Object&) { ++count; });
    EXPECT_EQ(count, 0);
    EXPECT_EQ(table.in_use(), 0u);
}

}  // namespace
}  // namespace cashierd::reactor
