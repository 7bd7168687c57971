// One limit shared by every server process: the limiter's buckets in Redis.
// Run it twice within five seconds and the second run finds the tokens the
// first one took: the limit is Redis's, not the process's. docs/ratelimit.md
// quotes this file.
//
// Usage: apikit-example-ratelimit-redis [redis://host:port]
// (redis://127.0.0.1:6379 by default). Exits 1 if Redis could not be
// reached — after showing that the limiter then fails open.
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/redis_store.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <functional>

namespace asio = boost::asio;
namespace redis = apikit::redis;
namespace rl = apikit::ratelimit;

int main(int argc, char** argv) {
    auto const url = redis::parse_url(argc > 1 ? argv[1] : "redis://127.0.0.1:6379");
    if (!url) {
        fmt::print(stderr, "{}\n", url.error().message());
        return 2;
    }
    // [redis]
    asio::io_context io;
    redis::connection_options opts;
    opts.server = *url; // redis::parse_url("redis://127.0.0.1:6379")
    redis::connection conn(io.get_executor(), opts);

    // Every server process builds the same limiter on its own connection;
    // Redis holds the buckets and, by default, the clock.
    rl::limiter<rl::redis_store, std::chrono::system_clock> limiter{
        rl::policy{rl::limit{"burst", 5, rl::per_second(1)}},
        {},
        conn,
        rl::redis_store_options{.on_outage = rl::outage_policy::fail_open}};

    int requests = 0;
    std::function<void()> next = [&] {
        limiter.async_acquire(
            "user:42", 1, std::chrono::system_clock::now(),
            [&](boost::system::error_code ec, rl::policy_decision d) {
                // ec: cost_exceeds_capacity, or service_unavailable under
                // fail_closed. No statuses: Redis could not say and the
                // limiter failed open; write no rate-limit headers.
                if (ec)
                    fmt::print("error: {}\n", ec.message());
                else if (d.limits().empty())
                    fmt::print("allowed, Redis unreachable\n");
                else if (d.allowed)
                    fmt::print("allowed, {} left\n", d.remaining);
                else
                    fmt::print("denied, retry after {} s\n",
                               std::chrono::ceil<std::chrono::seconds>(d.retry_after).count());
                if (++requests < 6)
                    next();
                else
                    conn.close();
            });
    };

    bool reached = false;
    conn.async_connect([&](boost::system::error_code ec) {
        reached = !ec;
        next(); // decides either way: unreachable, the limiter fails open
    });
    io.run();
    // allowed, 4 left
    // allowed, 3 left
    // allowed, 2 left
    // allowed, 1 left
    // allowed, 0 left
    // denied, retry after 1 s
    // [redis]
    return reached && limiter.get_store().failures() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
