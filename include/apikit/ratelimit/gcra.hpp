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

#include <apikit/ratelimit/limit.hpp>

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

    static params of(limit const& l) noexcept {
        return {l.emission_interval().count(), l.window().count(), l.capacity(), l.per_token()};
    }

    /// Whole tokens in `span` ns of refill (span >= 0), rounded down.
    constexpr std::uint64_t tokens(std::int64_t span) const noexcept {
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
constexpr decision standing(std::int64_t tat, std::int64_t now, std::uint64_t cost,
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
constexpr decision granted(std::int64_t owed_after, params const& p) noexcept {
    return decision{true, p.capacity, p.tokens(p.window - owed_after), nanoseconds(owed_after),
                    nanoseconds(0)};
}

/// Decides a request of `cost` tokens (cost <= capacity: the caller checks)
/// at `now` against a bucket whose TAT is `tat`. When allowed, `remaining`
/// and `reset_after` are those after the request.
constexpr step evaluate(std::int64_t tat, std::int64_t now, std::uint64_t cost,
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
constexpr bool is_full(std::int64_t tat, std::int64_t now) noexcept {
    return tat <= now;
}

} // namespace apikit::ratelimit::gcra

#endif
