#include "reactor/shard.h"

#include <cstdio>
#include <string>

#include <pthread.h>

#include "reactor/base/assert.h"
#include "reactor/base/log.h"

namespace cashierd::reactor {
namespace {

thread_local int t_current_shard = -1;

void close_any_handle(uv_handle_t* handle, void*) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
}

}  // namespace

Shard::Shard(ShardId id) : id_(id) {}

Shard::~Shard() {
    CASHIERD_ASSERT(!thread_.joinable());
}

bool Shard::is_current() const {
    return t_current_shard == static_cast<int>(id_);
}

int Shard::current_id() {
    return t_current_shard;
}

void Shard::start(std::function<void(Shard&)> setup) {
    CASHIERD_ASSERT(!thread_.joinable());
    thread_ = std::thread([this, setup = std::move(setup)] { run(setup); });
}

void Shard::join() {
    if (thread_.joinable()) thread_.join();
}

void Shard::run(const std::function<void(Shard&)>& setup) {
    t_current_shard = id_;
    log::set_thread_shard(id_);
    std::string name = "shard-" + std::to_string(id_);
    pthread_setname_np(pthread_self(), name.c_str());

    // A loop that cannot start is an environment failure after startup: crash (STYLE 3.4).
    CASHIERD_ASSERT(uv_loop_init(&loop_) == 0);
    CASHIERD_ASSERT(uv_check_init(&loop_, &check_) == 0);
    check_.data = this;
    setup(*this);
    uv_run(&loop_, UV_RUN_DEFAULT);

    // Every owner closes its handles on shutdown; anything left is closed here so the loop
    // can end, and reported, because it means some owner forgot.
    if (uv_loop_close(&loop_) == UV_EBUSY) {
        log::warn("loop still had open handles at shutdown");
        uv_walk(&loop_, close_any_handle, nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
        CASHIERD_ASSERT(uv_loop_close(&loop_) == 0);
    }
    t_current_shard = -1;
}

void Shard::add_iteration_hook(void (*hook)(void* context), void* context) {
    CASHIERD_ASSERT(is_current());
    hooks_.push_back(Hook{hook, context});
    if (!check_started_) {
        CASHIERD_ASSERT(uv_check_start(&check_, on_check) == 0);
        check_started_ = true;
    }
}

void Shard::close_hooks() {
    CASHIERD_ASSERT(is_current());
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&check_))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    }
}

void Shard::on_check(uv_check_t* check) {
    auto* shard = static_cast<Shard*>(check->data);
    for (const Hook& hook : shard->hooks_)
        hook.function(hook.context);
}

}  // namespace cashierd::reactor
