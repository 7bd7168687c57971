// The per-request context: slots that one layer fills and later layers and
// handlers read, checked when the chain is compiled and reset per request.

#include "support.hpp"

#include <string>
#include <type_traits>
#include <vector>

using namespace http_test;

namespace {

// A slot with a clear(): reset in place, keeping its capacity.
struct user_slot {
    std::string id;
    int clears = 0;
    void clear() noexcept {
        id.clear();
        ++clears;
    }
};

// A slot without one: reset by assigning a default-constructed value.
struct counter_slot {
    int hits = 0;
};

struct find_user {
    using provides = http::slots<user_slot>;

    template <class Exchange>
    http::flow on_request(Exchange& ex) const {
        if (auto const u = ex.request().header("X-User"))
            http::slot<user_slot>(ex).id.assign(*u);
        return http::flow::next;
    }
};

struct count_hits {
    using provides = http::slots<counter_slot>;

    template <class Exchange>
    http::flow on_request(Exchange& ex) const {
        ++http::slot<counter_slot>(ex).hits;
        return http::flow::next;
    }
};

// Reads the user another layer found, and writes it on the response.
struct echo_user {
    using needs = http::slots<user_slot>;

    template <class Exchange>
    void on_response(Exchange& ex) const {
        ex.response().set("X-Seen-User", http::slot<user_slot>(ex).id);
    }
};

// A layer that uses a slot when its chain has one and does without otherwise.
struct maybe_user {
    template <class Exchange>
    void on_response(Exchange& ex) const {
        if constexpr (http::has_slot<Exchange, user_slot>)
            ex.response().set("X-Maybe", http::slot<user_slot>(ex).id.empty() ? "nobody" : "user");
        else
            ex.response().set("X-Maybe", "no slot");
    }
};

struct plain_handler {
    void operator()(http::exchange& ex) const { ex.response().text("ok"); }
};

constexpr auto get_ada = "GET /me HTTP/1.1\r\nHost: h\r\nX-User: ada\r\n\r\n";
constexpr auto get_nobody = "GET /me HTTP/1.1\r\nHost: h\r\n\r\n";

static_assert(http::slot_type<user_slot> && http::slot_type<counter_slot>);
static_assert(!http::slot_type<int const>, "a slot is written to");
static_assert(!http::slot_type<int&>, "a slot is a value the exchange owns");
static_assert(http::has_slot<http::exchange_with<user_slot>, user_slot>);
static_assert(!http::has_slot<http::exchange_with<user_slot>, counter_slot>);
static_assert(!http::has_slot<http::exchange, user_slot>);
static_assert(std::is_base_of_v<http::exchange, http::exchange_with<user_slot, counter_slot>>);

// A chain's exchange carries each provided slot once, in chain order; a
// chain whose layers provide none runs on the plain exchange, as before.
static_assert(std::is_same_v<http::chain<find_user, echo_user, plain_handler>::exchange_type,
                             http::exchange_with<user_slot>>);
static_assert(
    std::is_same_v<http::chain<count_hits, find_user, find_user, plain_handler>::exchange_type,
                   http::exchange_with<counter_slot, user_slot>>);
static_assert(
    std::is_same_v<http::chain<maybe_user, plain_handler>::exchange_type, http::exchange>);
static_assert(std::is_same_v<http::chain<http::app>::exchange_type, http::exchange>);

// Middleware written for the plain exchange still model the concept for a
// chain with slots, and a slot-reading one models it only where it can read.
static_assert(http::middleware<echo_user, http::exchange_with<user_slot>>);
static_assert(http::middleware<maybe_user, http::exchange>);
static_assert(http::handler<plain_handler, http::exchange_with<user_slot>>);

} // namespace

TEST_CASE("a slot filled by one layer is read by a later layer of the same request") {
    http::chain const c{find_user{}, echo_user{}, maybe_user{}, plain_handler{}};
    basic_exchange_harness<http::exchange_with<user_slot>> h;
    h.load(get_ada);
    c.start(h.ex());
    REQUIRE(h.ex().completed());
    CHECK(h.res().header("X-Seen-User").value() == "ada");
    CHECK(h.res().header("X-Maybe").value() == "user");
}

TEST_CASE("slots are reset before each request: clear() where a slot has one, else a new value") {
    http::chain const c{count_hits{}, find_user{}, echo_user{}, plain_handler{}};
    basic_exchange_harness<http::exchange_with<counter_slot, user_slot>> h;
    h.load(get_ada);
    c.start(h.ex());
    CHECK(h.ex().slot<counter_slot>().hits == 1);
    auto const clears = h.ex().slot<user_slot>().clears;

    h.load(get_nobody); // the next request on the same exchange, naming nobody
    CHECK(h.ex().slot<user_slot>().id.empty());
    CHECK(h.ex().slot<user_slot>().clears == clears + 1);
    CHECK(h.ex().slot<counter_slot>().hits == 0);
    c.start(h.ex());
    CHECK(h.ex().slot<counter_slot>().hits == 1);
    CHECK(h.res().header("X-Seen-User").value().empty());
}

TEST_CASE("a layer without the slot in its chain does without it") {
    http::chain const c{maybe_user{}, plain_handler{}};
    exchange_harness h;
    h.load(get_ada);
    c.start(h.ex());
    CHECK(h.res().header("X-Maybe").value() == "no slot");
}

TEST_CASE("routes of a basic_app over exchange_with read the slots its middleware provide") {
    using exchange_type = http::exchange_with<user_slot>;
    http::basic_app<exchange_type> app;
    app.get("/me", [](exchange_type& ex) {
        auto const& user = http::slot<user_slot>(ex);
        ex.response().json_text(user.id.empty() ? R"({"user":null})"
                                                : R"({"user":")" + user.id + "\"}");
    });
    // The plain shapes still work on such an app.
    app.get("/healthz", [](http::request const&, http::response& res) { res.text("ok"); });

    running_server server(test_options(), http::chain{find_user{}, std::move(app)});
    client c(server.port());
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/me", 11};
    req.set(bhttp::field::host, "test");
    req.set("X-User", "ada");
    c.send(req);
    CHECK(c.read().body() == R"({"user":"ada"})");
    req.erase("X-User");
    c.send(req); // same connection, next request: nobody
    CHECK(c.read().body() == R"({"user":null})");
    CHECK(c.get("/healthz").body() == "ok");
}
