// Rate limiting with apikit: a keyed token bucket, plans with several limits,
// the response headers, a sliding window, the client key behind a proxy, and
// waiting instead of being refused. docs/ratelimit.md quotes this file.
#include <apikit/ratelimit.hpp>
#include <apikit/ratelimit/async_wait.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <functional>

namespace asio = boost::asio;
namespace rl = apikit::ratelimit;
using namespace std::chrono_literals;

int main() {
    bool ok = true;

    // [bucket] 100 tokens per key, 10 back every second: the reference limit.
    rl::limiter<> limiter{rl::policy{rl::limit{"default", 100, rl::per_second(10)}}};

    auto const now = std::chrono::steady_clock::now(); // read once per request
    for (int i = 0; i < 58; ++i)
        (void)limiter.try_acquire("user:123", 1, now);
    auto const d = limiter.try_acquire("user:123", 1, now);
    if (!d) // errc::cost_exceeds_capacity: more than the limit could ever grant
        return EXIT_FAILURE;
    fmt::print("allowed {} remaining {} full again in {} ms\n", d->allowed, d->remaining,
               std::chrono::duration_cast<std::chrono::milliseconds>(d->reset_after).count());
    // allowed true remaining 41 full again in 5900 ms
    // [bucket]
    ok = ok && d->allowed && d->remaining == 41;

    // [headers] The response's header fields, from the decision and the wall clock.
    rl::write_headers(
        *d, std::chrono::system_clock::now(),
        [](std::string_view name, std::string_view value) { fmt::print("{}: {}\n", name, value); });
    // X-RateLimit-Limit: 100
    // X-RateLimit-Remaining: 41
    // X-RateLimit-Reset: 1767225600
    // RateLimit-Policy: "default";q=100;w=10
    // RateLimit: "default";r=41;t=6
    // [headers]

    // [plans] A plan checks a burst and a daily limit together: all or nothing.
    limiter.quotas().set_plan("pro", rl::policy{rl::limit{"burst", 1000, rl::per_second(100)},
                                                rl::limit{"daily", 50'000, rl::per_day(50'000)}});
    limiter.quotas().assign("user:acme", "pro"); // changeable while running
    auto const pro = limiter.try_acquire("user:acme", 250, now);
    for (auto const& s : pro->limits())
        fmt::print("{}: {} of {} left\n", s.name, s.remaining, s.limit);
    // burst: 750 of 1000 left
    // daily: 49750 of 50000 left
    // [plans]
    ok = ok && pro->allowed && pro->limits().size() == 2 && pro->limits()[1].remaining == 49'750;

    // [denied] A denial says when to come back; its headers add Retry-After.
    auto const denied = limiter.try_acquire("user:123", 50, now);
    fmt::print("allowed {} retry after {} ms\n", denied->allowed,
               std::chrono::duration_cast<std::chrono::milliseconds>(denied->retry_after).count());
    // allowed false retry after 900 ms
    // [denied]
    ok = ok && !denied->allowed && denied->retry_after == 900ms;

    // [window] 100 per minute in a sliding window: the exact log, or the
    // two-window counter in 32 bytes per key.
    rl::sliding_window<rl::sliding_counter> per_minute{rl::window_limit{"minute", 100, 60s}};
    auto const w = per_minute.try_acquire("ip:203.0.113.7");
    fmt::print("window: allowed {} remaining {}\n", w->allowed, w->remaining);
    // window: allowed true remaining 99
    // [window]
    ok = ok && w->allowed && w->remaining == 99;

    // [client] Whom to limit: the user, else the client address, read from
    // X-Forwarded-For only when the peer is a trusted proxy.
    auto const proxies = rl::trusted_proxies::parse({"10.0.0.0/8"}).value();
    auto const ip = rl::client_ip("10.0.0.7", "198.51.100.23, 10.1.2.3", proxies).value();
    fmt::print("{} / {}\n", rl::rate_limit_key("", ip), rl::rate_limit_key("user_42", ip));
    // ip:198.51.100.23 / user:user_42
    // [client]
    ok = ok && ip == "198.51.100.23";

    // [wait] Queue instead of being refused: wait on a timer until the
    // tokens are there, then take them. Any completion token works; here a
    // handler that asks again until five requests have been served.
    asio::io_context io;
    asio::steady_timer timer{io};
    rl::limiter<> fast{rl::policy{rl::limit{"default", 2, rl::per_second(1000)}}};
    int served = 0;
    std::function<void()> serve = [&] {
        rl::async_acquire_wait(fast, timer, "user:7", 1, {},
                               [&](boost::system::error_code ec, rl::policy_decision got) {
                                   served += !ec && got.allowed;
                                   if (!ec && served < 5)
                                       serve(); // the last three wait about 1 ms each
                               });
    };
    serve();
    io.run();
    fmt::print("served {} of 5\n", served); // served 5 of 5
    // [wait]
    ok = ok && served == 5;

    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
