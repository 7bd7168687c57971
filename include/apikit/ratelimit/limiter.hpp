#ifndef APIKIT_RATELIMIT_LIMITER_HPP
#define APIKIT_RATELIMIT_LIMITER_HPP

// The keyed token-bucket limiter: a quota (which policy applies to a key), a
// store (where the per-key state lives) and a clock, each a policy checked by
// its concept. A request reads the clock once and passes the time point to
// every limiter it meets, or lets the limiter read the clock.
//
//     ratelimit::limiter<> lim{ratelimit::policy{
//         ratelimit::limit{"default", 100, ratelimit::per_second(10)}}};
//     auto d = lim.try_acquire("user_123");       // result<policy_decision>
//     if (d && !d->allowed) { /* 429, Retry-After: d->retry_after */ }

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/quota.hpp>
#include <apikit/ratelimit/store.hpp>
#include <apikit/ratelimit/token_bucket.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

namespace apikit::ratelimit {

template <class Store = memory_store, class Clock = apikit::steady_clock, class Quota = quota_table>
class limiter {
    static_assert(store<Store>,
                  "apikit::ratelimit::limiter's Store must model apikit::ratelimit::store");
    static_assert(apikit::clock<Clock>,
                  "apikit::ratelimit::limiter's Clock must model apikit::clock");
    static_assert(quota<Quota>,
                  "apikit::ratelimit::limiter's Quota must model apikit::ratelimit::quota");

public:
    using store_type = Store;
    using clock_type = Clock;
    using quota_type = Quota;
    using time_point = typename Clock::time_point;

    /// A limiter applying `default_policy` to every key not assigned a plan,
    /// with a store built from `store_args`.
    template <class... StoreArgs>
    explicit limiter(policy default_policy, Clock clock = Clock{}, StoreArgs&&... store_args)
        : quota_(std::move(default_policy))
        , store_(std::forward<StoreArgs>(store_args)...)
        , clock_(std::move(clock)) {}

    limiter(limiter const&) = delete;
    limiter& operator=(limiter const&) = delete;

    /// Takes `cost` tokens for `key` from every limit of its policy, or none.
    [[nodiscard]] result<policy_decision>
    try_acquire(std::string_view key, std::uint64_t cost = 1) requires sync_store<Store> {
        return try_acquire(key, cost, clock_.now());
    }

    /// The same at a time point read once for the whole request.
    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key, std::uint64_t cost,
                                                      time_point now) requires sync_store<Store> {
        return store_.try_acquire(key, quota_.policy_for(key), cost, since_epoch(now));
    }

    /// The same under an explicit policy, e.g. the plan named by the
    /// caller's token: `lim.try_acquire(key, *lim.quotas().plan("pro"), 1, now)`.
    /// `p` must outlive the call.
    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key, policy const& p,
                                                      std::uint64_t cost,
                                                      time_point now) requires sync_store<Store> {
        return store_.try_acquire(key, p, cost, since_epoch(now));
    }

    /// Through the store's completion handler: the form for stores that
    /// answer after a round trip. `handler(error_code, policy_decision)`.
    template <class Handler>
    void async_acquire(std::string_view key, std::uint64_t cost, time_point now,
                       Handler&& handler) {
        store_.async_acquire(key, quota_.policy_for(key), cost, since_epoch(now),
                             std::forward<Handler>(handler));
    }

    template <class Handler>
    void async_acquire(std::string_view key, policy const& p, std::uint64_t cost, time_point now,
                       Handler&& handler) {
        store_.async_acquire(key, p, cost, since_epoch(now), std::forward<Handler>(handler));
    }

    [[nodiscard]] Quota& quotas() noexcept { return quota_; }
    [[nodiscard]] Quota const& quotas() const noexcept { return quota_; }
    [[nodiscard]] Store& get_store() noexcept { return store_; }
    [[nodiscard]] Store const& get_store() const noexcept { return store_; }
    [[nodiscard]] Clock const& clock() const noexcept { return clock_; }

private:
    [[nodiscard]] static nanoseconds since_epoch(time_point t) noexcept {
        return nanoseconds(to_ns(t));
    }

    Quota quota_;
    Store store_;
    [[no_unique_address]] Clock clock_;
};

} // namespace apikit::ratelimit

#endif
