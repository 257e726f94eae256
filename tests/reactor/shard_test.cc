// Tests for reactor::Shard: setup runs on the shard thread, iteration hooks run once per loop
// iteration after that iteration's timers, thread identity, and the thread ending once every
// handle is closed (including handles an owner forgot to close).
// Thread: the test thread starts and joins shards; callbacks run on the shard thread and the
// results are read only after join(). Built under TSan as well.
#include "reactor/shard.h"

#include <latch>
#include <string>

#include <gtest/gtest.h>
#include <uv.h>

namespace cashierd::reactor {
namespace {

constexpr int timer_fires = 5;

// Touched on the shard thread only, until join().
struct Probe {
    Shard* shard = nullptr;
    uv_timer_t timer{};
    uv_prepare_t prepare{};
    // One letter per callback: 'T' timer, 'P' prepare (before polling, once per iteration),
    // 'H' first hook, 'h' second hook.
    std::string events;
    int fires = 0;
    bool setup_ran = false;
    bool setup_on_shard = false;
    int setup_current_id = -2;
    ShardId setup_shard_id = 0;
    bool hook_on_shard = true;
};

void on_hook(void* context) {
    auto* probe = static_cast<Probe*>(context);
    probe->events.push_back('H');
    probe->hook_on_shard = probe->hook_on_shard && probe->shard->is_current();
}

void on_second_hook(void* context) {
    static_cast<Probe*>(context)->events.push_back('h');
}

void on_prepare(uv_prepare_t* prepare) {
    static_cast<Probe*>(prepare->data)->events.push_back('P');
}

void on_timer(uv_timer_t* timer) {
    auto* probe = static_cast<Probe*>(timer->data);
    probe->events.push_back('T');
    if (++probe->fires < timer_fires) return;
    // Shutdown as an owner does it: close every handle, and the loop runs dry.
    probe->shard->close_hooks();
    uv_close(reinterpret_cast<uv_handle_t*>(&probe->prepare), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
}

TEST(ShardTest, HooksRunOncePerIterationAfterTimersAndShardEndsWhenHandlesClose) {
    Probe probe;
    Shard shard(3);
    probe.shard = &shard;
    EXPECT_EQ(shard.id(), 3);
    EXPECT_FALSE(shard.is_current());
    EXPECT_EQ(Shard::current_id(), -1);

    shard.start([&probe](Shard& self) {
        probe.setup_ran = true;
        probe.setup_on_shard = self.is_current();
        probe.setup_current_id = Shard::current_id();
        probe.setup_shard_id = self.id();
        self.add_iteration_hook(on_hook, &probe);
        self.add_iteration_hook(on_second_hook, &probe);
        uv_prepare_init(self.loop(), &probe.prepare);
        probe.prepare.data = &probe;
        uv_prepare_start(&probe.prepare, on_prepare);
        uv_timer_init(self.loop(), &probe.timer);
        probe.timer.data = &probe;
        uv_timer_start(&probe.timer, on_timer, 1, 2);
    });
    // The test thread is not the shard, even while the shard runs.
    EXPECT_FALSE(shard.is_current());
    EXPECT_EQ(Shard::current_id(), -1);
    shard.join();

    EXPECT_TRUE(probe.setup_ran);
    EXPECT_TRUE(probe.setup_on_shard);
    EXPECT_EQ(probe.setup_current_id, 3);
    EXPECT_EQ(probe.setup_shard_id, 3);
    EXPECT_TRUE(probe.hook_on_shard);
    EXPECT_EQ(probe.fires, timer_fires);

    // libuv order per iteration: timers, prepare, poll, check. So every iteration reads
    // "[T]PHh": both hooks, in registration order, exactly once after each prepare, and after
    // the timers of that iteration. The last timer closes the hooks, so nothing follows it.
    const std::string& events = probe.events;
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), 'T') << events;
    std::size_t i = 0;
    int timers_seen = 0;
    while (i + 1 < events.size()) {
        if (events[i] == 'T') {
            ++timers_seen;
            ++i;
        }
        ASSERT_EQ(events.compare(i, 3, "PHh"), 0) << "at " << i << " in " << events;
        i += 3;
    }
    EXPECT_EQ(i, events.size() - 1) << events;
    EXPECT_EQ(timers_seen + 1, timer_fires) << events;
    // A timer firing is always followed by that iteration's hooks.
    for (std::size_t at = 0; at + 1 < events.size(); ++at) {
        if (events[at] == 'T') {
            EXPECT_EQ(events.compare(at + 1, 3, "PHh"), 0) << events;
        }
    }
}

TEST(ShardTest, ShardIdsAreThreadLocal) {
    int current_in_a = -2;
    int current_in_b = -2;
    bool a_sees_b = true;
    bool b_sees_a = true;
    // Both shards run at once, so each thread checks its id while the other shard is live.
    // (It also keeps one loop's epoll descriptor from being reused by the other loop: libuv
    // closes descriptors with a raw syscall TSan cannot see, and reports the reuse as a race.)
    std::latch both_running(2);
    Shard a(0);
    Shard b(7);
    a.start([&](Shard&) {
        both_running.arrive_and_wait();
        current_in_a = Shard::current_id();
        a_sees_b = b.is_current();
    });
    b.start([&](Shard&) {
        both_running.arrive_and_wait();
        current_in_b = Shard::current_id();
        b_sees_a = a.is_current();
    });
    a.join();
    b.join();
    EXPECT_EQ(current_in_a, 0);
    EXPECT_EQ(current_in_b, 7);
    EXPECT_FALSE(a_sees_b);
    EXPECT_FALSE(b_sees_a);
    EXPECT_EQ(Shard::current_id(), -1);
}

// An owner that forgets to close a handle must not keep the thread alive forever: once the
// loop has nothing active, the shard closes the leftovers and the thread ends. Here a one-shot
// timer fires and is never closed, and the iteration-hook handle is never used.
struct Forgetful {
    uv_timer_t timer{};
    bool fired = false;
};

TEST(ShardTest, LeftoverInactiveHandlesAreClosedAtShutdown) {
    Forgetful forgetful;
    Shard shard(1);
    shard.start([&forgetful](Shard& self) {
        uv_timer_init(self.loop(), &forgetful.timer);
        forgetful.timer.data = &forgetful;
        uv_timer_start(
                &forgetful.timer,
                [](uv_timer_t* timer) { static_cast<Forgetful*>(timer->data)->fired = true; }, 1,
                0);
    });
    shard.join();
    EXPECT_TRUE(forgetful.fired);
    // The shard closed the timer on its way out (uv_is_closing is also true once closed).
    EXPECT_NE(uv_is_closing(reinterpret_cast<uv_handle_t*>(&forgetful.timer)), 0);
}

TEST(ShardTest, EmptySetupEndsImmediately) {
    Shard shard(2);
    shard.start([](Shard&) {});
    shard.join();
    // join() is idempotent once the thread ended.
    shard.join();
    EXPECT_FALSE(shard.is_current());
}

}  // namespace
}  // namespace cashierd::reactor
