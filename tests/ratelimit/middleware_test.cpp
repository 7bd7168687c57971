// The rate-limit middleware over real HTTP: the headers on every limited
// response, the 429 envelope with Retry-After, the paths left alone, costs,
// the client key behind trusted proxies, and a store that answers later from
// another thread — or fails, open or closed.

#include "../http/support.hpp"

#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/middleware.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

using namespace http_test;
namespace rl = apikit::ratelimit;

namespace {

using manual = apikit::manual_clock<>;
using manual_ref = apikit::clock_ref<manual>;

/// A limiter of `capacity` refilled 1/s on a clock the test moves.
struct manual_limiter {
    explicit manual_limiter(std::uint64_t capacity)
        : limiter(rl::policy{rl::limit{"default", capacity, rl::per_second(1)}},
                  manual_ref(clock)) {}
    manual clock{manual::time_point(std::chrono::hours(1000))};
    rl::limiter<rl::memory_store, manual_ref> limiter;
};

http::app hello_app() {
    http::app app;
    app.get("/users", [](http::request const&, http::response& res) { res.json_text("[]"); });
    app.get("/healthz",
            [](http::request const&, http::response& res) { res.json_text(R"({"status":"ok"})"); });
    return app;
}

std::string header(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

} // namespace

TEST_CASE("middleware: allowed responses carry the headers, then a 429 envelope") {
    manual_limiter m(3);
    running_server server(test_options(),
                          http::chain{http::request_id{}, rl::middleware{m.limiter}, hello_app()});
    client c(server.port());
    for (int i = 0; i < 3; ++i) {
        auto const r = c.get("/users");
        REQUIRE(r.result_int() == 200);
        CHECK(header(r, "X-RateLimit-Limit") == "3");
        CHECK(header(r, "X-RateLimit-Remaining") == std::to_string(2 - i));
        CHECK(header(r, "RateLimit-Policy") == R"("default";q=3;w=3)");
        CHECK(header(r, "RateLimit") ==
              R"("default";r=)" + std::to_string(2 - i) + ";t=" + std::to_string(i + 1));
        CHECK(header(r, "Retry-After") == "(none)");
        // Unix seconds, when the bucket is full again: within a few seconds of now.
        auto const reset = std::stoll(header(r, "X-RateLimit-Reset"));
        auto const wall = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
        CHECK(reset >= wall);
        CHECK(reset <= wall + 5);
    }
    auto const denied = c.get("/users");
    CHECK(denied.result_int() == 429);
    CHECK(header(denied, "Retry-After") == "1");
    CHECK(header(denied, "X-RateLimit-Remaining") == "0");
    CHECK(header(denied, "RateLimit") == R"("default";r=0;t=1)");
    auto const e = error_of(denied);
    CHECK(e.at("code") == "rate_limited");
    CHECK(e.at("request_id").as_string() == header(denied, "X-Request-Id"));

    m.clock.advance(std::chrono::milliseconds(999));
    CHECK(c.get("/users").result_int() == 429);
    m.clock.advance(std::chrono::milliseconds(1));
    auto const again = c.get("/users");
    CHECK(again.result_int() == 200);
    CHECK(header(again, "X-RateLimit-Remaining") == "0");
}

TEST_CASE("middleware: under_path limits its prefix and leaves other paths alone") {
    manual_limiter m(1);
    running_server server(
        test_options(),
        http::chain{rl::middleware{m.limiter, rl::under_path<>("/users")}, hello_app()});
    client c(server.port());
    CHECK(c.get("/users").result_int() == 200);
    CHECK(c.get("/users").result_int() == 429);
    CHECK(c.get("/users/42").result_int() == 429); // under it: one limit, even for a 404
    for (int i = 0; i < 5; ++i) {
        auto const r = c.get("/healthz");
        CHECK(r.result_int() == 200);
        CHECK(header(r, "X-RateLimit-Limit") == "(none)");
    }
    CHECK(c.get("/usersettings").result_int() == 404); // not under /users
}

TEST_CASE("middleware: a weighted request, and one that costs more than the capacity") {
    manual_limiter m(10);
    auto cost_from_query = [](http::exchange const& ex,
                              std::string& key) -> std::optional<std::uint64_t> {
        key.append("everyone");
        auto const q = ex.request().query("cost");
        return q ? std::stoull(*q) : 1;
    };
    running_server server(test_options(),
                          http::chain{rl::middleware{m.limiter, cost_from_query}, hello_app()});
    client c(server.port());
    auto const heavy = c.get("/users?cost=7");
    CHECK(heavy.result_int() == 200);
    CHECK(header(heavy, "X-RateLimit-Remaining") == "3");
    auto const too_much = c.get("/users?cost=11");
    CHECK(too_much.result_int() == 422);
    CHECK(error_of(too_much).at("code") == "cost_exceeds_capacity");
    auto const denied = c.get("/users?cost=4");
    CHECK(denied.result_int() == 429);
    CHECK(header(denied, "Retry-After") == "1"); // one token short: 1 s at 1/s
    CHECK(c.get("/users?cost=3").result_int() == 200);
}

TEST_CASE("middleware: the client key comes from X-Forwarded-For only behind a trusted proxy") {
    auto key_of = [](rl::by_client_address const& by, char const* peer, std::string_view xff) {
        exchange_harness h;
        std::string raw = "GET /users HTTP/1.1\r\nHost: x\r\n";
        if (!xff.empty())
            raw.append("X-Forwarded-For: ").append(xff).append("\r\n");
        raw.append("\r\n");
        h.load(raw, true, tcp::endpoint(asio::ip::make_address(peer), 40000));
        std::string key;
        CHECK(by(h.ex(), key) == std::optional<std::uint64_t>(1));
        return key;
    };
    rl::by_client_address const direct;
    CHECK(key_of(direct, "203.0.113.7", "") == "ip:203.0.113.7");
    CHECK(key_of(direct, "203.0.113.7", "198.51.100.1") == "ip:203.0.113.7");
    CHECK(key_of(direct, "10.20.0.255", "") == "ip:10.20.0.255");
    CHECK(key_of(direct, "2001:db8:1:2:3:4:5:6", "") == "ip:2001:db8:1:2::/64");

    rl::by_client_address const behind_proxy(rl::trusted_proxies::parse({"10.0.0.0/8"}).value());
    CHECK(key_of(behind_proxy, "10.1.2.3", "198.51.100.1") == "ip:198.51.100.1");
    CHECK(key_of(behind_proxy, "10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9") == "ip:198.51.100.1");
    CHECK(key_of(behind_proxy, "10.1.2.3", "") == "ip:10.1.2.3");
    CHECK(key_of(behind_proxy, "203.0.113.7", "198.51.100.1") == "ip:203.0.113.7");
}

TEST_CASE("middleware: two clients behind one trusted proxy have their own limits") {
    manual_limiter m(1);
    running_server server(
        test_options(),
        http::chain{rl::middleware{
                        m.limiter,
                        rl::by_client_address(rl::trusted_proxies::parse({"127.0.0.1"}).value())},
                    hello_app()});
    client c(server.port());
    auto get_as = [&](char const* client_ip) {
        bhttp::request<bhttp::string_body> req(bhttp::verb::get, "/users", 11);
        req.set("X-Forwarded-For", client_ip);
        c.send(std::move(req));
        return c.read().result_int();
    };
    CHECK(get_as("198.51.100.1") == 200);
    CHECK(get_as("198.51.100.2") == 200);
    CHECK(get_as("198.51.100.1") == 429);
    CHECK(get_as("198.51.100.2") == 429);
}

namespace {

/// A store that answers from its own thread, later — as a Redis store does —
/// by deciding with a memory store; or fails, as a store whose server is down
/// does under either outage policy.
class answer_later_store {
public:
    enum class mode { decide, fail_open, fail_closed };

    explicit answer_later_store(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    template <class Handler>
    void async_acquire(std::string_view key, rl::policy const& p, std::uint64_t cost,
                       std::chrono::nanoseconds now, Handler&& handler) {
        calls_.fetch_add(1);
        switch (mode_.load()) {
        case mode::decide: {
            auto r = inner_.try_acquire(key, p, cost, now);
            asio::post(ex_, [h = std::move(handler), r]() mutable {
                if (r)
                    std::move(h)(boost::system::error_code{}, *r);
                else
                    std::move(h)(r.error(), rl::policy_decision{});
            });
            break;
        }
        case mode::fail_open: {
            rl::policy_decision unknown;
            unknown.summarize(); // allowed, no limits: nothing is known
            asio::post(ex_, [h = std::move(handler), unknown]() mutable {
                std::move(h)(boost::system::error_code{}, unknown);
            });
            break;
        }
        case mode::fail_closed:
            asio::post(ex_, [h = std::move(handler)]() mutable {
                std::move(h)(make_error_code(apikit::errc::service_unavailable),
                             rl::policy_decision{});
            });
            break;
        }
    }

    void set_mode(mode m) { mode_.store(m); }
    int calls() const { return calls_.load(); }

private:
    asio::any_io_executor ex_;
    rl::memory_store inner_;
    std::atomic<mode> mode_{mode::decide};
    std::atomic<int> calls_{0};
};

static_assert(rl::store<answer_later_store> && !rl::sync_store<answer_later_store>);

/// The store's own thread, as a Redis connection's would be.
struct store_thread {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::thread thread{[this] { ioc.run(); }};
    ~store_thread() {
        work.reset();
        thread.join();
    }
};

} // namespace

TEST_CASE("middleware: an asynchronous store suspends the request and resumes it") {
    store_thread st;
    manual clock{manual::time_point(std::chrono::hours(1000))};
    rl::limiter<answer_later_store, manual_ref> limiter(
        rl::policy{rl::limit{"default", 2, rl::per_second(1)}}, manual_ref(clock),
        asio::any_io_executor(st.ioc.get_executor()));
    running_server server(test_options(),
                          http::chain{http::request_id{}, rl::middleware{limiter}, hello_app()});
    client c(server.port());
    auto const first = c.get("/users");
    CHECK(first.result_int() == 200);
    CHECK(header(first, "X-RateLimit-Remaining") == "1");
    CHECK(c.get("/users").result_int() == 200);
    auto const denied = c.get("/users");
    CHECK(denied.result_int() == 429);
    CHECK(error_of(denied).at("code") == "rate_limited");
    CHECK(header(denied, "Retry-After") == "1");

    SUBCASE("failing open, the request goes on without rate-limit headers") {
        limiter.get_store().set_mode(answer_later_store::mode::fail_open);
        auto const r = c.get("/users");
        CHECK(r.result_int() == 200);
        CHECK(header(r, "X-RateLimit-Limit") == "(none)");
        CHECK(header(r, "RateLimit") == "(none)");
    }
    SUBCASE("failing closed, the request is a 503 with Retry-After") {
        limiter.get_store().set_mode(answer_later_store::mode::fail_closed);
        auto const r = c.get("/users");
        CHECK(r.result_int() == 503);
        CHECK(error_of(r).at("code") == "service_unavailable");
        CHECK(header(r, "Retry-After") == "1");
    }
    CHECK(limiter.get_store().calls() == 4);
}

TEST_CASE("middleware: pipelined requests through an asynchronous store answer in order") {
    store_thread st;
    manual clock{manual::time_point(std::chrono::hours(1000))};
    rl::limiter<answer_later_store, manual_ref> limiter(
        rl::policy{rl::limit{"default", 5, rl::per_second(1)}}, manual_ref(clock),
        asio::any_io_executor(st.ioc.get_executor()));
    running_server server(test_options(), http::chain{rl::middleware{limiter}, hello_app()});
    client c(server.port());
    std::string burst;
    for (int i = 0; i < 8; ++i)
        burst += "GET /users HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send_raw(burst);
    for (int i = 0; i < 8; ++i) {
        auto const r = c.read();
        CHECK(r.result_int() == (i < 5 ? 200 : 429));
        if (i < 5)
            CHECK(header(r, "X-RateLimit-Remaining") == std::to_string(4 - i));
    }
}

namespace {

/// Who a stand-in authentication middleware found: the user an
/// `X-Test-User` header names, or nobody. The authentication area's
/// principal reaches the rate limiter the same way: through a slot of the
/// exchange that models `ratelimit::subject_slot`.
// [stand-in-auth]
struct test_principal {
    std::string id;
    std::string_view subject() const noexcept { return id; }
    void clear() noexcept { id.clear(); }
};

struct stand_in_auth {
    using provides = http::slots<test_principal>;

    template <class Exchange>
    http::flow on_request(Exchange& ex) const {
        if (auto const user = ex.request().header("X-Test-User"))
            http::slot<test_principal>(ex).id.assign(*user);
        return http::flow::next;
    }
};
// [stand-in-auth]

static_assert(rl::subject_slot<test_principal>);
static_assert(!rl::request_classifier<rl::by_subject<test_principal>>,
              "by_subject reads a slot: it classifies only an exchange that carries it");
static_assert(
    rl::request_classifier<rl::by_subject<test_principal>, http::exchange_with<test_principal>>);

bhttp::request<bhttp::string_body> get_as_user(std::string_view target, std::string_view user) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "test");
    if (!user.empty())
        req.set("X-Test-User", user);
    return req;
}

} // namespace

TEST_CASE("middleware: by_subject keys a request by the user an earlier middleware found") {
    manual_limiter m(2);
    // [by-subject-chain]
    running_server server(test_options(),
                          http::chain{stand_in_auth{},
                                      rl::middleware{m.limiter, rl::by_subject<test_principal>{}},
                                      hello_app()});
    // [by-subject-chain]
    using chain_type =
        http::chain<stand_in_auth,
                    rl::middleware<decltype(m.limiter), rl::by_subject<test_principal>>, http::app>;
    static_assert(std::is_same_v<chain_type::exchange_type, http::exchange_with<test_principal>>);

    client c(server.port()); // one connection: every user and nobody share one address
    auto status_as = [&](std::string_view user) {
        c.send(get_as_user("/users", user));
        return c.read().result_int();
    };
    CHECK(status_as("ada") == 200);
    CHECK(status_as("ada") == 200);
    CHECK(status_as("ada") == 429); // ada's own budget is spent
    CHECK(status_as("bob") == 200); // bob has his own, from the same address
    // The next request on the same connection names nobody: the slot was
    // reset, so it is keyed by the address, not by the previous user.
    CHECK(status_as("") == 200);
    CHECK(status_as("") == 200);
    CHECK(status_as("") == 429);
    CHECK(status_as("bob") == 200);
    CHECK(status_as("bob") == 429);
}

TEST_CASE("middleware: under_path passes on what its inner classifier needs") {
    using scoped = rl::under_path<rl::by_subject<test_principal>>;
    static_assert(std::is_same_v<http::needs_of_t<scoped>, http::slots<test_principal>>);
    static_assert(std::is_same_v<http::needs_of_t<rl::middleware<rl::limiter<>, scoped>>,
                                 http::slots<test_principal>>);
    static_assert(std::is_same_v<http::needs_of_t<rl::middleware<rl::limiter<>>>, http::slots<>>);

    manual_limiter m(1);
    running_server server(
        test_options(),
        http::chain{stand_in_auth{}, rl::middleware{m.limiter, scoped("/users")}, hello_app()});
    client c(server.port());
    c.send(get_as_user("/users", "ada"));
    CHECK(c.read().result_int() == 200);
    c.send(get_as_user("/users", "ada"));
    CHECK(c.read().result_int() == 429);
    c.send(get_as_user("/healthz", "ada"));
    CHECK(c.read().result_int() == 200); // not under /users
}
