#ifndef APIKIT_RATELIMIT_TOKEN_BUCKET_HPP
#define APIKIT_RATELIMIT_TOKEN_BUCKET_HPP

// One token bucket, lock-free: the state is one 64-bit TAT in a std::atomic,
// and a decision is a load, the GCRA arithmetic, and a compare-and-swap
// (gcra::take, which memory_store's one-limit path shares). For a limit with
// no key (a global limit, an outbound API's quota) or as the building block
// the keyed store repeats per key.
//
// Exact under concurrency: every grant of n tokens moves the TAT forward by
// n·T from at least the `now` it was decided at, and a grant needs
// TAT - now <= W afterwards. So between the first and the last grant the
// bucket hands out at most capacity + (t_last - t_first) / T tokens, whatever
// the interleaving and whichever thread's clock read lags — a late `now` is a
// clock stepping back, which only sees fewer tokens.

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limit.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

namespace apikit::ratelimit {

template <class Clock = apikit::steady_clock>
class token_bucket {
    static_assert(apikit::clock<Clock>,
                  "apikit::ratelimit::token_bucket's Clock must model apikit::clock");

public:
    using clock_type = Clock;
    using time_point = typename Clock::time_point;

    explicit token_bucket(limit l, Clock c = Clock{})
        : limit_(std::move(l))
        , params_(gcra::params::of(limit_))
        , clock_(std::move(c)) {}

    token_bucket(token_bucket const&) = delete;
    token_bucket& operator=(token_bucket const&) = delete;

    /// Takes `cost` tokens now, or says when to retry. A cost above the
    /// capacity could never be granted: `errc::cost_exceeds_capacity`.
    [[nodiscard]] result<decision> try_acquire(std::uint64_t cost = 1) {
        return try_acquire(cost, clock_.now());
    }

    /// The same at a time the caller read once for the whole request.
    [[nodiscard]] result<decision> try_acquire(std::uint64_t cost, time_point now) noexcept {
        if (cost > params_.capacity) [[unlikely]]
            return errc::cost_exceeds_capacity;
        return gcra::take(tat_, to_ns(now), cost, params_);
    }

    /// Where a request of `cost` would stand at `now`, taking nothing.
    [[nodiscard]] decision peek(time_point now, std::uint64_t cost = 1) const noexcept {
        return gcra::standing(tat_.load(std::memory_order_relaxed), to_ns(now), cost, params_);
    }

    /// Fills the bucket.
    void reset() noexcept { tat_.store(gcra::full, std::memory_order_relaxed); }

    [[nodiscard]] limit const& get_limit() const noexcept { return limit_; }
    [[nodiscard]] Clock const& clock() const noexcept { return clock_; }

private:
    limit limit_;
    gcra::params params_;
    [[no_unique_address]] Clock clock_;
    alignas(64) std::atomic<std::int64_t> tat_{gcra::full};
};

} // namespace apikit::ratelimit

#endif
