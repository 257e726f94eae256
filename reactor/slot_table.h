// SlotTable<T>: a fixed number of slots with generation counters. A slot's generation changes
// every time it is released, so a ConnectionRef held by a reply from another shard resolves to
// the object only while that same object still lives; afterwards it resolves to nullptr.
// Objects are created on first use of a slot and then reused: no allocation in steady state.
// Thread: owning shard only.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "reactor/base/assert.h"

namespace cashierd::reactor {

template <typename T>
class SlotTable {
public:
    explicit SlotTable(std::uint32_t capacity) : capacity_(capacity) {
        CASHIERD_ASSERT(capacity > 0);
        slots_.reserve(capacity);
        free_.reserve(capacity);
    }

    std::uint32_t capacity() const { return capacity_; }

    std::uint32_t in_use() const { return in_use_; }

    bool full() const { return in_use_ == capacity_; }

    /// Takes a free slot; `make()` builds the object when the slot has none yet. Returns the
    /// slot index, or -1 when all are in use.
    template <typename Make>
    std::int64_t acquire(Make&& make) {
        std::uint32_t index = 0;
        if (!free_.empty()) {
            index = free_.back();
            free_.pop_back();
        } else if (slots_.size() < capacity_) {
            index = static_cast<std::uint32_t>(slots_.size());
            slots_.push_back(Slot{});
        } else {
            return -1;
        }
        Slot& slot = slots_[index];
        CASHIERD_ASSERT(!slot.used);
        if (!slot.object) slot.object = make(index);
        slot.used = true;
        ++in_use_;
        return index;
    }

    /// Releases a used slot; its generation advances so old refs stop resolving.
    void release(std::uint32_t index) {
        CASHIERD_ASSERT(index < slots_.size());
        Slot& slot = slots_[index];
        CASHIERD_ASSERT(slot.used);
        slot.used = false;
        ++slot.generation;
        --in_use_;
        free_.push_back(index);
    }

    std::uint32_t generation(std::uint32_t index) const { return slots_[index].generation; }

    /// The object in a used slot whose generation matches, else nullptr.
    T* resolve(std::uint32_t index, std::uint32_t generation) const {
        if (index >= slots_.size()) return nullptr;
        const Slot& slot = slots_[index];
        if (!slot.used || slot.generation != generation) return nullptr;
        return slot.object.get();
    }

    /// Calls f(T&) for every used slot.
    template <typename F>
    void for_each(F&& f) {
        for (Slot& slot : slots_) {
            if (slot.used) f(*slot.object);
        }
    }

private:
    struct Slot {
        std::unique_ptr<T> object;
        std::uint32_t generation = 0;
        bool used = false;
    };

    std::uint32_t capacity_;
    std::uint32_t in_use_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
};

}  // namespace cashierd::reactor
