#ifndef APIKIT_RATELIMIT_TOKEN_BUCKET_HPP
#define APIKIT_RATELIMIT_TOKEN_BUCKET_HPP

// One token bucket, lock-free: the state is one 64-bit TAT in a std::atomic,
// and a decision is a load, the GCRA arithmetic, and a compare-and-swap. For a
// limit with no key (a global limit, an outbound API's quota) or as the
// building block the keyed store repeats per key.
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

template <apikit::clock Clock = apikit::steady_clock>
class token_bucket {
    static_assert(apikit::clock<Clock>, "token_bucket's Clock must model apikit::clock");

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
    result<decision> try_acquire(std::uint64_t cost = 1) { return try_acquire(cost, clock_.now()); }

    /// The same at a time the caller read once for the whole request.
    result<decision> try_acquire(std::uint64_t cost, time_point now) noexcept {
        if (cost > params_.capacity) [[unlikely]]
            return errc::cost_exceeds_capacity;
        return acquire(cost, to_ns(now));
    }

    /// Where a request of `cost` would stand at `now`, taking nothing.
    decision peek(time_point now, std::uint64_t cost = 1) const noexcept {
        return gcra::standing(tat_.load(std::memory_order_relaxed), to_ns(now), cost, params_);
    }

    /// Fills the bucket.
    void reset() noexcept { tat_.store(gcra::full, std::memory_order_relaxed); }

    limit const& get_limit() const noexcept { return limit_; }
    Clock const& clock() const noexcept { return clock_; }

private:
    decision acquire(std::uint64_t cost, std::int64_t now) noexcept {
        // Relaxed is enough: the TAT is the only shared datum, and the
        // compare-and-swap orders every update to it. Only what the swap
        // needs is computed before it; the decision's fields come after, off
        // the path that other threads wait on.
        auto const inc = static_cast<std::int64_t>(cost) * params_.interval;
        std::int64_t tat = tat_.load(std::memory_order_relaxed);
        std::int64_t next;
        do {
            next = (tat > now ? tat : now) + inc;
            if (next - now > params_.window) [[unlikely]]
                return gcra::standing(tat, now, cost, params_);
        } while (inc != 0 && !tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed));
        return gcra::granted(next - now, params_);
    }

    limit limit_;
    gcra::params params_;
    [[no_unique_address]] Clock clock_;
    alignas(64) std::atomic<std::int64_t> tat_{gcra::full};
};

} // namespace apikit::ratelimit

#endif
