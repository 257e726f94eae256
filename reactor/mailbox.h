// Mailbox<Message>: the bounded cross-shard queue. Any thread posts a message by value; the
// owning shard drains everything queued in one callback (uv_async_send coalesces wake-ups).
// A full mailbox refuses the post (the caller answers 503 RET_ERR_NOSERVICE); it never grows
// past the capacity reserved at start, so posting never allocates either.
// Thread: post() and depth() from any thread; start(), close() and the handler on the owner.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

#include <uv.h>

#include "reactor/base/assert.h"

namespace cashierd::reactor {

template <typename Message>
class Mailbox {
public:
    using Handler = void (*)(void* context, Message& message);

    explicit Mailbox(std::size_t capacity_max) : capacity_max_(capacity_max) {
        CASHIERD_ASSERT(capacity_max > 0);
        incoming_.reserve(capacity_max);
        draining_.reserve(capacity_max);
    }

    Mailbox(const Mailbox&) = delete;
    Mailbox& operator=(const Mailbox&) = delete;

    /// Owning thread: attaches to the loop. Messages posted before start() wait for it.
    void start(uv_loop_t* loop, Handler handler, void* context) {
        handler_ = handler;
        context_ = context;
        async_.data = this;
        CASHIERD_ASSERT(uv_async_init(loop, &async_, on_async) == 0);
        std::lock_guard lock(mutex_);
        open_ = true;
        if (!incoming_.empty()) uv_async_send(&async_);
    }

    /// Any thread. False when the mailbox is full or closed: the message was not queued.
    bool post(Message message) {
        std::lock_guard lock(mutex_);
        if (!open_ && closed_) return false;
        if (incoming_.size() >= capacity_max_) return false;
        incoming_.push_back(std::move(message));  // Reserved: never reallocates.
        depth_.store(incoming_.size(), std::memory_order_relaxed);
        // Sent under the lock so close() cannot close the handle between the push and the send.
        if (open_) uv_async_send(&async_);
        return true;
    }

    /// Any thread. For replies to work the receiver asked for: not bounded by the capacity
    /// (replies are bounded by the requests in flight, one per connection), so a reply is never
    /// lost to a full mailbox. False only when the mailbox is closed.
    bool post_reply(Message message) {
        std::lock_guard lock(mutex_);
        if (closed_) return false;
        incoming_.push_back(std::move(message));  // May grow past the reserve under overload.
        depth_.store(incoming_.size(), std::memory_order_relaxed);
        if (open_) uv_async_send(&async_);
        return true;
    }

    /// Owning thread: refuses further posts and closes the handle. Messages still queued are
    /// dropped (the caller drains the shard's work before closing).
    void close() {
        bool started = false;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return;
            started = open_;
            open_ = false;
            closed_ = true;
            incoming_.clear();
            depth_.store(0, std::memory_order_relaxed);
        }
        // A mailbox closed before start() has no handle to close.
        if (started) uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    }

    /// Messages queued and not yet drained (approximate by the time it is read).
    std::size_t depth() const { return depth_.load(std::memory_order_relaxed); }

    std::size_t capacity() const { return capacity_max_; }

    /// Test hook: drains synchronously on the calling thread, as on_async would.
    std::size_t drain_for_test() { return drain(); }

private:
    static void on_async(uv_async_t* async) { static_cast<Mailbox*>(async->data)->drain(); }

    std::size_t drain() {
        {
            std::lock_guard lock(mutex_);
            std::swap(incoming_, draining_);
            depth_.store(0, std::memory_order_relaxed);
        }
        std::size_t count = draining_.size();
        for (Message& message : draining_)
            handler_(context_, message);
        draining_.clear();  // Keeps capacity.
        return count;
    }

    const std::size_t capacity_max_;
    std::mutex mutex_;
    std::vector<Message> incoming_;  // Guarded by mutex_.
    bool open_ = false;              // Guarded by mutex_.
    bool closed_ = false;            // Guarded by mutex_.
    std::vector<Message> draining_;  // Owning thread only.
    std::atomic<std::size_t> depth_{0};
    Handler handler_ = nullptr;
    void* context_ = nullptr;
    uv_async_t async_{};
};

}  // namespace cashierd::reactor
