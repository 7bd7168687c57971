// The middleware chain on its own: order, early answers, on_response for
// every response, exceptions, and suspension with asynchronous resumption.

#include "support.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <string>
#include <vector>

using namespace http_test;

namespace {

using trace = std::vector<std::string>;

// Records its hooks; answers early with a 403 when told to.
struct recorder {
    std::string name;
    trace* log;
    bool deny = false;

    http::flow on_request(http::exchange& ex) const {
        log->push_back(name + ".request");
        if (deny) {
            ex.response().error(apikit::errc::forbidden);
            return http::flow::respond;
        }
        return http::flow::next;
    }
    void on_response(http::exchange&) const { log->push_back(name + ".response"); }
};

// Only an on_begin hook.
struct stamper {
    trace* log;
    void on_begin(http::exchange&) const { log->push_back("stamp"); }
};

// Only an on_response hook.
struct tagger {
    void on_response(http::exchange& ex) const { ex.response().set("X-Tag", "1"); }
};

// Suspends, and resumes from a posted handler: the shape of a middleware
// that asks a remote store (issue 3's rate limiter).
struct async_gate {
    trace* log;
    http::flow result = http::flow::next;

    http::flow on_request(http::exchange& ex) const {
        log->push_back("gate.request");
        auto k = ex.suspend();
        asio::post(ex.executor(), [k = std::move(k), r = result, &ex, log = log]() mutable {
            log->push_back("gate.resume");
            if (r == http::flow::respond)
                ex.response().error(apikit::errc::rate_limited);
            k(r);
        });
        return http::flow::pending;
    }
    void on_response(http::exchange&) const { log->push_back("gate.response"); }
};

struct handler_fn {
    trace* log;
    void operator()(http::exchange& ex) const {
        log->push_back("handler");
        ex.response().text("done");
    }
};

struct throwing_handler {
    void operator()(http::exchange&) const { throw std::runtime_error("boom: internal"); }
};

struct throwing_response_hook {
    void on_response(http::exchange&) const { throw std::runtime_error("hook failed"); }
};

struct lying_middleware { // returns pending without suspending: a bug
    http::flow on_request(http::exchange&) const { return http::flow::pending; }
};

// An archetype: the least a middleware can be.
struct middleware_archetype {
    http::flow on_request(http::exchange&) const { return http::flow::next; }
};
struct handler_archetype {
    void operator()(http::exchange&) const {}
};

static_assert(http::middleware<middleware_archetype>);
static_assert(http::middleware<tagger>);
static_assert(http::middleware<stamper>);
static_assert(http::middleware<recorder>);
static_assert(http::middleware<async_gate>);
static_assert(http::handler<handler_archetype>);
static_assert(http::handler<http::app>);
static_assert(!http::middleware<handler_archetype>);
static_assert(!http::handler<middleware_archetype>);
static_assert(!http::middleware<int>);

constexpr auto get_request = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";

} // namespace

TEST_CASE("layers run in order, and on_response in reverse") {
    trace log;
    http::chain const c{recorder{"a", &log}, recorder{"b", &log}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().completed());
    CHECK(log == trace{"a.request", "b.request", "handler", "b.response", "a.response"});
    CHECK(h.res().body() == "done");
}

TEST_CASE("on_begin runs first, for every layer that has it, before any on_request") {
    trace log;
    http::chain const c{recorder{"a", &log}, stamper{&log}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(log == trace{"stamp", "a.request", "handler", "a.response"});
    log.clear();
    h.load(get_request);
    c.respond(h.ex());
    CHECK(log == trace{"stamp", "a.response"});
}

TEST_CASE("a layer that answers stops the chain, and the layers it passed still see the response") {
    trace log;
    http::chain const c{recorder{"a", &log}, recorder{"b", &log, true}, recorder{"c", &log},
                        handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().completed());
    CHECK(log == trace{"a.request", "b.request", "b.response", "a.response"});
    CHECK(h.res().status() == 403);
}

TEST_CASE("respond(): the server's own answer runs every on_response, no on_request") {
    trace log;
    http::chain const c{recorder{"a", &log}, tagger{}, recorder{"b", &log}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    h.res().error(apikit::errc::headers_too_large);
    c.respond(h.ex());
    CHECK(h.ex().completed());
    CHECK(log == trace{"b.response", "a.response"});
    CHECK(h.res().header("X-Tag") == "1");
    CHECK(h.res().status() == 431);
}

TEST_CASE("an exception becomes a 500 whose text is for the log only") {
    trace log;
    http::chain const c{recorder{"a", &log}, throwing_handler{}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().completed());
    CHECK(h.res().status() == 500);
    REQUIRE(h.res().error());
    CHECK(h.res().error()->public_message() == "Internal server error");
    CHECK(h.ex().log_detail() == "boom: internal");
    CHECK(log == trace{"a.request", "a.response"});
}

TEST_CASE("an exception in on_response completes the exchange without running hooks twice") {
    trace log;
    http::chain const c{recorder{"a", &log}, throwing_response_hook{}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().completed());
    CHECK(h.res().status() == 500);
    CHECK(h.ex().log_detail() == "hook failed");
    CHECK(log == trace{"a.request", "handler"});
}

TEST_CASE("flow::pending without suspend() is a bug, answered with a 500") {
    trace log;
    http::chain const c{lying_middleware{}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().completed());
    CHECK(h.res().status() == 500);
    CHECK(log.empty());
}

TEST_CASE("a suspended chain resumes later, on the executor, where it stopped") {
    trace log;
    http::chain const c{recorder{"a", &log}, async_gate{&log}, handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(h.ex().suspended());
    CHECK(!h.ex().completed());
    CHECK(log == trace{"a.request", "gate.request"});
    CHECK(h.resumed() == 0);

    h.ioc().run();
    CHECK(h.ex().completed());
    CHECK(h.resumed() == 1);
    CHECK(log == trace{"a.request", "gate.request", "gate.resume", "handler", "gate.response",
                       "a.response"});
}

TEST_CASE("a suspended middleware may answer instead of going on") {
    trace log;
    http::chain const c{recorder{"a", &log}, async_gate{&log, http::flow::respond},
                        handler_fn{&log}};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    h.ioc().run();
    CHECK(h.ex().completed());
    CHECK(h.res().status() == 429);
    CHECK(log == trace{"a.request", "gate.request", "gate.resume", "gate.response", "a.response"});
}

TEST_CASE("an asynchronous handler resumes the chain from another thread") {
    trace log;
    std::thread worker;
    auto async_handler = [&worker](http::exchange& ex) {
        auto k = ex.suspend();
        worker = std::thread([k = std::move(k), &ex]() mutable {
            ex.response().text("from another thread"); // the connection waits: no race
            k();
        });
    };
    http::chain const c{recorder{"a", &log}, async_handler};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(!h.ex().completed());
    auto work = asio::make_work_guard(h.ioc());
    while (!h.ex().completed())
        h.ioc().run_one();
    worker.join();
    CHECK(h.res().body() == "from another thread");
    CHECK(log == trace{"a.request", "a.response"});
}

TEST_CASE("a continuation destroyed without being called answers with a 500") {
    trace log;
    auto dropper = [](http::exchange& ex) { auto k = ex.suspend(); };
    http::chain const c{recorder{"a", &log}, dropper};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(!h.ex().completed());
    h.ioc().run();
    CHECK(h.ex().completed());
    CHECK(h.resumed() == 1);
    CHECK(h.res().status() == 500);
    CHECK(h.ex().log_detail() == "a continuation was destroyed without being called");
    CHECK(log == trace{"a.request", "a.response"});
}

TEST_CASE("a continuation that outlives its request does nothing") {
    trace log;
    std::optional<http::continuation> kept;
    auto keeper = [&kept](http::exchange& ex) { kept.emplace(ex.suspend()); };
    http::chain const c{recorder{"a", &log}, keeper};
    exchange_harness h;
    h.load(get_request);
    c.start(h.ex());
    CHECK(!h.ex().completed());
    // The connection moves on (it was closed, say): a new request.
    h.load(get_request);
    (*kept)();
    h.ioc().run();
    CHECK(h.resumed() == 0);
    CHECK(log == trace{"a.request"});
}

TEST_CASE("a chain of synchronous layers makes no indirect call") {
    // What the claim means, checked where it can be: the layers are stored by
    // value in a tuple, and the chain's size is the sum of theirs.
    struct empty_mw {
        http::flow on_request(http::exchange&) const { return http::flow::next; }
    };
    using chain_t = http::chain<empty_mw, empty_mw, handler_archetype>;
    static_assert(sizeof(chain_t) <= 3);
    static_assert(
        std::is_same_v<std::remove_cvref_t<decltype(std::declval<chain_t>().get<0>())>, empty_mw>);
}
