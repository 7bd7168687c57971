#ifndef APIKIT_RATELIMIT_MIDDLEWARE_HPP
#define APIKIT_RATELIMIT_MIDDLEWARE_HPP

// The rate-limit middleware: a `ratelimit::limiter` in front of the routes.
//
//     ratelimit::limiter<> limiter{ratelimit::policy{
//         ratelimit::limit{"default", 100, ratelimit::per_second(10)}}};
//     http::chain chain{http::request_id{}, ratelimit::middleware{limiter}, app};
//
// For each request a classifier says whether it is limited, under which key
// and at what cost (by default: every request, keyed by the client address,
// cost 1; `by_subject` keys a request by the user another middleware
// authenticated). An allowed request goes on with the limiter's headers on
// its response (`X-RateLimit-*`, `RateLimit-Policy`, `RateLimit`); a denied
// one is answered at once: 429, an error envelope with code `rate_limited`,
// the same headers and `Retry-After`. A request that costs more than its
// limit could ever grant is a 422 `cost_exceeds_capacity`.
//
// Time. The decision is taken at the instant the request's header was
// complete (`exchange::start_time`) when the limiter runs on the server's
// steady clock, so the middleware reads no clock for it; a limiter on another
// clock (the system clock, shared by processes that share a Redis store) has
// its clock read once. `X-RateLimit-Reset` needs the wall clock: one more read.
//
// Stores. With a store that answers synchronously (`memory_store`) the
// decision is made in `on_request`. With one that answers after a round trip
// (`redis_store`) the exchange is suspended and resumed on the connection's
// executor when the answer comes. When that store cannot answer, it follows
// its outage policy: failing open, it reports an allowed decision with no
// limits — the request goes on, without rate-limit headers, since nothing is
// known; failing closed, it reports an error, answered as 503
// `service_unavailable` with `Retry-After: 1`.
//
// This header is the area's HTTP part: it includes Beast and Asio through
// the HTTP layer, so it is not in the Beast-free `<apikit/ratelimit.hpp>`.

#include <apikit/core/error.hpp>
#include <apikit/core/ipv4_text.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/ratelimit/client_key.hpp>
#include <apikit/ratelimit/headers.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/store.hpp>

#include <boost/asio/bind_executor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::ratelimit {

/// Says whether a request is limited: `c(ex, key)` returns the request's cost
/// and has appended its key to `key` (empty on entry), or returns
/// std::nullopt when the request is not limited at all. `Exchange` is the
/// exchange type of the chain the middleware is in: a classifier that reads
/// a slot (`by_subject`) models the concept only for exchanges that carry it,
/// and says so with `using needs = http::slots<…>`, which the middleware
/// passes on to the chain.
template <class C, class Exchange = http::exchange>
concept request_classifier = requires(C const& c, Exchange const& ex, std::string& key) {
    { c(ex, key) } -> std::same_as<std::optional<std::uint64_t>>;
};

/// The default classifier: every request, cost 1, keyed `ip:<address>` by
/// the client address (`client_ip`: the TCP peer, or behind proxies given as
/// trusted the first untrusted hop of X-Forwarded-For).
class by_client_address {
public:
    by_client_address() = default;
    explicit by_client_address(trusted_proxies proxies, client_ip_options o = {})
        : proxies_(std::move(proxies))
        , options_(o) {}

    [[nodiscard]] std::optional<std::uint64_t> operator()(http::exchange const& ex,
                                                          std::string& key) const {
        key.append("ip:");
        append_address(ex, key);
        return 1;
    }

    /// Appends the client address of `ex` to `out`.
    void append_address(http::exchange const& ex, std::string& out) const {
        auto const peer = ex.remote_endpoint().address();
        // The common case — an IPv4 peer that is no proxy — written straight
        // into the key, without the general path's parse and allocations.
        if (peer.is_v4() && proxies_.empty()) {
            apikit::append_ipv4(out, peer.to_v4().to_bytes().data());
            return;
        }
        ip_address a;
        if (peer.is_v4()) {
            auto const b = peer.to_v4().to_bytes();
            a.bytes[10] = a.bytes[11] = 0xff;
            std::copy(b.begin(), b.end(), a.bytes.begin() + 12);
        } else {
            a.bytes = peer.to_v6().to_bytes();
        }
        std::string joined;
        std::string_view forwarded;
        if (!proxies_.empty() && proxies_.contains(a)) {
            // Every X-Forwarded-For field, joined as one list (RFC 9110 §5.3).
            auto const& msg = ex.request().message();
            auto const range = msg.equal_range("X-Forwarded-For");
            for (auto it = range.first; it != range.second; ++it) {
                if (!joined.empty())
                    joined.push_back(',');
                joined.append(it->value());
            }
            forwarded = joined;
        }
        out.append(client_ip(a, forwarded, proxies_, options_));
    }

private:
    trusted_proxies proxies_;
    client_ip_options options_;
};

static_assert(request_classifier<by_client_address>,
              "apikit::ratelimit::by_client_address must model "
              "apikit::ratelimit::request_classifier");

/// What `by_subject` needs of the slot it reads: who made the request, empty
/// when nobody was authenticated. The authentication area's principal
/// models it.
template <class S>
concept subject_slot = http::slot_type<S> && requires(S const& s) {
    { s.subject() } -> std::convertible_to<std::string_view>;
};

/// Keys a request by the user that an earlier middleware put in the slot
/// `Slot` (`user:<subject>`, cost 1), and a request without one by
/// `Fallback` (by default its client address, `ip:<address>`): each user
/// has a budget of their own wherever they connect from, and anonymous
/// clients share their address's. The chain checks that a middleware
/// providing `Slot` runs before the rate limit.
template <class Slot, class Fallback = by_client_address>
class by_subject {
    static_assert(
        subject_slot<Slot>,
        "apikit::ratelimit::by_subject's Slot must model apikit::ratelimit::subject_slot");

public:
    using needs = http::slots<Slot>;

    by_subject() = default;
    explicit by_subject(Fallback fallback) : fallback_(std::move(fallback)) {}

    // Constrained, so that an exchange without the slot is one this
    // classifier does not model `request_classifier` for.
    template <class Exchange>
    requires http::has_slot<Exchange, Slot> && request_classifier<Fallback, Exchange>
    [[nodiscard]] std::optional<std::uint64_t> operator()(Exchange const& ex,
                                                          std::string& key) const {
        std::string_view const subject = http::slot<Slot>(ex).subject();
        if (subject.empty())
            return fallback_(ex, key);
        key.append("user:");
        key.append(subject);
        return 1;
    }

private:
    Fallback fallback_;
};

/// Limits the requests whose path is `prefix` or lies under it (`/users`
/// covers `/users` and `/users/42/orders`, not `/usersettings`), classified
/// by `Inner` within it.
template <class Inner = by_client_address>
class under_path {
public:
    using needs = http::needs_of_t<Inner>;

    explicit under_path(std::string prefix, Inner inner = Inner{})
        : prefix_(std::move(prefix))
        , inner_(std::move(inner)) {}

    template <class Exchange>
    requires request_classifier<Inner, Exchange>
    [[nodiscard]] std::optional<std::uint64_t> operator()(Exchange const& ex,
                                                          std::string& key) const {
        std::string_view const path = ex.request().path();
        if (!path.starts_with(prefix_) || (path.size() > prefix_.size() &&
                                           path[prefix_.size()] != '/' && !prefix_.ends_with('/')))
            return std::nullopt;
        return inner_(ex, key);
    }

private:
    std::string prefix_;
    Inner inner_;
};

struct middleware_options {
    /// Which header fields a limited response carries.
    header_options headers{};
};

/// The middleware: `Limiter` is a `limiter<Store, Clock, Quota>` (anything
/// with its `async_acquire`, and its `try_acquire` when the store is
/// synchronous), or an `any_limiter`, which says at run time which it is. The
/// limiter is held by reference and must outlive the server. `Classifier`
/// models `request_classifier` for the chain's exchange.
template <class Limiter, class Classifier = by_client_address>
class middleware {
    using clock_type = typename Limiter::clock_type;
    using time_point = typename Limiter::time_point;
    // A limiter whose store is chosen at run time (any_limiter.hpp) says for
    // each request whether it decides at once, and may limit nothing at all.
    static constexpr bool erased = requires(Limiter const& l) {
        { l.synchronous() } -> std::same_as<bool>;
    };
    static constexpr bool synchronous = [] {
        if constexpr (erased)
            return false;
        else
            return sync_store<typename Limiter::store_type>;
    }();
    // A limiter on the server's own clock decides at the request's start
    // time. Only that very clock: a manual clock has the same time_point type
    // but not the same time.
    static constexpr bool on_server_clock = std::is_same_v<clock_type, std::chrono::steady_clock> &&
                                            std::is_same_v<time_point, http::exchange::time_point>;

public:
    /// The slots the classifier reads (none for the default one).
    using needs = http::needs_of_t<Classifier>;

    explicit middleware(Limiter& limiter, Classifier classify = Classifier{},
                        middleware_options o = {})
        : limiter_(&limiter)
        , classify_(std::move(classify))
        , options_(o) {}

    template <class Exchange>
    [[nodiscard]] http::flow on_request(Exchange& ex) const {
        static_assert(request_classifier<Classifier, Exchange>,
                      "apikit::ratelimit::middleware's Classifier must model "
                      "apikit::ratelimit::request_classifier");
        if constexpr (erased) {
            if (!*limiter_)
                return http::flow::next; // an empty any_limiter limits nothing
        }
        // The key is built in a buffer that keeps its capacity: one per
        // thread, since this hook runs on every worker at once and the store
        // copies the key before it returns.
        thread_local std::string key;
        key.clear();
        auto const cost = classify_(std::as_const(ex), key);
        if (!cost)
            return http::flow::next;
        auto const now = decision_time(ex);
        if constexpr (synchronous) {
            auto const d = limiter_->try_acquire(key, *cost, now);
            return d ? apply(ex, *d, now) : refuse(ex, d.error());
        } else {
            if constexpr (erased) {
                if (limiter_->synchronous()) {
                    auto const d = limiter_->try_acquire(key, *cost, now);
                    return d ? apply(ex, *d, now) : refuse(ex, d.error());
                }
            }
            auto resume = ex.suspend();
            http::exchange& base = ex;
            limiter_->async_acquire(
                key, *cost, now,
                boost::asio::bind_executor(
                    ex.executor(), [this, &base, now, resume = std::move(resume)](
                                       boost::system::error_code ec, policy_decision d) mutable {
                        resume(ec ? refuse(base, ec) : apply(base, d, now));
                    }));
            return http::flow::pending;
        }
    }

    [[nodiscard]] Limiter& limiter() const noexcept { return *limiter_; }

private:
    time_point decision_time(http::exchange const& ex) const {
        if constexpr (on_server_clock)
            return ex.start_time();
        else
            return limiter_->clock().now();
    }

    static std::chrono::system_clock::time_point wall_time(time_point now) {
        if constexpr (std::is_same_v<time_point, std::chrono::system_clock::time_point>)
            return now;
        else
            return std::chrono::system_clock::now();
    }

    http::flow apply(http::exchange& ex, policy_decision const& d, time_point now) const {
        // Failing open, a store that could not decide grants with no limits
        // to report: the request goes on, and no header claims to know more.
        if (d.limits().empty()) {
            ex.log_detail("rate limit store unavailable: let through undecided (fail open)");
            return http::flow::next;
        }
        auto& res = ex.response();
        write_headers(
            d, wall_time(now),
            [&res](std::string_view name, std::string_view value) { res.insert(name, value); },
            options_.headers);
        if (d.allowed)
            return http::flow::next;
        auto const wait = retry_after_seconds(d);
        res.error(errc::rate_limited, fmt::format("Too many requests: retry in {} second{}", wait,
                                                  wait == 1 ? "" : "s"));
        return http::flow::respond;
    }

    static http::flow refuse(http::exchange& ex, boost::system::error_code ec) {
        auto& res = ex.response();
        if (ec == errc::cost_exceeds_capacity) {
            res.error(errc::cost_exceeds_capacity,
                      "This request costs more than the rate limit can ever grant");
            return http::flow::respond;
        }
        // The store failed and its policy is to fail closed (or the server is
        // closing it): the client may try again shortly.
        ex.log_detail(fmt::format("rate limit store: {}", ec.message()));
        res.set("Retry-After", "1");
        res.error(errc::service_unavailable, "Rate limiting is unavailable; retry shortly");
        return http::flow::respond;
    }

    Limiter* limiter_;
    Classifier classify_;
    middleware_options options_;
};

} // namespace apikit::ratelimit

#endif
