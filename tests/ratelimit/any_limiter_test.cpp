// any_limiter: one type over a limiter on any store, or none. The same
// decisions as the limiter inside, over every backend (memory and, with
// apikit::redis, Redis); the synchronous path kept for a synchronous store;
// the handler's associations kept for an asynchronous one; and the
// middleware over it, which neither suspends for the memory store nor
// limits anything when it is empty.

#include "../http/support.hpp"
#include "store_fixtures.hpp"
#include "support.hpp"

#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/middleware.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>

// Names of their own: the area's test files may be compiled as one unit.
namespace any_limiter_tests {

namespace rl = apikit::ratelimit;
namespace asio = boost::asio;
namespace http = apikit::http;
using namespace std::chrono_literals;
using erased = rl::basic_any_limiter<rl_test::clock_ref>;

/// How an any_limiter over `Store` is made for a test, on the test's
/// manual clock; and how its answers are waited for.
template <class Store>
struct backend;

template <>
struct backend<rl::memory_store> {
    erased make(rl::policy p, rl_test::clock_ref clock) {
        return erased(std::in_place_type<rl::limiter<rl::memory_store, rl_test::clock_ref>>,
                      std::move(p), clock);
    }
    template <class Pred>
    void run_until(Pred) {}
};

#if APIKIT_TEST_WITH_REDIS
/// A Redis store on `Link`'s client (`conn`): one Redis, or a cluster.
template <class Link, class Store>
struct redis_backend : Link {
    erased make(rl::policy p, rl_test::clock_ref clock) {
        // Client time: the test's clock decides, as it does for memory.
        return erased(std::in_place_type<rl::limiter<Store, rl_test::clock_ref>>, std::move(p),
                      clock, this->conn,
                      rl::redis_store_options{.time = rl::time_source::client,
                                              .key_prefix = rl_test::unique_prefix()});
    }
};

template <>
struct backend<rl::redis_store> : redis_backend<rl_test::redis_connection, rl::redis_store> {};
template <>
struct backend<rl_test::cluster_redis_store>
    : redis_backend<redis_test::shared_cluster, rl_test::cluster_redis_store> {};
#endif

/// One decision through async_acquire, the form every limiter has.
template <class Store>
apikit::result<rl::policy_decision> decide(backend<Store>& b, erased& lim, std::string_view key,
                                           std::uint64_t cost, rl_test::time_point now) {
    std::optional<apikit::result<rl::policy_decision>> out;
    int calls = 0;
    lim.async_acquire(key, cost, now, [&](boost::system::error_code ec, rl::policy_decision d) {
        ++calls;
        if (ec)
            out.emplace(ec);
        else
            out.emplace(d);
    });
    if (lim.synchronous())
        REQUIRE(calls == 1); // within the call
    else
        b.run_until([&] { return calls > 0; });
    REQUIRE(calls == 1);
    return *out;
}

TEST_CASE_TEMPLATE("any_limiter: decides as its limiter, the reference bucket on each store", Store,
                   APIKIT_RATELIMIT_STORES) {
    backend<Store> b;
    rl_test::manual clock{rl_test::start};
    auto lim = b.make(rl_test::reference_policy(), rl_test::clock_ref(clock));
    REQUIRE(static_cast<bool>(lim));
    CHECK(lim.synchronous() == rl::sync_store<Store>);
    auto const t0 = clock.now();
    for (int i = 0; i < 100; ++i) {
        auto const d = decide(b, lim, "user_1", 1, t0).value();
        REQUIRE(d.allowed);
        CHECK(d.remaining == static_cast<std::uint64_t>(99 - i));
        REQUIRE(d.limits().size() == 1);
        CHECK(d.limits()[0].name == "default");
    }
    auto const denied = decide(b, lim, "user_1", 1, t0).value();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.retry_after == 100ms);
    CHECK(decide(b, lim, "user_2", 100, t0).value().allowed); // keys are apart
    CHECK(decide(b, lim, "user_1", 1, t0 + 100ms).value().allowed);
    // The clock is the limiter's own.
    clock.advance(5s);
    CHECK(lim.clock().now() == t0 + 5s);
}

TEST_CASE_TEMPLATE("any_limiter: a cost no limit can grant is the limiter's error", Store,
                   APIKIT_RATELIMIT_STORES) {
    backend<Store> b;
    rl_test::manual clock{rl_test::start};
    auto lim = b.make(rl_test::reference_policy(), rl_test::clock_ref(clock));
    auto const r = decide(b, lim, "k", 101, clock.now());
    REQUIRE(r.has_error());
    CHECK(r.error() == apikit::errc::cost_exceeds_capacity);
    CHECK(decide(b, lim, "k", 100, clock.now()).value().remaining == 0);
}

TEST_CASE("any_limiter: over a synchronous store, try_acquire decides at once") {
    rl_test::manual clock{rl_test::start};
    erased lim(std::in_place_type<rl::limiter<rl::memory_store, rl_test::clock_ref>>,
               rl::policy{rl::limit{"default", 2, rl::per_second(1)}}, rl_test::clock_ref(clock));
    CHECK(lim.synchronous());
    CHECK(lim.try_acquire("a", 1, clock.now()).value().remaining == 1);
    CHECK(lim.try_acquire("a", 1, clock.now()).value().allowed);
    CHECK_FALSE(lim.try_acquire("a", 1, clock.now()).value().allowed);
    CHECK(lim.try_acquire("a", 3, clock.now()).error() == apikit::errc::cost_exceeds_capacity);
}

TEST_CASE("any_limiter: empty when default-constructed or moved from, and target names the type") {
    rl::any_limiter none;
    CHECK_FALSE(static_cast<bool>(none));
    CHECK(none.target<rl::limiter<>>() == nullptr);

    rl::any_limiter lim(std::in_place_type<rl::limiter<>>, rl_test::reference_policy());
    REQUIRE(static_cast<bool>(lim));
    auto* inside = lim.target<rl::limiter<>>();
    REQUIRE(inside != nullptr);
    CHECK(inside->quotas().policy_for("k") == rl_test::reference_policy());
    CHECK(lim.target<rl::limiter<rl::memory_store, apikit::steady_clock, rl::quota_table>>() ==
          inside);
    CHECK(std::as_const(lim).target<rl::limiter<>>() == inside);

    rl::any_limiter moved(std::move(lim));
    CHECK_FALSE(static_cast<bool>(lim)); // NOLINT(bugprone-use-after-move): the state is specified
    CHECK(moved.target<rl::limiter<>>() == inside);
    none = std::move(moved);
    CHECK(none.target<rl::limiter<>>() == inside);
    CHECK_FALSE(static_cast<bool>(moved)); // NOLINT(bugprone-use-after-move)
    none = rl::any_limiter{};              // destroys the limiter
    CHECK_FALSE(static_cast<bool>(none));
}

/// A store that answers later from its own io_context, on the handler's
/// associated executor (as the Redis store does), deciding with a memory
/// store.
class associated_executor_store {
public:
    explicit associated_executor_store(asio::io_context& own) : own_(&own) {}

    template <class Handler>
    void async_acquire(std::string_view key, rl::policy const& p, std::uint64_t cost,
                       std::chrono::nanoseconds now, Handler&& handler) {
        // As the Redis store posts an early answer: to its own executor,
        // which hands the handler to the handler's associated executor.
        auto r = inner_.try_acquire(key, p, cost, now);
        if (r)
            asio::post(*own_, asio::append(std::move(handler), boost::system::error_code{}, *r));
        else
            asio::post(*own_, asio::append(std::move(handler), r.error(), rl::policy_decision{}));
    }

private:
    asio::io_context* own_;
    rl::memory_store inner_;
};

static_assert(rl::store<associated_executor_store> && !rl::sync_store<associated_executor_store>);

TEST_CASE("any_limiter: an asynchronous limiter's handler keeps its associated executor") {
    asio::io_context store_io, caller_io;
    rl::any_limiter lim(std::in_place_type<rl::limiter<associated_executor_store>>,
                        rl_test::reference_policy(), apikit::steady_clock{}, store_io);
    CHECK_FALSE(lim.synchronous());
    CHECK(lim.try_acquire("k", 1, apikit::steady_clock::now()).error() ==
          apikit::errc::internal_error);
    bool ran = false;
    lim.async_acquire(
        "k", 1, apikit::steady_clock::now(),
        asio::bind_executor(caller_io, [&](boost::system::error_code ec, rl::policy_decision d) {
            CHECK_FALSE(ec);
            CHECK(d.allowed);
            CHECK(caller_io.get_executor().running_in_this_thread());
            ran = true;
        }));
    CHECK(store_io.run() == 1); // the store's side, which hands the handler over
    CHECK_FALSE(ran);
    CHECK(caller_io.run() == 1);
    CHECK(ran);
}

using http_test::exchange_harness;

http::app users_app() {
    http::app app;
    app.get("/users", [](http::request const&, http::response& res) { res.json_text("[]"); });
    return app;
}

http::flow request_through(rl::middleware<rl::any_limiter> const& mw, exchange_harness& h) {
    h.load("GET /users HTTP/1.1\r\nHost: x\r\n\r\n", true,
           asio::ip::tcp::endpoint(asio::ip::make_address("203.0.113.7"), 40000));
    return mw.on_request(h.ex());
}

TEST_CASE("any_limiter: the middleware decides a memory limiter's request without suspending") {
    rl::any_limiter lim(std::in_place_type<rl::limiter<>>,
                        rl::policy{rl::limit{"default", 1, rl::per_second(1)}});
    rl::middleware<rl::any_limiter> const mw(lim);
    exchange_harness h;
    CHECK(request_through(mw, h) == http::flow::next);
    CHECK_FALSE(h.ex().suspended());
    CHECK(h.res().header("X-RateLimit-Remaining") == "0");
    CHECK(request_through(mw, h) == http::flow::respond);
    CHECK_FALSE(h.ex().suspended());
    CHECK(h.res().status() == 429);
    CHECK(h.ioc().poll() == 0); // nothing was posted: no continuation, no resumption
    CHECK(h.resumed() == 0);
}

TEST_CASE("any_limiter: an empty one in the middleware limits nothing and writes no header") {
    rl::any_limiter none;
    rl::middleware<rl::any_limiter> const mw(none);
    exchange_harness h;
    for (int i = 0; i < 3; ++i) {
        CHECK(request_through(mw, h) == http::flow::next);
        CHECK_FALSE(h.res().header("X-RateLimit-Limit"));
        CHECK(h.ex().log_detail().empty());
    }
}

TEST_CASE("any_limiter: the middleware suspends for an asynchronous limiter and resumes") {
    // The store's own thread, as a Redis connection's would be.
    asio::io_context store_io;
    auto work = asio::make_work_guard(store_io);
    std::thread store_thread([&] { store_io.run(); });
    {
        rl::any_limiter lim(std::in_place_type<rl::limiter<associated_executor_store>>,
                            rl::policy{rl::limit{"default", 2, rl::per_second(1)}},
                            apikit::steady_clock{}, store_io);
        http_test::running_server server(http_test::test_options(),
                                         http::chain{rl::middleware{lim}, users_app()});
        http_test::client c(server.port());
        auto const first = c.get("/users");
        CHECK(first.result_int() == 200);
        CHECK(first["X-RateLimit-Remaining"] == "1");
        CHECK(c.get("/users").result_int() == 200);
        CHECK(c.get("/users").result_int() == 429);
    }
    work.reset();
    store_thread.join();
}

} // namespace any_limiter_tests
