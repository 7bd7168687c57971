// One fixture per store type for the conformance suite. A fixture owns a
// store and decides through the store's completion-handler form — the one
// every store has — turning the answer back into a result. A store that
// answers later (Redis) has a fixture with `run_until(done)`, which drives
// its io_context until the handler ran.
//
// The Redis store is in the suite when the build has apikit::redis
// (APIKIT_TEST_WITH_REDIS, set by apikit_test_area), twice: on a connection
// to the ctest fixture's redis-server, and on a cluster client of the
// fixture's Redis Cluster (3 primaries), where each key's bucket lives on
// the primary of its slot. Each with client time (the tests' clock drives
// it) and a key prefix of its own per fixture, so that no two tests see
// each other's keys.
#ifndef APIKIT_TESTS_RATELIMIT_STORE_FIXTURES_HPP
#define APIKIT_TESTS_RATELIMIT_STORE_FIXTURES_HPP

#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/store.hpp>

#if APIKIT_TEST_WITH_REDIS
#include <apikit/core/random.hpp>
#include <apikit/ratelimit/redis_store.hpp>
#include <apikit/redis/cluster_client.hpp>

#include "redis/support.hpp"

#include <boost/asio/io_context.hpp>
#endif

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

namespace rl_test {

template <class Store>
struct store_fixture;

template <>
struct store_fixture<apikit::ratelimit::memory_store> {
    apikit::ratelimit::memory_store store{{.max_keys = 4096, .shards = 4}};
};

#if APIKIT_TEST_WITH_REDIS
/// A key prefix no other fixture (or test process) uses.
inline std::string unique_prefix() {
    return apikit::random_id("apikit-test-");
}

/// A connection to the ctest fixture's redis-server and the io_context that
/// drives it: what every Redis-backed fixture of the area starts from.
using redis_connection = redis_test::shared_connection;

/// The store on the fixture's Redis Cluster.
using cluster_redis_store = apikit::ratelimit::basic_redis_store<apikit::redis::cluster_client>;

/// A Redis store on `Link`'s client (`conn`), driven by its io_context.
template <class Link, class Store>
struct redis_store_fixture : Link {
    Store store{this->conn,
                {.time = apikit::ratelimit::time_source::client, .key_prefix = unique_prefix()}};
};

template <>
struct store_fixture<apikit::ratelimit::redis_store>
    : redis_store_fixture<redis_connection, apikit::ratelimit::redis_store> {};
template <>
struct store_fixture<cluster_redis_store>
    : redis_store_fixture<redis_test::shared_cluster, cluster_redis_store> {};
#endif

template <class Store>
apikit::result<apikit::ratelimit::policy_decision>
acquire(store_fixture<Store>& f, std::string_view key, apikit::ratelimit::policy const& p,
        std::uint64_t cost, std::chrono::nanoseconds now) {
    static_assert(apikit::ratelimit::store<Store>,
                  "rl_test::acquire's Store must model apikit::ratelimit::store");
    std::optional<apikit::result<apikit::ratelimit::policy_decision>> out;
    int calls = 0;
    f.store.async_acquire(key, p, cost, now,
                          [&](boost::system::error_code ec, apikit::ratelimit::policy_decision d) {
                              ++calls;
                              if (ec)
                                  out.emplace(ec);
                              else
                                  out.emplace(d);
                          });
    if constexpr (requires { f.run_until([] { return true; }); }) {
        REQUIRE(calls == 0); // never inside the call
        f.run_until([&] { return calls > 0; });
    }
    REQUIRE(calls == 1); // exactly once
    return *out;
}

} // namespace rl_test

TYPE_TO_STRING(apikit::ratelimit::memory_store);

#if APIKIT_TEST_WITH_REDIS
TYPE_TO_STRING(apikit::ratelimit::redis_store);
TYPE_TO_STRING(apikit::ratelimit::basic_redis_store<apikit::redis::cluster_client>);
#define APIKIT_RATELIMIT_STORES                                                                    \
    apikit::ratelimit::memory_store, apikit::ratelimit::redis_store, rl_test::cluster_redis_store
#else
#define APIKIT_RATELIMIT_STORES apikit::ratelimit::memory_store
#endif

#endif
