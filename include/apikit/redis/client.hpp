#ifndef APIKIT_REDIS_CLIENT_HPP
#define APIKIT_REDIS_CLIENT_HPP

// What apikit's Redis backends need of the thing they talk to Redis through,
// as concepts, so that one backend runs unchanged on one connection to one
// Redis (connection.hpp) and on a Redis Cluster (cluster_client.hpp), and is
// tested on a stand-in without a server:
//
//     script_connection   get_executor() and async_eval(script, keys, args,
//                         handler): what a backend of Lua scripts needs (the
//                         rate limiter's store, the refresh-token store);
//     client              that, and async_exec(command, handler) with or
//                         without a timeout of its own: what a backend that
//                         sends plain commands needs (the event bus on
//                         Streams).
//
// Both models complete each call once, with void(error_code, reply), on the
// handler's associated executor and never inside the call; an error code only
// when there is no reply (error.hpp), an error reply from Redis is a reply.
// A backend keeps every key of one call in one hash slot (key.hpp), so the
// call means the same on one Redis and on a cluster.

#include <apikit/redis/command.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/execution/executor.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <span>
#include <type_traits>
#include <utility>

namespace apikit::redis {

namespace detail {

// The completion handler a concept check calls a client with.
struct eval_handler_archetype {
    void operator()(boost::system::error_code, reply) const {}
};

} // namespace detail

/// What a backend that runs Lua scripts needs of its connection
/// (ratelimit::redis_store, auth::redis_refresh_store), so that it can be
/// built on a stand-in and tested without a server: get_executor(), an Asio
/// executor where the backend completes what fails before any round trip;
/// and async_eval(script, keys, args, handler), which runs the script and
/// calls handler(error_code, reply) once, on the handler's associated
/// executor and never inside the call, with an error code only when there is
/// no reply (error.hpp). basic_connection and basic_cluster_client model it.
template <class C>
concept script_connection = requires(C& c, script const& code, std::span<arg const> keys,
                                     std::span<arg const> args,
                                     detail::eval_handler_archetype handler) {
    requires boost::asio::execution::is_executor<std::decay_t<decltype(c.get_executor())>>::value ||
        boost::asio::is_executor<std::decay_t<decltype(c.get_executor())>>::value;
    c.async_eval(code, keys, args, std::move(handler));
};

/// A script_connection that also sends commands: async_exec(command,
/// handler), and async_exec(command, timeout, handler) with a timeout of the
/// command's own. basic_connection and basic_cluster_client model it, so a
/// backend written against it (events::basic_redis_bus) runs on one Redis
/// and on a cluster alike.
template <class C>
concept client = script_connection<C> &&
    requires(C& c, command cmd, std::chrono::nanoseconds timeout,
             detail::eval_handler_archetype handler) {
    c.async_exec(std::move(cmd), handler);
    c.async_exec(std::move(cmd), timeout, std::move(handler));
};

} // namespace apikit::redis

#endif
