// Every compile-time ceiling in one place. The config may lower these at startup, never raise
// them, so memory use is a back-of-envelope product of the numbers below.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cashierd::limits {

inline constexpr std::size_t shards_max = 64;
inline constexpr std::size_t connections_per_shard_max = 65536;
inline constexpr std::size_t request_head_bytes_max = 8 * std::size_t{1024};
inline constexpr std::size_t request_body_bytes_max = 64 * std::size_t{1024};
inline constexpr std::size_t headers_count_max = 64;
inline constexpr std::size_t path_params_max = 4;
inline constexpr std::size_t chunk_extension_bytes_max = 128;
inline constexpr std::size_t request_id_bytes_max = 64;
inline constexpr std::size_t mailbox_messages_max = 65536;
inline constexpr std::size_t routes_max = 128;
// simdjson reads up to this many bytes past the end of a document.
inline constexpr std::size_t json_padding_bytes = 64;
// One read buffer holds a whole request head plus room to stream the body through.
inline constexpr std::size_t read_buffer_bytes = 2 * request_head_bytes_max;

}  // namespace cashierd::limits
