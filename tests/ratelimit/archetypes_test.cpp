// Archetypes: the least a type must provide to model each rate-limit concept.
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/quota.hpp>
#include <apikit/ratelimit/sliding_window.hpp>
#include <apikit/ratelimit/store.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
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

// The least a sliding window needs of its algorithm: this one allows
// everything and keeps nothing.
struct window_algorithm_archetype {
    static void check(rl::window_limit const&) {}
    rl::decision try_acquire(std::int64_t, std::uint64_t cost, rl::window_limit const& l) {
        return rl::decision{true, l.limit(), l.limit() - cost, {}, {}};
    }
    std::int64_t idle_at() const noexcept { return std::numeric_limits<std::int64_t>::min(); }
    void reset() noexcept {}
};

// No static check of the limit: a log that could not hold the limit would
// only fail at the first request.
struct window_algorithm_without_check {
    rl::decision try_acquire(std::int64_t, std::uint64_t, rl::window_limit const&) { return {}; }
    std::int64_t idle_at() const noexcept { return 0; }
    void reset() noexcept {}
};

struct window_algorithm_answering_bool : window_algorithm_archetype {
    bool try_acquire(std::int64_t, std::uint64_t, rl::window_limit const&) { return true; }
};

} // namespace

static_assert(rl::window_algorithm<window_algorithm_archetype>);
static_assert(rl::window_algorithm<rl::sliding_log>);
static_assert(rl::window_algorithm<rl::sliding_counter>);
static_assert(!rl::window_algorithm<window_algorithm_without_check>,
              "an algorithm checks the limit once, up front");
static_assert(!rl::window_algorithm<window_algorithm_answering_bool>,
              "an algorithm answers with a decision");

TEST_CASE("a sliding window takes any window algorithm") {
    apikit::manual_clock<> clock;
    rl::sliding_window<window_algorithm_archetype, apikit::clock_ref<apikit::manual_clock<>>> w{
        rl::window_limit{"w", 10, std::chrono::seconds(1)}, {}, apikit::clock_ref(clock)};
    auto const d = w.try_acquire("k", 3).value();
    CHECK(d.allowed);
    CHECK(d.remaining == 7);
    CHECK(w.size() == 1);
}

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
