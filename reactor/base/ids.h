// Identifiers that cross shard boundaries. They are plain values: a ConnectionRef names a
// connection without pointing at it, so a reply to a connection that has since closed is
// detected (stale generation) and dropped, never dereferenced.
#pragma once

#include <cstdint>

namespace cashierd {

using ShardId = std::uint16_t;

struct ConnectionRef {
    ShardId shard = 0;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;

    friend bool operator==(const ConnectionRef&, const ConnectionRef&) = default;
};

}  // namespace cashierd
