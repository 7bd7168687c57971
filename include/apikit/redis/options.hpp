#ifndef APIKIT_REDIS_OPTIONS_HPP
#define APIKIT_REDIS_OPTIONS_HPP

// How a redis::connection behaves: where it connects, how long it waits, how
// it backs off between reconnects, and how much it queues. The defaults suit
// a limiter or a cache on the same network as Redis: a decision that cannot
// be made within a second is better made without Redis (the component's
// outage policy) than late.

#include <apikit/redis/url.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace apikit::redis {

/// Exponential backoff with jitter, capped. After n consecutive failed
/// attempts the next waits min(max, initial × multiplier^(n−1)), less a random
/// fraction of up to `jitter` of it — so that many clients that lost one
/// server together do not all come back in the same millisecond. The first
/// reconnect after a working connection broke waits nothing (n = 0): a
/// server restart or a killed connection costs one round trip, not a delay.
struct backoff {
    std::chrono::nanoseconds initial = std::chrono::milliseconds(100);
    std::chrono::nanoseconds max = std::chrono::seconds(5);
    double multiplier = 2.0;
    /// 0: no jitter; 0.5: "equal jitter", between half and all of the delay;
    /// 1: "full jitter", anywhere from zero to the delay.
    double jitter = 0.5;

    /// The wait before the next attempt after `failures` consecutive failed
    /// ones; `random` is uniform in [0, 1).
    [[nodiscard]] std::chrono::nanoseconds delay(unsigned failures, double random) const noexcept {
        if (failures == 0)
            return std::chrono::nanoseconds(0);
        double d = static_cast<double>(initial.count());
        double const cap = static_cast<double>(max.count());
        for (unsigned i = 1; i < failures && d < cap; ++i)
            d *= multiplier;
        d = std::min(d, cap);
        d -= d * jitter * std::clamp(random, 0.0, 1.0);
        return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
    }
};

struct connection_options {
    endpoint server;
    /// TCP connect plus the handshake (AUTH, SELECT, PING) must end within it.
    std::chrono::nanoseconds connect_timeout = std::chrono::seconds(2);
    /// A command whose reply has not come within it fails with
    /// error::timeout, and the connection is reset (see connection.hpp).
    /// async_exec takes another value per command.
    std::chrono::nanoseconds command_timeout = std::chrono::seconds(1);
    backoff reconnect;
    /// Commands sent and not yet answered, plus those waiting to be sent; one
    /// more fails at once with error::queue_full. About 200 bytes each (the
    /// queue entry and the handler), plus the command's own bytes.
    std::size_t max_pending = 16384;
    /// While a connection is being made (not while waiting out a backoff),
    /// up to this many commands wait for it instead of failing with
    /// error::not_connected; they are sent once it is up. 0, the default,
    /// fails fast: a limiter decides at once rather than in a connect's time.
    std::size_t offline_queue = 0;

    /// Throws std::invalid_argument when the options make no sense: they are
    /// written in code or checked at start-up, so this is a bug or a bad flag.
    void validate() const {
        auto fail = [](char const* what) {
            throw std::invalid_argument(std::string("apikit::redis::connection_options: ") + what);
        };
        if (connect_timeout.count() <= 0 || command_timeout.count() <= 0)
            fail("timeouts must be positive");
        if (reconnect.initial.count() <= 0 || reconnect.max < reconnect.initial)
            fail("backoff needs 0 < initial <= max");
        if (!(reconnect.multiplier >= 1.0) || !std::isfinite(reconnect.multiplier))
            fail("backoff multiplier must be at least 1");
        if (!(reconnect.jitter >= 0.0 && reconnect.jitter <= 1.0))
            fail("backoff jitter must be in [0, 1]");
        if (max_pending == 0)
            fail("max_pending must be at least 1");
        if (offline_queue > max_pending)
            fail("offline_queue cannot exceed max_pending");
        if (server.host.empty() || server.port == 0)
            fail("the server needs a host and a port");
    }
};

} // namespace apikit::redis

#endif
