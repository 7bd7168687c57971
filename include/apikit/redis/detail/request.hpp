#ifndef APIKIT_REDIS_DETAIL_REQUEST_HPP
#define APIKIT_REDIS_DETAIL_REQUEST_HPP

// What basic_connection hands to its implementation: one command (or script
// call) and the type-erased handler that waits for its reply. Built on the
// caller's thread, moved to the connection's strand; it holds no reference
// to the caller's data.

#include <apikit/redis/command.hpp>
#include <apikit/redis/detail/completion.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace apikit::redis::detail {

using exec_completion = completion<boost::system::error_code, reply>;
using wait_completion = completion<boost::system::error_code>;

/// One command on its way to the strand: its bytes, or for a script call
/// the script and the call's tail (EVALSHA is written from them, and EVAL
/// if the server answers NOSCRIPT).
struct request {
    command cmd = command::from_resp({}, 0);
    script code; // empty for a plain command
    std::string tail;
    std::size_t n = 0;
    std::chrono::nanoseconds timeout{};
    boost::system::error_code refused; // set: complete with it, unsent
};

} // namespace apikit::redis::detail

#endif
