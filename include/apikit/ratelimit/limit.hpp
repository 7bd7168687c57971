#ifndef APIKIT_RATELIMIT_LIMIT_HPP
#define APIKIT_RATELIMIT_LIMIT_HPP

// What a rate limit is (a named token bucket: a capacity and a refill rate),
// what a set of limits checked together is (a policy), and what a decision
// says back. Every algorithm and every store speaks these types, so the HTTP
// layer writes its headers from any of them the same way.
//
// Time is integer nanoseconds throughout: a refill rate becomes an emission
// interval T (the time one token takes to come back), rounded UP to the next
// nanosecond, so rounding can only make a limit stricter — by less than one
// nanosecond per token — and never drifts.

#include <apikit/core/error.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace apikit::ratelimit {

using std::chrono::nanoseconds;

/// The most limits one policy checks at once (a burst and a daily limit need two).
inline constexpr std::size_t max_limits = 4;

/// The largest window (capacity × emission interval) a limit may span: 2^62 ns,
/// about 146 years. It keeps `now + window` far from overflow for any clock
/// whose epoch is within a century of now.
inline constexpr std::int64_t max_window_ns = std::int64_t{1} << 62;

/// Nanoseconds since a time point's epoch: the one time unit of the stores.
template <class TimePoint>
[[nodiscard]] constexpr std::int64_t to_ns(TimePoint t) noexcept {
    return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

/// A refill rate: `tokens` come back every `per`.
struct rate {
    std::uint64_t tokens;
    nanoseconds per;
};

[[nodiscard]] constexpr rate per_second(std::uint64_t n) noexcept {
    return {n, std::chrono::seconds(1)};
}
[[nodiscard]] constexpr rate per_minute(std::uint64_t n) noexcept {
    return {n, std::chrono::minutes(1)};
}
[[nodiscard]] constexpr rate per_hour(std::uint64_t n) noexcept {
    return {n, std::chrono::hours(1)};
}
[[nodiscard]] constexpr rate per_day(std::uint64_t n) noexcept {
    return {n, std::chrono::hours(24)};
}

namespace detail {

// FNV-1a: only to tell a policy's limit names apart inside one store, never
// over outside input, so it needs no key.
[[nodiscard]] constexpr std::uint64_t name_hash(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// A name is sent to clients as a structured-field String (RFC 8941 §3.3.3):
// printable ASCII only. Quotes and backslashes are escaped when written.
inline void check_name(std::string_view name) {
    if (name.empty())
        throw std::invalid_argument("apikit::ratelimit: a limit needs a name");
    for (char c : name)
        if (c < 0x20 || c > 0x7e)
            throw std::invalid_argument("apikit::ratelimit: a limit name must be printable ASCII");
}

/// Division by a divisor fixed at construction, as a multiply and shifts
/// (Granlund & Montgomery, "Division by invariant integers using
/// multiplication", 1994, §4): a decision divides by the emission interval
/// to count tokens, and a 64-bit hardware division would be the slowest step
/// of a decision. Exact for every 64-bit numerator.
class divider {
public:
    constexpr divider() noexcept = default;

    constexpr explicit divider(std::uint64_t d) noexcept {
        __extension__ using u128 = unsigned __int128;
        // l = ceil(log2 d); m = floor(2^64 (2^l - d) / d) + 1.
        unsigned l = 0;
        while (l < 64 && (std::uint64_t{1} << l) < d)
            ++l;
        u128 const two_l = u128(1) << l;
        multiplier_ = static_cast<std::uint64_t>(((two_l - d) << 64) / d + 1);
        shift1_ = l < 1 ? 0 : 1;
        shift2_ = l < 1 ? 0 : static_cast<unsigned char>(l - 1);
    }

    [[nodiscard]] constexpr std::uint64_t divide(std::uint64_t n) const noexcept {
        __extension__ using u128 = unsigned __int128;
        auto const t = static_cast<std::uint64_t>((u128(multiplier_) * n) >> 64);
        return (t + ((n - t) >> shift1_)) >> shift2_;
    }

private:
    std::uint64_t multiplier_ = 1;
    unsigned char shift1_ = 0;
    unsigned char shift2_ = 0;
};

} // namespace detail

/// One limit: a token bucket of `capacity` tokens refilled at `refill`. The
/// reference configuration is `limit{"default", 100, per_second(10)}`. A
/// "daily" limit is the same bucket with a slow refill
/// (`limit{"daily", 10'000, per_day(10'000)}`): it refills continuously, a
/// rolling day rather than a calendar one.
class limit {
public:
    /// Throws std::invalid_argument on a configuration no request could use:
    /// zero capacity, a zero rate, a name that cannot be sent in a header, or
    /// a window longer than `max_window_ns`.
    limit(std::string name, std::uint64_t capacity, rate refill) : name_(std::move(name)) {
        detail::check_name(name_);
        if (capacity == 0)
            throw std::invalid_argument(
                "apikit::ratelimit: a limit needs a capacity of at least 1");
        if (refill.tokens == 0 || refill.per.count() <= 0)
            throw std::invalid_argument("apikit::ratelimit: a limit needs a positive refill rate");
        auto const per = static_cast<std::uint64_t>(refill.per.count());
        // Rounded up: the limiter may grant a hair less than configured, never more.
        auto const interval = per / refill.tokens + (per % refill.tokens != 0);
        if (interval > static_cast<std::uint64_t>(max_window_ns) / capacity)
            throw std::invalid_argument("apikit::ratelimit: a limit's window exceeds 2^62 ns");
        capacity_ = capacity;
        interval_ = static_cast<std::int64_t>(interval);
        window_ = static_cast<std::int64_t>(interval * capacity);
        name_hash_ = detail::name_hash(name_);
        per_token_ = detail::divider(interval);
    }

    [[nodiscard]] std::string_view name() const noexcept { return name_; }
    /// The most tokens the bucket holds, hence the most one request may cost.
    [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
    /// T: the time one token takes to come back.
    [[nodiscard]] nanoseconds emission_interval() const noexcept { return nanoseconds(interval_); }
    /// capacity × T: the time an empty bucket takes to fill; the `w` of
    /// `RateLimit-Policy`.
    [[nodiscard]] nanoseconds window() const noexcept { return nanoseconds(window_); }
    /// True when a request of `cost` can ever be granted.
    [[nodiscard]] bool admits(std::uint64_t cost) const noexcept { return cost <= capacity_; }
    [[nodiscard]] std::uint64_t name_hash() const noexcept { return name_hash_; }
    /// Divides by the emission interval: whole tokens in a span of time.
    [[nodiscard]] detail::divider const& per_token() const noexcept { return per_token_; }

    friend bool operator==(limit const& a, limit const& b) noexcept {
        return a.name_ == b.name_ && a.capacity_ == b.capacity_ && a.interval_ == b.interval_;
    }

private:
    std::string name_;
    std::uint64_t capacity_ = 0;
    std::int64_t interval_ = 0;
    std::int64_t window_ = 0;
    std::uint64_t name_hash_ = 0;
    detail::divider per_token_;
};

/// The limits one decision checks together, all or nothing: a request is
/// granted only if every limit grants it, and a denied request consumes from
/// none. Immutable once built; a running limiter swaps whole policies.
class policy {
public:
    /// Throws std::invalid_argument unless there are 1 to `max_limits` limits
    /// with distinct names.
    policy(std::initializer_list<limit> limits) : policy(std::vector<limit>(limits)) {}

    explicit policy(std::vector<limit> limits) : limits_(std::move(limits)) {
        if (limits_.empty() || limits_.size() > max_limits)
            throw std::invalid_argument("apikit::ratelimit: a policy holds 1 to 4 limits");
        for (std::size_t i = 0; i < limits_.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                // A store keys each limit's state by its name's hash: two
                // names with one hash would share a bucket.
                if (limits_[i].name_hash() == limits_[j].name_hash())
                    throw std::invalid_argument(
                        "apikit::ratelimit: the limits of a policy need distinct names");
        max_cost_ = limits_[0].capacity();
        for (auto const& l : limits_)
            max_cost_ = std::min(max_cost_, l.capacity());
    }

    [[nodiscard]] std::span<limit const> limits() const noexcept { return limits_; }
    [[nodiscard]] std::size_t size() const noexcept { return limits_.size(); }
    [[nodiscard]] limit const& operator[](std::size_t i) const noexcept { return limits_[i]; }
    /// The largest cost every limit can grant.
    [[nodiscard]] std::uint64_t max_cost() const noexcept { return max_cost_; }

    friend bool operator==(policy const& a, policy const& b) noexcept {
        return a.limits_ == b.limits_;
    }

private:
    std::vector<limit> limits_;
    std::uint64_t max_cost_ = 0;
};

/// What one limit says about one request.
struct decision {
    bool allowed = false;
    /// The capacity: the most the limit ever grants (`X-RateLimit-Limit`).
    std::uint64_t limit = 0;
    /// Tokens left, rounded down: after this request when it was allowed,
    /// right now when it was denied.
    std::uint64_t remaining = 0;
    /// Until the limit is back to its full capacity if nothing more is asked.
    nanoseconds reset_after{0};
    /// When denied: until the same request would be allowed. Zero when allowed.
    nanoseconds retry_after{0};

    explicit operator bool() const noexcept { return allowed; }
    friend bool operator==(decision const&, decision const&) = default;
};

/// A decision of one named limit, as the `RateLimit` header lists it.
struct limit_status : decision {
    std::string_view name;
    /// The limit's window: the `w` of `RateLimit-Policy`.
    nanoseconds window{0};
};

/// The status of limit `l` in decision `d`: what every store reports per limit.
[[nodiscard]] inline limit_status status_of(limit const& l, decision const& d) noexcept {
    limit_status s;
    static_cast<decision&>(s) = d;
    s.name = l.name();
    s.window = l.window();
    return s;
}

/// The decision of a whole policy. Its own fields are those of the binding
/// limit: when allowed, the one with the fewest tokens left; when denied, the
/// one that makes the caller wait longest. `limits()` has one status per
/// limit of the policy, in its order; names refer to the policy's limits,
/// which outlive the decision (see quota_table).
class policy_decision : public decision {
public:
    // The statuses live in raw storage that only add() writes: a decision is
    // built on every request, and clearing room for four statuses it does
    // not use would cost more than the decision itself.
    policy_decision() noexcept {}

    [[nodiscard]] std::span<limit_status const> limits() const noexcept { return {data(), count_}; }

    /// Appends the status of the policy's next limit; at most `max_limits`.
    void add(limit_status const& s) noexcept { ::new (data() + count_++) limit_status(s); }

    /// Sets the summary from the statuses added so far.
    void summarize() noexcept {
        auto const* st = data();
        bool all = true;
        for (std::size_t i = 0; i < count_; ++i)
            all = all && st[i].allowed;
        limit_status const* bind = nullptr;
        for (std::size_t i = 0; i < count_; ++i) {
            auto const& s = st[i];
            if (bind == nullptr)
                bind = &s;
            else if (all ? s.remaining < bind->remaining ||
                               (s.remaining == bind->remaining && s.reset_after > bind->reset_after)
                         : s.retry_after > bind->retry_after)
                bind = &s;
        }
        if (bind != nullptr)
            static_cast<decision&>(*this) =
                decision{all, bind->limit, bind->remaining, bind->reset_after, bind->retry_after};
        else
            allowed = true;
    }

private:
    static_assert(std::is_trivially_copyable_v<limit_status> &&
                      std::is_trivially_destructible_v<limit_status>,
                  "a status is copied as bytes");

    [[nodiscard]] limit_status* data() noexcept {
        return std::launder(reinterpret_cast<limit_status*>(storage_));
    }
    [[nodiscard]] limit_status const* data() const noexcept {
        return std::launder(reinterpret_cast<limit_status const*>(storage_));
    }

    std::size_t count_ = 0;
    alignas(limit_status) unsigned char storage_[sizeof(limit_status) * max_limits];
};

} // namespace apikit::ratelimit

#endif
