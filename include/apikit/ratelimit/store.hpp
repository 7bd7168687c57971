#ifndef APIKIT_RATELIMIT_STORE_HPP
#define APIKIT_RATELIMIT_STORE_HPP

// Where the limiter keeps its per-key state: the `ratelimit::store` concept.
// A store decides one request against a whole policy atomically (all limits
// or none) and reports through a completion handler, so the same concept fits
// a store that answers at once (memory_store calls the handler before
// returning) and one that answers after a round trip (a Redis store calls it
// later, from its executor). An Asio completion handler with the signature
// void(error_code, policy_decision) is such a handler, so an Asio-based store
// can take completion tokens and still model this concept; the concept itself
// needs no Asio.
//
// A store that can also answer synchronously models `sync_store`; the
// limiter's blocking `try_acquire` needs one.

#include <apikit/core/error.hpp>
#include <apikit/ratelimit/limit.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string_view>

namespace apikit::ratelimit {

namespace detail {

// The least a store may assume of a completion handler: callable once with
// the outcome, movable.
struct acquire_handler_archetype {
    acquire_handler_archetype() = default;
    acquire_handler_archetype(acquire_handler_archetype&&) = default;
    acquire_handler_archetype& operator=(acquire_handler_archetype&&) = default;
    void operator()(boost::system::error_code, policy_decision) && {}
};

} // namespace detail

/// A store of per-key limit state.
///
/// `s.async_acquire(key, policy, cost, now, handler)` decides a request of
/// `cost` tokens by `key` against every limit of `policy` at `now`
/// (nanoseconds since the limiter's clock epoch), takes the tokens from all
/// limits or from none, and calls `handler(ec, decision)` exactly once:
/// `ec` is `errc::cost_exceeds_capacity` when some limit could never grant
/// `cost`, or a store failure; a denial is not an error (`!decision.allowed`).
/// The store copies `key` before it returns; `policy` must outlive the call
/// (a quota_table keeps every policy it handed out alive).
template <class S>
concept store = requires(S& s, std::string_view key, policy const& p, std::uint64_t cost,
                         std::chrono::nanoseconds now, detail::acquire_handler_archetype h) {
    s.async_acquire(key, p, cost, now, std::move(h));
};

/// A store that can also decide synchronously.
template <class S>
concept sync_store = store<S> && requires(S& s, std::string_view key, policy const& p,
                                          std::uint64_t cost, std::chrono::nanoseconds now) {
    { s.try_acquire(key, p, cost, now) } -> std::same_as<result<policy_decision>>;
};

} // namespace apikit::ratelimit

#endif
