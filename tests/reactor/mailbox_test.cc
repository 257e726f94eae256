// Tests for reactor::Mailbox: exactly-once, per-producer FIFO delivery across threads, the
// capacity bound (and post_reply's exemption from it), close(), and posts made before start().
// Thread: the stress test runs four producer threads and one consumer loop thread; the others
// run on the test thread with a loop that test owns. Built under TSan as well.
#include "reactor/mailbox.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <uv.h>

namespace cashierd::reactor {
namespace {

struct Message {
    std::uint32_t producer = 0;
    std::uint32_t sequence = 0;
};

// A loop owned by one test, closed (and checked for leaked handles) at the end.
class TestLoop {
public:
    TestLoop() { EXPECT_EQ(uv_loop_init(&loop_), 0); }

    ~TestLoop() {
        uv_run(&loop_, UV_RUN_DEFAULT);  // Runs pending close callbacks.
        EXPECT_EQ(uv_loop_close(&loop_), 0);
    }

    TestLoop(const TestLoop&) = delete;
    TestLoop& operator=(const TestLoop&) = delete;

    uv_loop_t* get() { return &loop_; }

private:
    uv_loop_t loop_{};
};

void record(void* context, Message& message) {
    static_cast<std::vector<Message>*>(context)->push_back(message);
}

constexpr std::uint32_t producers = 4;
constexpr std::uint32_t messages_per_producer = 10'000;
constexpr std::uint32_t messages_total = producers * messages_per_producer;

// Consumer state: touched only on the consumer thread until it has been joined (except
// `abandoned`, which producers read).
struct Consumer {
    Mailbox<Message>* mailbox = nullptr;
    uv_timer_t watchdog{};
    std::array<std::int64_t, producers> last_sequence{};
    std::uint32_t received = 0;
    std::uint32_t out_of_order = 0;
    std::uint32_t bad_producer = 0;
    bool timed_out = false;
    // Set when the watchdog gives up, so producers stuck on a full mailbox stop retrying.
    std::atomic<bool> abandoned{false};

    void finish() {
        mailbox->close();
        uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
    }
};

void on_stress_message(void* context, Message& message) {
    auto* consumer = static_cast<Consumer*>(context);
    if (message.producer >= producers) {
        ++consumer->bad_producer;
        return;
    }
    std::int64_t& last = consumer->last_sequence[message.producer];
    // Sequences start at 0 and must arrive one by one: a gap is a loss or a reorder, a repeat
    // is a duplicate.
    if (message.sequence != last + 1) ++consumer->out_of_order;
    last = message.sequence;
    if (++consumer->received == messages_total) consumer->finish();
}

void on_watchdog(uv_timer_t* timer) {
    auto* consumer = static_cast<Consumer*>(timer->data);
    consumer->timed_out = true;
    consumer->abandoned.store(true);
    consumer->finish();
}

TEST(MailboxTest, FourProducersDeliverEveryMessageOnceInOrder) {
    // Small capacity so producers hit "full" and retry while the consumer drains.
    Mailbox<Message> mailbox(256);
    Consumer consumer;
    consumer.mailbox = &mailbox;
    consumer.last_sequence.fill(-1);

    std::atomic<std::uint64_t> refusals{0};
    std::vector<std::thread> threads;
    for (std::uint32_t p = 0; p < producers; ++p) {
        threads.emplace_back([&mailbox, &refusals, &consumer, p] {
            for (std::uint32_t s = 0; s < messages_per_producer; ++s) {
                while (!mailbox.post(Message{p, s})) {
                    if (consumer.abandoned.load()) return;
                    refusals.fetch_add(1, std::memory_order_relaxed);
                    std::this_thread::yield();
                }
            }
        });
    }
    // The consumer starts while producers already post: early messages wait for start().
    std::thread consumer_thread([&consumer, &mailbox] {
        uv_loop_t loop{};
        ASSERT_EQ(uv_loop_init(&loop), 0);
        ASSERT_EQ(uv_timer_init(&loop, &consumer.watchdog), 0);
        consumer.watchdog.data = &consumer;
        ASSERT_EQ(uv_timer_start(&consumer.watchdog, on_watchdog, 30'000, 0), 0);
        mailbox.start(&loop, on_stress_message, &consumer);
        uv_run(&loop, UV_RUN_DEFAULT);
        EXPECT_EQ(uv_loop_close(&loop), 0);
    });
    for (std::thread& thread : threads)
        thread.join();
    consumer_thread.join();

    EXPECT_FALSE(consumer.timed_out);
    EXPECT_EQ(consumer.received, messages_total);
    EXPECT_EQ(consumer.out_of_order, 0u);
    EXPECT_EQ(consumer.bad_producer, 0u);
    for (std::uint32_t p = 0; p < producers; ++p) {
        EXPECT_EQ(consumer.last_sequence[p], messages_per_producer - 1) << "producer " << p;
    }
    // Refusals depend on scheduling; print them so a run shows the bound was exercised.
    std::printf("mailbox refusals while full: %llu\n",
                static_cast<unsigned long long>(refusals.load()));
}

TEST(MailboxTest, RefusesPostWhenFullButAcceptsReplies) {
    TestLoop loop;
    std::vector<Message> received;
    Mailbox<Message> mailbox(3);
    EXPECT_EQ(mailbox.capacity(), 3u);
    mailbox.start(loop.get(), record, &received);

    EXPECT_EQ(mailbox.depth(), 0u);
    EXPECT_TRUE(mailbox.post(Message{0, 1}));
    EXPECT_TRUE(mailbox.post(Message{0, 2}));
    EXPECT_TRUE(mailbox.post(Message{0, 3}));
    EXPECT_EQ(mailbox.depth(), 3u);
    EXPECT_FALSE(mailbox.post(Message{0, 4}));
    EXPECT_EQ(mailbox.depth(), 3u);

    // A reply to work the receiver asked for is never lost to a full mailbox.
    EXPECT_TRUE(mailbox.post_reply(Message{1, 5}));
    EXPECT_TRUE(mailbox.post_reply(Message{1, 6}));
    EXPECT_EQ(mailbox.depth(), 5u);
    // Replies past capacity do not make room for ordinary posts.
    EXPECT_FALSE(mailbox.post(Message{0, 7}));

    EXPECT_EQ(mailbox.drain_for_test(), 5u);
    EXPECT_EQ(mailbox.depth(), 0u);
    ASSERT_EQ(received.size(), 5u);
    const std::uint32_t expected[] = {1, 2, 3, 5, 6};
    for (std::size_t i = 0; i < received.size(); ++i)
        EXPECT_EQ(received[i].sequence, expected[i]) << i;

    // Draining makes room again, for the full capacity.
    EXPECT_TRUE(mailbox.post(Message{0, 8}));
    EXPECT_TRUE(mailbox.post(Message{0, 9}));
    EXPECT_TRUE(mailbox.post(Message{0, 10}));
    EXPECT_FALSE(mailbox.post(Message{0, 11}));
    EXPECT_EQ(mailbox.drain_for_test(), 3u);
    EXPECT_EQ(mailbox.drain_for_test(), 0u);
    EXPECT_EQ(received.size(), 8u);
    mailbox.close();
}

TEST(MailboxTest, ClosedMailboxRefusesPostsAndReplies) {
    TestLoop loop;
    std::vector<Message> received;
    Mailbox<Message> mailbox(4);
    mailbox.start(loop.get(), record, &received);
    EXPECT_TRUE(mailbox.post(Message{0, 1}));
    EXPECT_TRUE(mailbox.post_reply(Message{0, 2}));
    mailbox.close();

    EXPECT_FALSE(mailbox.post(Message{0, 3}));
    EXPECT_FALSE(mailbox.post_reply(Message{0, 4}));
    // What was queued at close is dropped, not delivered later.
    EXPECT_EQ(mailbox.depth(), 0u);
    uv_run(loop.get(), UV_RUN_DEFAULT);
    EXPECT_TRUE(received.empty());
    // A second close is harmless.
    mailbox.close();
    EXPECT_FALSE(mailbox.post(Message{0, 5}));
}

struct EarlyConsumer {
    Mailbox<Message>* mailbox = nullptr;
    uv_timer_t watchdog{};
    std::vector<Message> received;
    bool timed_out = false;

    void finish() {
        mailbox->close();
        uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
    }
};

void on_early_message(void* context, Message& message) {
    auto* consumer = static_cast<EarlyConsumer*>(context);
    consumer->received.push_back(message);
    if (consumer->received.size() == 3) consumer->finish();
}

void on_early_watchdog(uv_timer_t* timer) {
    auto* consumer = static_cast<EarlyConsumer*>(timer->data);
    consumer->timed_out = true;
    consumer->finish();
}

TEST(MailboxTest, MessagesPostedBeforeStartAreDeliveredAfterStart) {
    TestLoop loop;
    Mailbox<Message> mailbox(4);
    EarlyConsumer consumer;
    consumer.mailbox = &mailbox;

    // From another thread, as a peer shard would, before the owner attached the mailbox.
    std::thread producer([&mailbox] {
        EXPECT_TRUE(mailbox.post(Message{0, 1}));
        EXPECT_TRUE(mailbox.post(Message{0, 2}));
        EXPECT_TRUE(mailbox.post_reply(Message{0, 3}));
    });
    producer.join();
    EXPECT_EQ(mailbox.depth(), 3u);

    ASSERT_EQ(uv_timer_init(loop.get(), &consumer.watchdog), 0);
    consumer.watchdog.data = &consumer;
    ASSERT_EQ(uv_timer_start(&consumer.watchdog, on_early_watchdog, 10'000, 0), 0);
    // No post happens after start(): only start() itself can wake the loop for these.
    mailbox.start(loop.get(), on_early_message, &consumer);
    uv_run(loop.get(), UV_RUN_DEFAULT);

    EXPECT_FALSE(consumer.timed_out);
    ASSERT_EQ(consumer.received.size(), 3u);
    EXPECT_EQ(consumer.received[0].sequence, 1u);
    EXPECT_EQ(consumer.received[1].sequence, 2u);
    EXPECT_EQ(consumer.received[2].sequence, 3u);
}

TEST(MailboxTest, PostBeforeStartStillHonoursCapacity) {
    TestLoop loop;
    std::vector<Message> received;
    Mailbox<Message> mailbox(2);
    EXPECT_TRUE(mailbox.post(Message{0, 1}));
    EXPECT_TRUE(mailbox.post(Message{0, 2}));
    EXPECT_FALSE(mailbox.post(Message{0, 3}));
    EXPECT_EQ(mailbox.depth(), 2u);
    mailbox.start(loop.get(), record, &received);
    EXPECT_EQ(mailbox.drain_for_test(), 2u);
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[1].sequence, 2u);
    mailbox.close();
}

// A handler may post to its own mailbox (a shard replying to itself): the message lands in the
// next drain, not in the batch being dispatched.
struct SelfPost {
    Mailbox<Message>* mailbox = nullptr;
    std::vector<Message> received;
};

void on_self_post(void* context, Message& message) {
    auto* self = static_cast<SelfPost*>(context);
    self->received.push_back(message);
    if (message.sequence < 3) {
        EXPECT_TRUE(self->mailbox->post(Message{0, message.sequence + 1}));
    }
}

TEST(MailboxTest, HandlerPostingToItsOwnMailboxIsDeliveredNextDrain) {
    TestLoop loop;
    Mailbox<Message> mailbox(2);
    SelfPost self{&mailbox, {}};
    mailbox.start(loop.get(), on_self_post, &self);
    EXPECT_TRUE(mailbox.post(Message{0, 1}));
    EXPECT_EQ(mailbox.drain_for_test(), 1u);
    EXPECT_EQ(mailbox.depth(), 1u);
    EXPECT_EQ(mailbox.drain_for_test(), 1u);
    EXPECT_EQ(mailbox.drain_for_test(), 1u);
    EXPECT_EQ(mailbox.drain_for_test(), 0u);
    ASSERT_EQ(self.received.size(), 3u);
    EXPECT_EQ(self.received[2].sequence, 3u);
    mailbox.close();
}

}  // namespace
}  // namespace cashierd::reactor
