// Result<T>: a value or a non-OK Status (C++20 has no std::expected). Thread: any.
#pragma once

#include <optional>
#include <utility>

#include "reactor/base/assert.h"
#include "reactor/base/status.h"

namespace cashierd {

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

    Result(Status status) : status_(status) {  // NOLINT(google-explicit-constructor)
        CASHIERD_ASSERT(!status.ok());
    }

    bool ok() const { return value_.has_value(); }

    const Status& status() const { return status_; }

    T& value() & {
        CASHIERD_ASSERT(ok());
        return *value_;
    }

    const T& value() const& {
        CASHIERD_ASSERT(ok());
        return *value_;
    }

    T&& value() && {
        CASHIERD_ASSERT(ok());
        return std::move(*value_);
    }

    T* operator->() { return &value(); }

    const T* operator->() const { return &value(); }

    T& operator*() & { return value(); }

    const T& operator*() const& { return value(); }

private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace cashierd
