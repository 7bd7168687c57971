#ifndef APIKIT_RATELIMIT_SLIDING_WINDOW_HPP
#define APIKIT_RATELIMIT_SLIDING_WINDOW_HPP

// The sliding window: at most `limit` tokens in any window of `window`
// (reference: 100 requests per minute), in two policies.
//
// sliding_log — exact. Each key keeps the times of its last `limit` tokens in
// a ring; a request is allowed when the tokens still inside (now - window,
// now] plus its cost fit. Memory per key is bounded: 32 bytes and a ring of
// 8 bytes × limit, allocated at the key's first request.
//
// sliding_counter — the approximation (Cloudflare's, nginx's): two fixed
// windows' counts, the previous one weighted by the part of it still inside
// the sliding window: estimate = prev × (window - elapsed) / window + curr.
// 32 bytes per key (with its tag) whatever the limit. It assumes the previous window's
// requests were spread evenly; on bursty traffic it errs both ways, by an
// amount measured against the log in tests/ratelimit/sliding_window_test.cpp
// and written in docs/ratelimit.md.
//
// Both are pure per-key states in integer nanoseconds that model
// `window_algorithm`, kept per key by sliding_window<Algorithm> in an
// apikit::sharded_table (core/sharded_table.hpp), sharded and bounded like
// memory_store (a mutex per shard: a window's state is more than one word);
// a key whose window is empty again carries nothing and is dropped first. A clock that steps
// back never lets more through: the log keeps its times in order by recording
// max(now, last) and counts every time later than now - window; the counter
// treats an earlier `now` as the start of the newest window seen, where the
// estimate is highest.

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/sharded_table.hpp>
#include <apikit/core/siphash.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/token_bucket.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::ratelimit {

/// `limit` tokens per `window`.
class window_limit {
public:
    /// Throws std::invalid_argument for an empty or unprintable name, a limit
    /// of 0 or above 2^32 - 1, or a window that is not positive or exceeds
    /// `max_window_ns`.
    window_limit(std::string name, std::uint64_t limit, nanoseconds window)
        : name_(std::move(name))
        , limit_(limit)
        , window_(window.count()) {
        detail::check_name(name_);
        if (limit == 0 || limit > std::numeric_limits<std::uint32_t>::max())
            throw std::invalid_argument("apikit::ratelimit: a window limit is 1 to 2^32 - 1");
        if (window_ <= 0 || window_ > max_window_ns)
            throw std::invalid_argument("apikit::ratelimit: a window must be positive and at "
                                        "most 2^62 ns");
    }

    [[nodiscard]] std::string_view name() const noexcept { return name_; }
    [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }
    [[nodiscard]] nanoseconds window() const noexcept { return nanoseconds(window_); }
    [[nodiscard]] std::int64_t window_ns() const noexcept { return window_; }
    [[nodiscard]] bool admits(std::uint64_t cost) const noexcept { return cost <= limit_; }

private:
    std::string name_;
    std::uint64_t limit_;
    std::int64_t window_;
};

/// A sliding-window algorithm: the state of one key's window. `A::check(l)`
/// throws std::invalid_argument for a limit the algorithm cannot hold (called
/// once, when the sliding_window is built). `a.try_acquire(now, cost, l)`
/// decides `cost` tokens (cost <= l.limit(): the caller checks) at `now` (ns)
/// and records them when allowed. `a.idle_at()` is the instant from which
/// the state carries nothing (the window is empty), `a.reset()` returns it
/// to a key never seen — a default-constructed state — and a state moves
/// without throwing (the table moves entries as it grows).
template <class A>
concept window_algorithm = std::default_initializable<A> && std::is_nothrow_move_assignable_v<A> &&
    requires(A& a, A const& c, window_limit const& l, std::int64_t now, std::uint64_t cost) {
    A::check(l);
    { a.try_acquire(now, cost, l) } -> std::same_as<decision>;
    { c.idle_at() }
    noexcept->std::same_as<std::int64_t>;
    { a.reset() }
    noexcept;
};

/// The exact sliding log of one key.
class sliding_log {
public:
    /// The largest limit the log accepts: its ring costs 8 bytes per token.
    static constexpr std::uint64_t max_limit = 65536;

    static void check(window_limit const& l) {
        if (l.limit() > max_limit)
            throw std::invalid_argument("apikit::ratelimit: a sliding log holds at most 65536 "
                                        "tokens per key; use sliding_counter");
    }

    /// Decides `cost` tokens (cost <= limit: the caller checks) at `now`.
    [[nodiscard]] decision try_acquire(std::int64_t now, std::uint64_t cost,
                                       window_limit const& l) {
        auto const cap = static_cast<std::uint32_t>(l.limit());
        if (!ring_)
            ring_ = std::make_unique<std::int64_t[]>(cap);
        auto const w = l.window_ns();
        // Times are in order, so the expired ones are at the front.
        while (count_ > 0 && ring_[head_] <= now - w) {
            head_ = head_ + 1 == cap ? 0 : head_ + 1;
            --count_;
        }
        decision d{false, l.limit(), 0, nanoseconds(0), nanoseconds(0)};
        if (count_ + cost <= cap) {
            auto const t = count_ > 0 ? std::max(now, back(cap)) : now;
            for (std::uint64_t i = 0; i < cost; ++i) {
                auto const tail = head_ + count_ < cap ? head_ + count_ : head_ + count_ - cap;
                ring_[tail] = t;
                ++count_;
            }
            d.allowed = true;
            d.remaining = cap - count_;
        } else {
            d.remaining = cap - count_;
            // The (count + cost - limit)-th oldest time must leave the window.
            auto const k = count_ + cost - cap - 1;
            auto const at = head_ + k < cap ? head_ + k : head_ + k - cap;
            d.retry_after = nanoseconds(ring_[at] + w - now);
        }
        idle_at_ = count_ > 0 ? back(cap) + w : std::numeric_limits<std::int64_t>::min();
        d.reset_after = nanoseconds(count_ > 0 ? idle_at_ - now : 0);
        if (d.reset_after.count() < 0)
            d.reset_after = nanoseconds(0);
        return d;
    }

    /// The instant from which the log is empty.
    [[nodiscard]] std::int64_t idle_at() const noexcept { return idle_at_; }
    [[nodiscard]] std::size_t count() const noexcept { return count_; }

    void reset() noexcept {
        ring_.reset();
        head_ = count_ = 0;
        idle_at_ = std::numeric_limits<std::int64_t>::min();
    }

private:
    [[nodiscard]] std::int64_t back(std::uint32_t cap) const noexcept {
        auto const last = head_ + count_ - 1;
        return ring_[last < cap ? last : last - cap];
    }

    std::unique_ptr<std::int64_t[]> ring_;
    std::uint32_t head_ = 0;
    std::uint32_t count_ = 0;
    std::int64_t idle_at_ = std::numeric_limits<std::int64_t>::min();
};

/// The sliding-window counter of one key: two fixed windows, weighted.
class sliding_counter {
public:
    static void check(window_limit const&) noexcept {}

    [[nodiscard]] decision try_acquire(std::int64_t now, std::uint64_t cost,
                                       window_limit const& l) noexcept {
        __extension__ using u128 = unsigned __int128;
        auto const w = l.window_ns();
        auto const lim = l.limit();
        std::int64_t i = now / w - (now % w < 0 ? 1 : 0); // floor
        std::int64_t elapsed = now - i * w;
        bool const started = idle_at_ != never;
        if (started && i < index_) {
            // The clock stepped back: judge at the start of the newest window
            // seen, where the previous window weighs most.
            i = index_;
            elapsed = 0;
        }
        if (!started || i > index_) {
            prev_ = started && i == index_ + 1 ? curr_ : 0;
            curr_ = 0;
            index_ = i;
        }
        auto const rest = static_cast<std::uint64_t>(w - elapsed); // (0, w]
        auto const uw = static_cast<std::uint64_t>(w);
        // estimate × w, exactly: prev × (w - elapsed) + curr × w.
        auto const weighted = u128(prev_) * rest + u128(curr_) * uw;
        decision d{false, lim, 0, nanoseconds(0), nanoseconds(0)};
        if (weighted + u128(cost) * uw <= u128(lim) * uw) {
            curr_ += static_cast<std::uint32_t>(cost);
            d.allowed = true;
            d.remaining =
                static_cast<std::uint64_t>((u128(lim) * uw - weighted - u128(cost) * uw) / uw);
        } else {
            d.remaining = weighted >= u128(lim) * uw
                              ? 0
                              : static_cast<std::uint64_t>((u128(lim) * uw - weighted) / uw);
            d.retry_after = nanoseconds(retry_after(rest, uw, lim, cost));
        }
        d.reset_after = nanoseconds(curr_ > 0   ? static_cast<std::int64_t>(rest + uw)
                                    : prev_ > 0 ? static_cast<std::int64_t>(rest)
                                                : 0);
        idle_at_ = (index_ + 2) * w;
        return d;
    }

    /// The instant from which both windows are empty.
    [[nodiscard]] std::int64_t idle_at() const noexcept { return idle_at_; }

    void reset() noexcept {
        prev_ = curr_ = 0;
        index_ = 0;
        idle_at_ = never;
    }

private:
    // idle_at_ of a counter that has seen no request.
    static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::min();

    // The least wait after which `cost` fits. Inside the current window the
    // previous one's weight shrinks; failing that, at the next boundary the
    // current count becomes the weighted one.
    [[nodiscard]] std::int64_t retry_after(std::uint64_t rest, std::uint64_t w, std::uint64_t lim,
                                           std::uint64_t cost) const noexcept {
        __extension__ using u128 = unsigned __int128;
        if (prev_ > 0 && lim >= curr_ + cost) {
            // Need prev × (rest - dt) <= (lim - curr - cost) × w.
            auto const room = static_cast<std::uint64_t>(u128(lim - curr_ - cost) * w / prev_);
            if (room < rest)
                return static_cast<std::int64_t>(rest - room);
        }
        // In the next window: curr × (w - e) <= (lim - cost) × w.
        std::uint64_t e = 0;
        if (curr_ > 0) {
            auto const room = static_cast<std::uint64_t>(u128(lim - cost) * w / curr_);
            e = room >= w ? 0 : w - room;
        }
        return static_cast<std::int64_t>(rest + e);
    }

    std::int64_t index_ = 0; // the current fixed window: floor(now / window)
    std::int64_t idle_at_ = never;
    std::uint32_t prev_ = 0;
    std::uint32_t curr_ = 0;
};

struct sliding_window_options {
    /// The most keys held at once, rounded up per shard.
    std::size_t max_keys = std::size_t{1} << 16;
    /// A power of two.
    std::size_t shards = 64;
    siphash_key hash_key = siphash_key::random();
};

namespace detail {

template <class Algorithm>
struct window_entry {
    std::uint64_t tag = 0;
    Algorithm state;

    std::int64_t idle_at() const noexcept { return state.idle_at(); }
    void reset() noexcept { state.reset(); }
    void move_from(window_entry& o) noexcept {
        tag = o.tag;
        state = std::move(o.state);
        o.state.reset();
    }
};

} // namespace detail

/// A per-key sliding window: `Algorithm` is sliding_log or sliding_counter.
template <class Algorithm, class Clock = apikit::steady_clock>
class sliding_window {
    static_assert(window_algorithm<Algorithm>, "apikit::ratelimit::sliding_window's Algorithm "
                                               "must model apikit::ratelimit::window_algorithm");
    static_assert(apikit::clock<Clock>,
                  "apikit::ratelimit::sliding_window's Clock must model apikit::clock");

public:
    using options = sliding_window_options;
    using time_point = typename Clock::time_point;

    /// Throws std::invalid_argument for a bad `shards` or a limit the
    /// algorithm cannot hold.
    explicit sliding_window(window_limit l, options o = {}, Clock clock = Clock{})
        : limit_(checked(std::move(l)))
        , key_(o.hash_key)
        , clock_(std::move(clock))
        , table_(o.max_keys, o.shards) {}

    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key,
                                                      std::uint64_t cost = 1) {
        return try_acquire(key, cost, clock_.now());
    }

    /// Takes `cost` tokens for `key` at `now`, or says when to retry.
    /// `errc::cost_exceeds_capacity` for a cost above the limit.
    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key, std::uint64_t cost,
                                                      time_point now) {
        if (!limit_.admits(cost)) [[unlikely]]
            return errc::cost_exceeds_capacity;
        auto const h = siphash13(key_, key);
        auto const t = to_ns(now);
        auto const d = table_.find_or_insert(
            h, table_tag(h), t, [&](entry& e) { return e.state.try_acquire(t, cost, limit_); });
        policy_decision out;
        limit_status s;
        static_cast<decision&>(s) = d;
        s.name = limit_.name();
        s.window = limit_.window();
        out.add(s);
        out.summarize();
        return out;
    }

    [[nodiscard]] window_limit const& get_limit() const noexcept { return limit_; }

    /// Keys held now.
    [[nodiscard]] std::size_t size() const { return table_.size(); }

    /// The most keys ever held: the bound after rounding.
    [[nodiscard]] std::size_t max_keys() const noexcept { return table_.max_entries(); }

private:
    using entry = detail::window_entry<Algorithm>;

    [[nodiscard]] static window_limit checked(window_limit l) {
        Algorithm::check(l);
        return l;
    }

    window_limit limit_;
    siphash_key key_;
    [[no_unique_address]] Clock clock_;
    sharded_table<entry> table_;
};

} // namespace apikit::ratelimit

#endif
