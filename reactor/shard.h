// Shard: one thread, one uv_loop_t. The ownership rules every shard-owned object follows:
//  1. Every mutable object has one home shard and is touched only on that shard's thread;
//     shard-owned entry points start with CASHIERD_ASSERT(shard.is_current()).
//  2. The only libuv call made on another shard's loop is uv_async_send (inside Mailbox::post).
//  3. Cross-shard traffic goes only through reactor::Mailbox, as values; a reply names its
//     connection by ConnectionRef {shard, slot, generation}, never by pointer.
//  4. Our own mutex or atomics provide every happens-before edge (Debian's libuv is not built
//     for ThreadSanitizer).
//  5. Config, registries and secrets are built before shards start and read-only afterwards.
// Thread: construct, start() and join() on the main thread; everything else on the shard.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include <uv.h>

#include "reactor/base/ids.h"

namespace cashierd::reactor {

class Shard {
public:
    explicit Shard(ShardId id);
    ~Shard();
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    ShardId id() const { return id_; }

    /// The shard's loop. Only the shard's thread may use it (rule 2).
    uv_loop_t* loop() { return &loop_; }

    /// True on this shard's thread.
    bool is_current() const;

    /// The shard the calling thread runs, or -1 on any other thread.
    static int current_id();

    /// Starts the thread: initialises the loop, calls `setup` on the shard thread (it opens the
    /// shard's handles), then runs the loop until every handle is closed.
    void start(std::function<void(Shard&)> setup);

    /// Waits for the thread to end (after the shard closed all its handles).
    void join();

    /// Registers `hook(context)` to run once at the end of every loop iteration, after I/O
    /// callbacks (a uv_check_t): where group commit and batched flushes run. Shard thread only.
    void add_iteration_hook(void (*hook)(void* context), void* context);

    /// Closes the iteration-hook handle; call when the shard shuts down.
    void close_hooks();

private:
    static void on_check(uv_check_t* check);
    void run(const std::function<void(Shard&)>& setup);

    struct Hook {
        void (*function)(void*);
        void* context;
    };

    ShardId id_;
    uv_loop_t loop_{};
    uv_check_t check_{};
    bool check_started_ = false;
    std::vector<Hook> hooks_;
    std::thread thread_;
};

}  // namespace cashierd::reactor
