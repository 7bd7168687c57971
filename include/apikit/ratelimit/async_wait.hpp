#ifndef APIKIT_RATELIMIT_ASYNC_WAIT_HPP
#define APIKIT_RATELIMIT_ASYNC_WAIT_HPP

// Queue rather than be refused: an Asio operation that takes the tokens as
// soon as the limit allows, waiting on a timer in between. This header is the
// only one of apikit::ratelimit that includes Asio; the core headers stay free
// of it.
//
//     co_await ratelimit::async_acquire_wait(lim, timer, "user_123", 1, {},
//                                            asio::use_awaitable);
//
// The operation decides at once; if denied it sleeps for the decision's
// retry_after (plus optional random jitter, so that waiters told the same
// instant do not all wake together) and decides again, until it is granted.
// It never completes inside the initiating call. Cancellation: timer.cancel()
// or a cancellation slot bound to the token (terminal, partial and total all
// stop it) complete it with asio::error::operation_aborted, nothing taken.

#include <apikit/core/error.hpp>
#include <apikit/core/random.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/store.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace apikit::ratelimit {

struct wait_options {
    /// Give up at once, with `errc::rate_limited` and the decision, when the
    /// limiter asks for a longer wait than this: a queue that long serves
    /// nobody.
    nanoseconds max_wait = std::chrono::seconds(30);
    /// Up to this much extra sleep, drawn at random on each wait.
    nanoseconds jitter{0};
};

namespace detail {

template <class Limiter, class Timer>
struct wait_op {
    Limiter& limiter;
    Timer& timer;
    std::string key;
    std::uint64_t cost;
    wait_options options;
    bool started = false;

    // Entered first from the initiation, then after the post.
    template <class Self>
    void operator()(Self& self) {
        if (!started) {
            started = true;
            // A waiter holds nothing, so any kind of cancellation may stop it.
            self.reset_cancellation_state(boost::asio::enable_total_cancellation());
            boost::asio::post(timer.get_executor(), std::move(self));
            return;
        }
        decide(self);
    }

    // Entered when the timer fires or is cancelled.
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {
        if (ec)
            return self.complete(ec, policy_decision{});
        decide(self);
    }

    template <class Self>
    void decide(Self& self) {
        if (self.cancelled() != boost::asio::cancellation_type::none)
            return self.complete(boost::asio::error::operation_aborted, policy_decision{});
        auto r = limiter.try_acquire(key, cost);
        if (!r)
            return self.complete(r.error(), policy_decision{});
        if (r->allowed)
            return self.complete(boost::system::error_code{}, *r);
        if (r->retry_after > options.max_wait)
            return self.complete(make_error_code(errc::rate_limited), *r);
        auto wait = r->retry_after;
        if (options.jitter.count() > 0) {
            std::uint64_t x;
            random_bytes(&x, sizeof x);
            wait += nanoseconds(static_cast<std::int64_t>(
                x % (static_cast<std::uint64_t>(options.jitter.count()) + 1)));
        }
        // Rounded up to the timer's tick: waking early would only deny again.
        timer.expires_after(std::chrono::ceil<typename Timer::duration>(wait));
        timer.async_wait(std::move(self));
    }
};

} // namespace detail

/// Waits until `key` may take `cost` tokens from `limiter` (whose store must
/// answer synchronously), then takes them. Completes with
/// void(error_code, policy_decision): success and the granted decision;
/// `errc::cost_exceeds_capacity`; `errc::rate_limited` with the denial when
/// it would wait longer than `options.max_wait`; or
/// `asio::error::operation_aborted` when cancelled. `limiter` and `timer`
/// must outlive the operation; `timer` must not be used by anything else
/// meanwhile.
template <class Limiter, class Timer, class CompletionToken>
auto async_acquire_wait(Limiter& limiter, Timer& timer, std::string key, std::uint64_t cost,
                        wait_options options, CompletionToken&& token) {
    static_assert(sync_store<typename Limiter::store_type>,
                  "async_acquire_wait needs a limiter whose store models ratelimit::sync_store");
    return boost::asio::async_compose<CompletionToken,
                                      void(boost::system::error_code, policy_decision)>(
        detail::wait_op<Limiter, Timer>{limiter, timer, std::move(key), cost, options}, token,
        timer);
}

} // namespace apikit::ratelimit

#endif
