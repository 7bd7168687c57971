// One fixture per refresh store for the conformance suite. A fixture owns a
// store and drives it through the completion-handler form — the one every
// refresh_store has — turning each answer back into a result, and checking
// that the handler ran exactly once (and, for a store that answers later,
// not inside the call).
//
// The Redis store is in the suite when the build has apikit::redis
// (APIKIT_TEST_WITH_REDIS), twice: on a connection to the ctest fixture's
// redis-server, and on a cluster client of the fixture's Redis Cluster
// (3 primaries), where each family lives on the primary of its slot. Each
// with a key prefix of its own per fixture, so that no two tests see each
// other's keys. `second()` gives a second client and store on the same
// keys, for races between two "processes".
#ifndef APIKIT_TESTS_AUTH_REFRESH_FIXTURES_HPP
#define APIKIT_TESTS_AUTH_REFRESH_FIXTURES_HPP

#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/auth/refresh_token.hpp>

#if APIKIT_TEST_WITH_REDIS
#include <apikit/auth/redis_refresh_store.hpp>
#include <apikit/core/random.hpp>
#include <apikit/redis/cluster_client.hpp>

#include "redis/support.hpp"

#include <boost/asio/io_context.hpp>
#endif

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace refresh_test {

namespace auth = apikit::auth;

template <class Store>
struct store_fixture;

template <>
struct store_fixture<auth::memory_refresh_store> {
    auth::memory_refresh_store store{{.max_families = 4096, .max_rotated = 8, .shards = 4}};
    /// Where a second thread rotates: in one process, the same store.
    store_fixture& second() { return *this; }
    static constexpr std::size_t max_rotated = 8;
};

#if APIKIT_TEST_WITH_REDIS
using redis_link = redis_test::shared_connection;

/// The store on the fixture's Redis Cluster.
using cluster_refresh_store = auth::basic_redis_refresh_store<apikit::redis::cluster_client>;

/// A Redis store on `Link`'s client (`conn`), driven by its io_context.
template <class Link, class Store>
struct redis_store_fixture : Link {
    std::string prefix = apikit::random_id("apikit-test-");
    Store store{this->conn, {.key_prefix = prefix, .max_rotated = 8}};
    static constexpr std::size_t max_rotated = 8;

    struct other : Link {
        Store store;
        explicit other(std::string const& prefix)
            : store(this->conn, {.key_prefix = prefix, .max_rotated = 8}) {}
    };
    std::unique_ptr<other> second_;
    /// A second client and store on the same keys, with an io_context of
    /// its own: another process.
    other& second() {
        if (!second_)
            second_ = std::make_unique<other>(prefix);
        return *second_;
    }
};

template <>
struct store_fixture<auth::redis_refresh_store>
    : redis_store_fixture<redis_link, auth::redis_refresh_store> {};
template <>
struct store_fixture<cluster_refresh_store>
    : redis_store_fixture<redis_test::shared_cluster, cluster_refresh_store> {};
#endif

/// Runs `start(handler)` and waits for the handler: exactly once, and never
/// inside the call for a store that answers later. `f` is a fixture or its
/// second(): whatever holds a store and, for a store that answers later,
/// run_until.
template <class T, class Side, class Start>
T wait_for(Side& f, Start start) {
    std::optional<T> out;
    int calls = 0;
    start([&](T v) {
        ++calls;
        out.emplace(std::move(v));
    });
    if constexpr (requires { f.run_until([] { return true; }); }) {
        REQUIRE(calls == 0);
        f.run_until([&] { return calls > 0; });
    }
    REQUIRE(calls == 1);
    return std::move(*out);
}

template <class Store>
apikit::result<void> create(store_fixture<Store>& f, auth::family_record const& r,
                            std::int64_t now) {
    static_assert(auth::refresh_store<Store>,
                  "refresh_test::create's Store must model apikit::auth::refresh_store");
    return wait_for<apikit::result<void>>(f, [&](auto done) {
        f.store.async_create(r, now, [done](boost::system::error_code ec) mutable {
            done(ec ? apikit::result<void>(ec) : apikit::result<void>());
        });
    });
}

template <class Side>
apikit::result<auth::rotation> rotate(Side& f, std::string_view family, std::string_view presented,
                                      std::string_view next, std::int64_t now) {
    return wait_for<apikit::result<auth::rotation>>(f, [&](auto done) {
        f.store.async_rotate(family, presented, next, now,
                             [done](boost::system::error_code ec, auth::rotation r) mutable {
                                 if (ec)
                                     done(apikit::result<auth::rotation>(ec));
                                 else
                                     done(apikit::result<auth::rotation>(std::move(r)));
                             });
    });
}

template <class Store>
apikit::result<void> revoke(store_fixture<Store>& f, std::string_view family) {
    return wait_for<apikit::result<void>>(f, [&](auto done) {
        f.store.async_revoke(family, [done](boost::system::error_code ec) mutable {
            done(ec ? apikit::result<void>(ec) : apikit::result<void>());
        });
    });
}

/// A hash as a store is given one: SHA-256 of a made-up secret.
inline std::string hash_of(std::string_view secret) {
    return auth::refresh_token_hash(secret);
}

} // namespace refresh_test

TYPE_TO_STRING(apikit::auth::memory_refresh_store);

#if APIKIT_TEST_WITH_REDIS
TYPE_TO_STRING(apikit::auth::redis_refresh_store);
TYPE_TO_STRING(apikit::auth::basic_redis_refresh_store<apikit::redis::cluster_client>);
#define APIKIT_REFRESH_STORES                                                                      \
    apikit::auth::memory_refresh_store, apikit::auth::redis_refresh_store,                         \
        refresh_test::cluster_refresh_store
#else
#define APIKIT_REFRESH_STORES apikit::auth::memory_refresh_store
#endif

#endif
