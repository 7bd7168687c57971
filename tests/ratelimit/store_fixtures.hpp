// One fixture per store type for the conformance suite. A fixture owns a
// store and decides through the store's completion-handler form — the one
// every store has — turning the answer back into a result. The Redis store
// joins by adding its fixture here and its type to APIKIT_RATELIMIT_STORES.
#ifndef APIKIT_TESTS_RATELIMIT_STORE_FIXTURES_HPP
#define APIKIT_TESTS_RATELIMIT_STORE_FIXTURES_HPP

#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/store.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string_view>

namespace rl_test {

template <class Store>
struct store_fixture;

template <>
struct store_fixture<apikit::ratelimit::memory_store> {
    apikit::ratelimit::memory_store store{{.max_keys = 4096, .shards = 4}};
};

template <class Store>
apikit::result<apikit::ratelimit::policy_decision>
acquire(store_fixture<Store>& f, std::string_view key, apikit::ratelimit::policy const& p,
        std::uint64_t cost, std::chrono::nanoseconds now) {
    static_assert(apikit::ratelimit::store<Store>,
                  "a conformance store must model ratelimit::store");
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
    REQUIRE(calls == 1); // exactly once
    return *out;
}

} // namespace rl_test

TYPE_TO_STRING(apikit::ratelimit::memory_store);

#define APIKIT_RATELIMIT_STORES apikit::ratelimit::memory_store

#endif
