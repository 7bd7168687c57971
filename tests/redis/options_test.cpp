// The reconnect backoff as a function (exponential, capped, jittered), and
// the options a connection refuses at construction.

#include <apikit/redis/connection.hpp>
#include <apikit/redis/options.hpp>

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;
using apikit::redis::backoff;
using apikit::redis::connection_options;

TEST_CASE("backoff: none after a working connection, then doubling up to the cap") {
    backoff b;
    b.initial = 100ms;
    b.max = 1s;
    b.multiplier = 2;
    b.jitter = 0;
    CHECK(b.delay(0, 0.5) == 0ns);
    CHECK(b.delay(1, 0.5) == 100ms);
    CHECK(b.delay(2, 0.5) == 200ms);
    CHECK(b.delay(3, 0.5) == 400ms);
    CHECK(b.delay(4, 0.5) == 800ms);
    CHECK(b.delay(5, 0.5) == 1s);
    CHECK(b.delay(1000, 0.5) == 1s);
    CHECK(b.delay(~0u, 0.5) == 1s);
}

TEST_CASE("backoff: jitter takes up to its fraction off, never more") {
    backoff b;
    b.initial = 100ms;
    b.max = 1s;
    b.jitter = 0.5;
    CHECK(b.delay(1, 0.0) == 100ms);
    CHECK(b.delay(1, 0.5) == 75ms);
    CHECK(b.delay(1, 0.999999) > 50ms);
    CHECK(b.delay(1, 1.0) == 50ms);
    // Out-of-range randomness is clamped, not trusted.
    CHECK(b.delay(1, 7.0) == 50ms);
    CHECK(b.delay(1, -1.0) == 100ms);
    b.jitter = 1;
    CHECK(b.delay(3, 1.0) == 0ns);
    CHECK(b.delay(3, 0.25) == 300ms);
}

TEST_CASE("connection_options: nonsense is refused at construction") {
    boost::asio::io_context io;
    auto refused = [&](auto change) {
        connection_options o;
        change(o);
        CHECK_THROWS_AS(o.validate(), std::invalid_argument);
        CHECK_THROWS_AS(apikit::redis::connection(io.get_executor(), o), std::invalid_argument);
    };
    refused([](connection_options& o) { o.command_timeout = 0s; });
    refused([](connection_options& o) { o.connect_timeout = -1s; });
    refused([](connection_options& o) { o.reconnect.initial = 0s; });
    refused([](connection_options& o) { o.reconnect.max = o.reconnect.initial / 2; });
    refused([](connection_options& o) { o.reconnect.multiplier = 0.5; });
    refused([](connection_options& o) { o.reconnect.jitter = 1.5; });
    refused([](connection_options& o) { o.reconnect.jitter = -0.1; });
    refused([](connection_options& o) { o.max_pending = 0; });
    refused([](connection_options& o) { o.offline_queue = o.max_pending + 1; });
    refused([](connection_options& o) { o.server.host.clear(); });
    refused([](connection_options& o) { o.server.port = 0; });

    connection_options ok;
    CHECK_NOTHROW(ok.validate());
    CHECK_NOTHROW(apikit::redis::connection(io.get_executor(), ok));
}
