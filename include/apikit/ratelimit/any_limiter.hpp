#ifndef APIKIT_RATELIMIT_ANY_LIMITER_HPP
#define APIKIT_RATELIMIT_ANY_LIMITER_HPP

// A limiter whose store is chosen at run time: one type for a
// `limiter<memory_store>`, a `limiter<redis_store>`, any other limiter on the
// same clock, or none at all.
//
//     ratelimit::any_limiter lim;                       // limits nothing
//     if (redis)
//         lim =
//         ratelimit::any_limiter(std::in_place_type<ratelimit::limiter<ratelimit::redis_store>>,
//                                      policy, apikit::steady_clock{}, *redis);
//     else
//         lim = ratelimit::any_limiter(std::in_place_type<ratelimit::limiter<>>, policy);
//     http::chain chain{http::request_id{}, ratelimit::middleware{lim}, std::move(app)};
//
// Why. A service picks its store from its configuration — this process's
// memory for one instance, Redis for several — and everything templated on
// the limiter (the middleware, the chain, the server) would otherwise be
// compiled once per store, and once per combination with every other
// area's backend. Erased here, they are compiled once, and a store adds one
// instantiation of its own limiter.
//
// Cost. Over a synchronous store (memory_store) `synchronous()` is true and
// `try_acquire` is one indirect call to the limiter's own, with no
// allocation: the middleware decides in `on_request`, without suspending,
// exactly as with the limiter itself. Over a store that answers after a round
// trip (redis_store), `async_acquire` erases the handler into an
// asio::any_completion_handler — one allocation per decision, through the
// handler's associated allocator — and keeps the handler's associated
// executor, allocator and cancellation slot, so the handler runs where it
// asked to (the middleware's: on the connection's executor).
//
// Time. Every limiter behind a `basic_any_limiter<Clock>` runs on `Clock`,
// and decides at the time point given. A Redis store with
// `time_source::client` needs the system clock (one epoch for every
// process): `basic_any_limiter<std::chrono::system_clock>`; with
// `time_source::server` Redis uses its own clock and any `Clock` serves.
//
// Threads and failures are those of the limiter inside: the erasure adds no
// lock and no error of its own. An empty any_limiter (default-constructed,
// or moved from) limits nothing — the rate-limit middleware lets every
// request through, without headers — and must not be asked to decide.
//
// This header reaches Asio (any_completion_handler), so it is not in the
// Beast- and Asio-free `<apikit/ratelimit.hpp>`; it does not reach Beast.

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/store.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

#include <cassert>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::ratelimit {

template <class Clock = apikit::steady_clock>
class basic_any_limiter {
    static_assert(apikit::clock<Clock>,
                  "apikit::ratelimit::basic_any_limiter's Clock must model apikit::clock");

public:
    using clock_type = Clock;
    using time_point = typename Clock::time_point;
    /// What an asynchronous limiter's handler is erased into.
    using handler_type =
        boost::asio::any_completion_handler<void(boost::system::error_code, policy_decision)>;

    /// Limits nothing.
    basic_any_limiter() noexcept = default;

    /// Owns a `limiter<Store, Clock, Quota>` built from `args` (the
    /// limiter's own constructor arguments).
    template <class Store, class Quota, class... Args>
    explicit basic_any_limiter(std::in_place_type_t<limiter<Store, Clock, Quota>>, Args&&... args)
        : limiter_(new limiter<Store, Clock, Quota>(std::forward<Args>(args)...))
        , ops_(&ops_for<limiter<Store, Clock, Quota>>) {}

    basic_any_limiter(basic_any_limiter&& o) noexcept
        : limiter_(std::exchange(o.limiter_, nullptr))
        , ops_(std::exchange(o.ops_, nullptr)) {}

    basic_any_limiter& operator=(basic_any_limiter&& o) noexcept {
        if (this != &o) {
            reset();
            limiter_ = std::exchange(o.limiter_, nullptr);
            ops_ = std::exchange(o.ops_, nullptr);
        }
        return *this;
    }

    ~basic_any_limiter() { reset(); }

    /// True when there is a limiter; an empty any_limiter limits nothing.
    [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }

    /// True when the limiter decides within try_acquire (its store is a
    /// `sync_store`); false when it answers only through async_acquire.
    /// Constant for the limiter's lifetime. Requires a limiter.
    [[nodiscard]] bool synchronous() const noexcept {
        assert(ops_ && "an empty apikit::ratelimit::any_limiter decides nothing");
        return ops_->try_acquire != nullptr;
    }

    /// Takes `cost` tokens for `key` at `now`, as the limiter's own
    /// try_acquire. Requires `synchronous()`: an asynchronous or empty
    /// any_limiter answers errc::internal_error (the caller's bug, not a
    /// denial).
    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key, std::uint64_t cost,
                                                      time_point now) {
        if (!ops_ || !ops_->try_acquire) [[unlikely]]
            return errc::internal_error;
        return ops_->try_acquire(limiter_, key, cost, now);
    }

    /// Decides through `handler(error_code, policy_decision)`, called once:
    /// within this call for a synchronous limiter, else as the store calls
    /// it (the Redis store: later, on the handler's associated executor).
    /// Requires a limiter.
    template <class Handler>
    void async_acquire(std::string_view key, std::uint64_t cost, time_point now,
                       Handler&& handler) {
        assert(ops_ && "an empty apikit::ratelimit::any_limiter decides nothing");
        if (ops_->try_acquire) {
            auto r = ops_->try_acquire(limiter_, key, cost, now);
            if (r)
                std::move(handler)(boost::system::error_code{}, std::move(*r));
            else
                std::move(handler)(r.error(), policy_decision{});
            return;
        }
        ops_->async_acquire(limiter_, key, cost, now, handler_type(std::forward<Handler>(handler)));
    }

    /// The limiter's clock. Requires a limiter.
    [[nodiscard]] Clock const& clock() const noexcept {
        assert(ops_ && "an empty apikit::ratelimit::any_limiter has no clock");
        return ops_->clock(limiter_);
    }

    /// The limiter, when it is an `L`; else null. For what only the concrete
    /// limiter offers: its quotas, its store's counters.
    template <class L>
    [[nodiscard]] L* target() noexcept {
        return ops_ == &ops_for<L> ? static_cast<L*>(limiter_) : nullptr;
    }
    template <class L>
    [[nodiscard]] L const* target() const noexcept {
        return ops_ == &ops_for<L> ? static_cast<L const*>(limiter_) : nullptr;
    }

private:
    // One table per limiter type: its address is also the type's identity
    // for target(), so no RTTI is needed.
    struct operations {
        void (*destroy)(void*) noexcept;
        Clock const& (*clock)(void const*) noexcept;
        /// Null when the store answers only asynchronously.
        result<policy_decision> (*try_acquire)(void*, std::string_view, std::uint64_t, time_point);
        void (*async_acquire)(void*, std::string_view, std::uint64_t, time_point, handler_type);
    };

    template <class L>
    static constexpr operations ops_for{
        [](void* p) noexcept { delete static_cast<L*>(p); },
        [](void const* p) noexcept -> Clock const& { return static_cast<L const*>(p)->clock(); },
        sync_store<typename L::store_type>
            ? +[](void* p, std::string_view key, std::uint64_t cost,
                  time_point now) -> result<policy_decision> {
                  if constexpr (sync_store<typename L::store_type>)
                      return static_cast<L*>(p)->try_acquire(key, cost, now);
                  else
                      return errc::internal_error; // never called: the pointer is null
              }
            : nullptr,
        [](void* p, std::string_view key, std::uint64_t cost, time_point now, handler_type h) {
            static_cast<L*>(p)->async_acquire(key, cost, now, std::move(h));
        },
    };

    void reset() noexcept {
        if (ops_)
            ops_->destroy(limiter_);
        limiter_ = nullptr;
        ops_ = nullptr;
    }

    void* limiter_ = nullptr;
    operations const* ops_ = nullptr;
};

/// The erased limiter on the steady clock, the limiter's default.
using any_limiter = basic_any_limiter<>;

} // namespace apikit::ratelimit

#endif
