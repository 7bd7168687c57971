// Redis replies are parsed from the bytes a server (or whatever answers on
// its port) sends. Whatever the bytes, in whatever pieces: the reader gives
// replies, asks for more, or fails and stays failed — it never crashes.
#include "fuzz.hpp"

#include <apikit/redis/detail/reader.hpp>
#include <apikit/redis/reply.hpp>

#include <algorithm>

namespace redis = apikit::redis;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte picks how the rest is cut, as reads from a socket cut it.
    std::size_t const piece = 1 + data[0] % 64;
    auto const in = apikit_fuzz::as_text(data + 1, size - 1);
    redis::detail::reader reader;
    redis::reply r;
    bool failed = false;
    for (std::size_t at = 0; at < in.size() && !failed; at += piece) {
        auto const chunk = in.substr(at, std::min(piece, in.size() - at));
        if (!reader.feed(chunk.data(), chunk.size()))
            break;
        for (;;) {
            auto const s = reader.next(r);
            if (s == redis::detail::reader::status::error) {
                failed = true;
                break;
            }
            if (s == redis::detail::reader::status::need_more)
                break;
            // A reply: walk it, as a caller would.
            (void)r.text();
            for (auto const& e : r.elements())
                (void)e.text();
        }
    }
    if (failed) // once failed, always failed
        apikit_fuzz::require(reader.next(r) == redis::detail::reader::status::error,
                             "a failed reader stays failed");
    return 0;
}
