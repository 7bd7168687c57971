#ifndef APIKIT_REDIS_HPP
#define APIKIT_REDIS_HPP

// apikit's Redis client: an asynchronous, pipelining connection over Asio that
// uses hiredis for RESP alone, with timeouts, reconnects with backoff, Lua
// scripts by SHA1, key namespacing and hash slots, and redis:// URLs; and a
// client that is that connection on a single Redis and one connection per
// primary, routing by slot, on a Redis Cluster. Link
// apikit::redis (apikit::apikit plus hiredis). The Redis backends of the rate
// limiter, the cache, the job queue and the token store are built on it.

#include <apikit/redis/client.hpp>
#include <apikit/redis/cluster_client.hpp>
#include <apikit/redis/cluster_options.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/command_keys.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/options.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>
#include <apikit/redis/url.hpp>

#endif
