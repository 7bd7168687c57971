// The event bus on Redis Streams, as two server processes see it: each has
// its own connection and its own redis_bus on one stream. What one
// publishes, the other's subscriber gets and its GET /events lists. The
// welcome-email subscriber is one consumer group in both processes, so each
// event is handled once, and it skips an event id it has handled (delivery
// is at least once). docs/events.md quotes this file.
//
// Usage: apikit-example-events-redis_bus [redis://host:port]
// (redis://127.0.0.1:6379 by default). Exits 1 if something it shows does
// not hold, or Redis could not be reached.
#include <apikit/core/random.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/redis_bus.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

namespace asio = boost::asio;
namespace events = apikit::events;
namespace redis = apikit::redis;
using namespace std::chrono_literals;

namespace {

// Runs `io` until `done()` holds, for 10 s at most.
template <class Pred>
bool run_until(asio::io_context& io, Pred done) {
    auto const end = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.restart();
        io.run_for(5ms);
    }
    return done();
}

} // namespace

int main(int argc, char** argv) {
    auto const url = redis::parse_url(argc > 1 ? argv[1] : "redis://127.0.0.1:6379");
    if (!url) {
        fmt::print(stderr, "{}\n", url.error().message());
        return 2;
    }
    asio::io_context io;
    redis::connection_options opts;
    opts.server = *url;
    redis::connection conn_a(io.get_executor(), opts), conn_b(io.get_executor(), opts);
    conn_a.start();
    conn_b.start();
    if (!run_until(io, [&] {
            return conn_a.state() == redis::connection_state::ready &&
                   conn_b.state() == redis::connection_state::ready;
        })) {
        fmt::print(stderr, "Redis at {}:{} could not be reached\n", opts.server.host,
                   opts.server.port);
        return EXIT_FAILURE;
    }
    // A stream of this run's own, so that runs do not see each other.
    auto const stream = apikit::random_id("example-");

    // [redis]
    // Process A and process B: one stream, `apikit:events:{<stream>}`.
    events::redis_bus a(conn_a, {.stream = stream, .max_length = 10000});
    events::redis_bus b(conn_b, {.stream = stream, .max_length = 10000});

    // The welcome email, in both processes: one group, so one of them gets
    // each event. At least once: skip an id already handled (a real service
    // keeps the ids in Redis, e.g. SET apikit:seen:<id> 1 NX EX 86400).
    std::set<std::string> handled;
    int emails = 0;
    auto mailer = [&](events::event const& e, events::position) {
        if (!handled.insert(e.id).second)
            return; // a duplicate: done already
        ++emails;
    };
    events::subscribe_options group;
    group.group = "welcome-email";
    auto in_a = a.subscribe("user.created", group, mailer);
    auto in_b = b.subscribe("user.created", group, mailer);

    // A publishes; the handler gets the event's position (its stream id).
    for (int i = 0; i < 3; ++i)
        a.async_publish(events::make_event("user.created", i, events::metadata{},
                                           std::chrono::system_clock::now()),
                        [](boost::system::error_code ec, events::position p) {
                            if (ec) // == apikit::condition::backend_unavailable: answer 503
                                fmt::print("not published: {}\n", ec.message());
                            else
                                fmt::print("published at {}\n", p.to_string());
                        });

    // B lists them, newest first, as GET /events does.
    std::optional<events::page> listed;
    // [redis]
    bool const mailed = run_until(io, [&] { return emails == 3; });
    // [redis-list]
    b.async_list(20, std::nullopt, [&](boost::system::error_code ec, events::page p) {
        if (!ec)
            listed = std::move(p);
    });
    // [redis-list]
    bool const got_list = run_until(io, [&] { return listed.has_value(); });

    auto const stats = a.stats(), stats_b = b.stats();
    fmt::print("emails: {} (A's consumer {}, B's {}); B lists {} events\n", emails,
               in_a.stats().delivered, in_b.stats().delivered,
               got_list ? listed->events.size() : 0);
    in_a.unsubscribe();
    in_b.unsubscribe();
    bool const ok = mailed && got_list && listed->events.size() == 3 &&
                    listed->positions.front() > listed->positions.back() && stats.published == 3 &&
                    stats_b.delivered + stats.delivered == 3;
    conn_a.close();
    conn_b.close();
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
