#ifndef APIKIT_TESTS_REDIS_SUPPORT_HPP
#define APIKIT_TESTS_REDIS_SUPPORT_HPP

// What the Redis tests share: the fixture's server (its port, from the file
// the fixture wrote), private servers for destructive tests, an io_context
// driven until a condition holds (bounded, so a bug fails a test instead of
// hanging it), and simulated time for the connection's timers.

#include <apikit/core/clock.hpp>
#include <apikit/core/random.hpp>
#include <apikit/redis.hpp>

#include "../services/redis_cluster.hpp"
#include "../services/redis_server.hpp"

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redis_test {

namespace asio = boost::asio;
namespace redis = apikit::redis;
using namespace std::chrono_literals;
using apikit_test::redis_server;
using error_code = boost::system::error_code;

/// The port of the fixture's redis-server. Fails the test (never skips it)
/// when there is none.
inline std::uint16_t shared_port() {
    char const* path = std::getenv("APIKIT_REDIS_PORT_FILE");
    REQUIRE_MESSAGE(path != nullptr,
                    "APIKIT_REDIS_PORT_FILE is not set: run the Redis tests through ctest, "
                    "which starts the redis-server fixture ('services: start redis')");
    std::ifstream in(path);
    unsigned port = 0;
    in >> port;
    REQUIRE_MESSAGE((port > 0 && port < 65536),
                    "no redis-server: the fixture 'services: start redis' did not run or "
                    "failed (no port in "
                        << std::string(path) << "); './dev deps' installs redis-server");
    return static_cast<std::uint16_t>(port);
}

/// Options for a server on loopback. Real-time timeouts are generous: tests
/// of timeouts use simulated time instead, so a slow machine (or
/// ThreadSanitizer) never fails a test that does not test time.
inline redis::connection_options options_for(std::uint16_t port) {
    redis::connection_options o;
    o.server.host = "127.0.0.1";
    o.server.port = port;
    o.connect_timeout = 20s;
    o.command_timeout = 20s;
    o.reconnect.initial = 10ms;
    o.reconnect.max = 100ms;
    return o;
}

/// A key no other test (or test process) uses.
inline std::string unique_key(std::string_view name) {
    return "apikit:test:" + apikit::random_id("") + ":" + std::string(name);
}

/// Runs `io` until `done()` holds; false if 20 s of real time pass first.
template <class Pred>
bool run_until(asio::io_context& io, Pred done,
               std::chrono::steady_clock::duration limit = std::chrono::seconds(20)) {
    auto const end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        if (io.stopped())
            io.restart();
        io.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Runs every handler that is ready now, a few rounds (what a poll can do
/// without waiting for the network).
inline void settle(asio::io_context& io) {
    for (int i = 0; i < 5; ++i) {
        io.restart();
        io.poll();
    }
}

struct outcome {
    error_code ec;
    redis::reply r;
};

/// One command, run to completion.
template <class Connection>
outcome exec(asio::io_context& io, Connection& c, redis::command cmd) {
    std::optional<outcome> out;
    c.async_exec(std::move(cmd), [&](error_code ec, redis::reply r) {
        out = outcome{ec, std::move(r)};
    });
    REQUIRE_MESSAGE(run_until(io, [&] { return out.has_value(); }), "no completion in 20 s");
    return std::move(*out);
}

/// One command that must succeed with a reply that is not an error.
template <class Connection>
redis::reply ok(asio::io_context& io, Connection& c, redis::command cmd) {
    auto o = exec(io, c, std::move(cmd));
    REQUIRE_MESSAGE(!o.ec, o.ec.message());
    REQUIRE_MESSAGE(!o.r.is_error(), fmt::format("{}", o.r));
    return std::move(o.r);
}

template <class Connection>
error_code connect(asio::io_context& io, Connection& c) {
    std::optional<error_code> out;
    c.async_connect([&](error_code ec) { out = ec; });
    REQUIRE_MESSAGE(run_until(io, [&] { return out.has_value(); }), "no connect in 20 s");
    return *out;
}

// --- Simulated time: the connection's timers read sim_time, which moves only
// when a test advances it.

inline apikit::manual_clock<> sim_time;

struct sim_clock {
    using rep = apikit::manual_clock<>::rep;
    using period = apikit::manual_clock<>::period;
    using duration = apikit::manual_clock<>::duration;
    using time_point = apikit::manual_clock<>::time_point;
    static constexpr bool is_steady = false;
    static time_point now() noexcept { return sim_time.now(); }
};

// Asio asks how long it may block before a timer is due; simulated time does
// not pass by blocking, so it blocks at most 1 ms of real time and looks
// again — a timer fires when the test has moved the clock, never by itself.
struct sim_wait_traits {
    static sim_clock::duration to_wait_duration(sim_clock::duration d) {
        return std::clamp<sim_clock::duration>(d, sim_clock::duration::zero(), 1ms);
    }
    static sim_clock::duration to_wait_duration(sim_clock::time_point const& t) {
        return to_wait_duration(t - sim_clock::now());
    }
};

using sim_connection = redis::basic_connection<sim_clock, sim_wait_traits>;

/// An io_context, driven until a condition holds: what shared_connection
/// and shared_cluster stand on.
struct driven_io {
    asio::io_context io;

    template <class Pred>
    void run_until(Pred done) {
        REQUIRE_MESSAGE(redis_test::run_until(io, done), "no answer in 20 s");
    }

    /// The same without doctest's assertions, for another thread: false if
    /// 20 s pass first.
    template <class Pred>
    bool run_quietly_until(Pred done) {
        return redis_test::run_until(io, done);
    }
};

/// A connection to the shared redis-server and the io_context that drives
/// it: what the tests of a store on Redis (rate-limit buckets, refresh-token
/// families) stand on.
struct shared_connection : driven_io {
    redis::connection conn{io.get_executor(), options_for(shared_port())};

    shared_connection() { REQUIRE_FALSE(connect(io, conn)); }
};

// --- The fixture's Redis Cluster (tests/services/redis_cluster.sh): 3
// primaries with a replica each on loopback, shared by every test, so a test
// never kills its nodes or moves its slots (a private apikit_test::redis_cluster
// is for that, tests/services/redis_cluster.hpp).

using apikit_test::redis_cluster;

/// The ports of the fixture's cluster: the 3 primaries first, in the order of
/// the slots they own (0-5460, 5461-10922, 10923-16383), then their replicas
/// in the same order (the replica of ports[i] is ports[i + 3]), as the fixture
/// saw them at start. Fails the test (never skips it) when there is none.
inline std::vector<std::uint16_t> shared_cluster_ports() {
    char const* path = std::getenv("APIKIT_REDIS_CLUSTER_PORTS_FILE");
    REQUIRE_MESSAGE(path != nullptr,
                    "APIKIT_REDIS_CLUSTER_PORTS_FILE is not set: run the Redis tests through "
                    "ctest, which starts the Redis Cluster fixture ('services: start redis "
                    "cluster')");
    std::ifstream in(path);
    std::vector<std::uint16_t> ports;
    for (unsigned port = 0; in >> port && port > 0 && port < 65536;)
        ports.push_back(static_cast<std::uint16_t>(port));
    REQUIRE_MESSAGE(ports.size() == 6,
                    "no Redis Cluster: the fixture 'services: start redis cluster' did not "
                    "run or failed (not 6 ports in "
                        << std::string(path)
                        << "); './dev deps' installs redis-server and redis-cli");
    return ports;
}

/// The options a cluster client is given to find a cluster through one node
/// (its seed), the way `--redis URL` names any node: the same real-time
/// timeouts and quick reconnects as options_for().
inline redis::connection_options cluster_seed_options(std::uint16_t port) {
    return options_for(port);
}

/// A cluster client on the fixture's cluster, found through its first
/// primary, and the io_context that drives it: what the conformance suites
/// of the Redis backends (rate-limit buckets, refresh-token families, the
/// event bus) run on a cluster with. Connected, in cluster mode, when made.
struct shared_cluster : driven_io {
    redis::cluster_client conn{io.get_executor(),
                               cluster_seed_options(shared_cluster_ports().front())};

    shared_cluster() {
        REQUIRE_FALSE(connect(io, conn));
        REQUIRE(conn.mode() == redis::cluster_mode::cluster);
    }
};

} // namespace redis_test

#endif
