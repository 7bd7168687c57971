#ifndef APIKIT_RATELIMIT_GCRA_HPP
#define APIKIT_RATELIMIT_GCRA_HPP

// The token bucket as GCRA, the generic cell rate algorithm (ITU-T I.371):
// the whole state of a bucket is one number, its theoretical arrival time
// (TAT) — the instant the bucket will be full again if nothing more is asked.
// With emission interval T (the time one token takes to come back) and window
// W = capacity × T:
//
//     tokens(now)  = capacity - max(TAT - now, 0) / T
//     a request of n tokens is allowed  iff  max(TAT, now) + n·T - now <= W
//     and then TAT becomes max(TAT, now) + n·T
//
// These functions are the whole decision, pure and in integer nanoseconds,
// so the in-memory store, the lock-free bucket and the Redis Lua script all
// compute the same thing. Rounding: `remaining` is rounded down (a client is
// never promised a token it does not have); durations are exact nanoseconds,
// and the header writer rounds them up to whole seconds.
//
// A clock that steps back cannot grant more: tokens(now) only grows with now,
// so an earlier `now` sees fewer tokens; the bucket refills again once the
// clock is back where it was.
//
// Two steps are shared by every store, so that no store writes them again:
// `take` is the lock-free bucket's decision by compare-and-swap (token_bucket
// and memory_store's one-limit path), and `all_or_nothing` is the decision of
// a policy of several limits from one TAT each (memory_store by
// compare-and-swap, the Redis store from its script's reply).

#include <apikit/ratelimit/limit.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace apikit::ratelimit::gcra {

/// The TAT of a bucket never used: full at any instant.
inline constexpr std::int64_t full = std::numeric_limits<std::int64_t>::min();

/// The numbers of a limit the arithmetic needs.
struct params {
    std::int64_t interval; ///< T, ns
    std::int64_t window;   ///< capacity × T, ns
    std::uint64_t capacity;
    detail::divider per_token; ///< divides by T

    [[nodiscard]] static params of(limit const& l) noexcept {
        return {l.emission_interval().count(), l.window().count(), l.capacity(), l.per_token()};
    }

    /// Whole tokens in `span` ns of refill (span >= 0), rounded down.
    [[nodiscard]] constexpr std::uint64_t tokens(std::int64_t span) const noexcept {
        return per_token.divide(static_cast<std::uint64_t>(span));
    }
};

/// The outcome of one request against one bucket: the decision, and the TAT
/// to store if it was allowed.
struct step {
    decision d;
    std::int64_t tat;
};

/// Where a request of `cost` tokens stands at `now` against a bucket whose TAT
/// is `tat`, taking nothing: whether it would be allowed, the tokens there are
/// (rounded down), the time until full, and — if it would be denied — the
/// time until it would not be.
[[nodiscard]] constexpr decision standing(std::int64_t tat, std::int64_t now, std::uint64_t cost,
                                          params const& p) noexcept {
    std::int64_t const owed = tat > now ? tat - now : 0; // time until full
    std::int64_t const owed_after = owed + static_cast<std::int64_t>(cost) * p.interval;
    // After a backward clock step the bucket can owe more than a whole
    // window: no tokens, rather than a negative count.
    std::uint64_t const remaining = owed >= p.window ? 0 : p.tokens(p.window - owed);
    bool const allowed = owed_after <= p.window;
    return decision{allowed, p.capacity, remaining, nanoseconds(owed),
                    nanoseconds(allowed ? 0 : owed_after - p.window)};
}

/// The decision of an allowed request that left the bucket owing `owed_after`
/// ns (0 <= owed_after <= window).
[[nodiscard]] constexpr decision granted(std::int64_t owed_after, params const& p) noexcept {
    return decision{true, p.capacity, p.tokens(p.window - owed_after), nanoseconds(owed_after),
                    nanoseconds(0)};
}

/// Decides a request of `cost` tokens (cost <= capacity: the caller checks)
/// at `now` against a bucket whose TAT is `tat`. When allowed, `remaining`
/// and `reset_after` are those after the request.
[[nodiscard]] constexpr step evaluate(std::int64_t tat, std::int64_t now, std::uint64_t cost,
                                      params const& p) noexcept {
    std::int64_t const base = tat > now ? tat : now;
    std::int64_t const next = base + static_cast<std::int64_t>(cost) * p.interval;
    std::int64_t const owed_after = next - now;
    if (owed_after <= p.window)
        return {granted(owed_after, p), next};
    return {standing(tat, now, cost, p), tat};
}

/// True when the bucket is full at `now`: its state carries no information
/// and may be forgotten.
[[nodiscard]] constexpr bool is_full(std::int64_t tat, std::int64_t now) noexcept {
    return tat <= now;
}

/// Takes `cost` tokens (cost <= capacity: the caller checks) at `now` from the
/// bucket whose TAT is `tat`, lock-free: a load, the arithmetic, and a
/// compare-and-swap, again if another thread moved the TAT in between. Exact
/// under concurrency (see token_bucket.hpp). Relaxed order is enough: the
/// TAT is the only shared datum and the swap orders every update to it. Only
/// what the swap needs is computed before it; the decision's fields come
/// after, off the path that other threads wait on.
[[nodiscard]] inline decision take(std::atomic<std::int64_t>& tat, std::int64_t now,
                                   std::uint64_t cost, params const& p) noexcept {
    auto const inc = static_cast<std::int64_t>(cost) * p.interval;
    std::int64_t seen = tat.load(std::memory_order_relaxed);
    std::int64_t next;
    do {
        next = (seen > now ? seen : now) + inc;
        if (next - now > p.window) [[unlikely]]
            return standing(seen, now, cost, p);
    } while (inc != 0 && !tat.compare_exchange_weak(seen, next, std::memory_order_relaxed));
    return granted(next - now, p);
}

/// The decision of a request of `cost` (at most the policy's max_cost) at
/// `now` against every limit of a policy, all or nothing: granted only if
/// every limit grants it, and then each limit's TAT becomes `next_tat(i)`;
/// denied, it takes from none and reports where each limit stood.
///
/// A store reads each limit's TAT and calls `judge(i, tat)` for every limit;
/// if `allowed()`, it writes each `next_tat(i)` — atomically for all (a
/// Redis script), or one by one by compare-and-swap, judging a limit again
/// from the TAT it found when a swap fails (memory_store). `decision()` is
/// then the answer, with one status per limit in the policy's order.
class all_or_nothing {
public:
    all_or_nothing(policy const& p, std::int64_t now, std::uint64_t cost) noexcept
        : p_(&p)
        , now_(now)
        , cost_(cost)
        , denied_(p.size()) {
        for (std::size_t i = 0; i < p.size(); ++i)
            params_[i] = params::of(p[i]);
    }

    /// Judges limit `i` at TAT `tat` (again, if the store saw it change):
    /// true if that limit grants the request.
    bool judge(std::size_t i, std::int64_t tat) noexcept {
        bool const before = steps_[i].d.allowed;
        seen_[i] = tat;
        steps_[i] = evaluate(tat, now_, cost_, params_[i]);
        bool const grants = steps_[i].d.allowed;
        denied_ = denied_ + before - grants;
        return grants;
    }

    /// True when every limit grants the request, as last judged.
    [[nodiscard]] bool allowed() const noexcept { return denied_ == 0; }

    /// The TAT limit `i` was last judged at.
    [[nodiscard]] std::int64_t seen(std::size_t i) const noexcept { return seen_[i]; }

    /// The TAT to store for limit `i` when the request is granted.
    [[nodiscard]] std::int64_t next_tat(std::size_t i) const noexcept { return steps_[i].tat; }

    [[nodiscard]] policy_decision decision() const noexcept {
        bool const all = allowed();
        policy_decision out;
        for (std::size_t i = 0; i < p_->size(); ++i) {
            // A denied request reports where each limit stood, nothing
            // taken: a limit that would have granted it is reported at the
            // TAT it was judged at (a denying one already is).
            auto const& s = steps_[i];
            out.add(status_of(
                (*p_)[i], all || !s.d.allowed ? s.d : standing(seen_[i], now_, cost_, params_[i])));
        }
        out.summarize();
        return out;
    }

private:
    policy const* p_;
    std::int64_t now_;
    std::uint64_t cost_;
    std::size_t denied_; // limits not yet judged, or judged to deny
    // Only the first p_->size() of each are used; a step starts denied.
    std::array<params, max_limits> params_;
    std::array<std::int64_t, max_limits> seen_;
    std::array<step, max_limits> steps_;
};

} // namespace apikit::ratelimit::gcra

#endif
