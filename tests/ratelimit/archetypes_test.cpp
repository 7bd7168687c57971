// Archetypes: the least a type must provide to model each rate-limit concept.
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/quota.hpp>
#include <apikit/ratelimit/store.hpp>

#include <doctest/doctest.h>

#include <string_view>

namespace rl = apikit::ratelimit;

namespace {

// A store that answers later (as a Redis store does): only the handler form.
struct async_store_archetype {
    template <class Handler>
    void async_acquire(std::string_view, rl::policy const&, std::uint64_t, std::chrono::nanoseconds,
                       Handler&& h) {
        rl::policy_decision d;
        d.allowed = true;
        std::move(h)(boost::system::error_code{}, d);
    }
};

struct sync_store_archetype : async_store_archetype {
    apikit::result<rl::policy_decision> try_acquire(std::string_view, rl::policy const&,
                                                    std::uint64_t, std::chrono::nanoseconds) {
        return rl::policy_decision{};
    }
};

struct store_without_acquire {};

struct sync_store_with_wrong_result : async_store_archetype {
    bool try_acquire(std::string_view, rl::policy const&, std::uint64_t, std::chrono::nanoseconds) {
        return true;
    }
};

struct quota_archetype {
    explicit quota_archetype(rl::policy p) : p_(std::move(p)) {}
    rl::policy const& policy_for(std::string_view) const { return p_; }
    rl::policy p_;
};

struct quota_returning_a_copy {
    explicit quota_returning_a_copy(rl::policy p) : p_(std::move(p)) {}
    rl::policy policy_for(std::string_view) const { return p_; }
    rl::policy p_;
};

} // namespace

static_assert(rl::store<async_store_archetype>);
static_assert(!rl::sync_store<async_store_archetype>, "a handler-only store is not synchronous");
static_assert(rl::sync_store<sync_store_archetype>);
static_assert(rl::sync_store<rl::memory_store>);
static_assert(!rl::store<store_without_acquire>);
static_assert(!rl::sync_store<sync_store_with_wrong_result>);
static_assert(rl::quota<quota_archetype>);
static_assert(rl::quota<rl::quota_table>);
static_assert(!rl::quota<quota_returning_a_copy>, "policies must outlive the decision");

TEST_CASE("a limiter takes any store, and the blocking call needs a synchronous one") {
    rl::limiter<async_store_archetype> lim{rl::policy{rl::limit{"x", 1, rl::per_second(1)}}};
    bool called = false;
    lim.async_acquire(
        "k", 1, apikit::steady_clock::now(),
        [&](boost::system::error_code ec, rl::policy_decision d) { called = !ec && d.allowed; });
    CHECK(called);
    auto blocking = [](auto& l) {
        return requires {
            l.try_acquire("k");
        };
    };
    CHECK_FALSE(blocking(lim));
    rl::limiter<sync_store_archetype, apikit::steady_clock, quota_archetype> sync_lim{
        rl::policy{rl::limit{"x", 1, rl::per_second(1)}}};
    CHECK(blocking(sync_lim));
}
