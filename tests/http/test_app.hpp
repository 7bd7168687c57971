#ifndef APIKIT_TESTS_HTTP_TEST_APP_HPP
#define APIKIT_TESTS_HTTP_TEST_APP_HPP

// The routes the server tests talk to.

#include "support.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace http_test {

/// Counts the requests that reached a handler, and lets a test wait until
/// the slow handler has started.
struct app_probe {
    std::atomic<int> slow_started{0};
    std::atomic<int> handled{0};
    std::mutex mutex;
    std::condition_variable started;
    std::optional<http::continuation> held; // by /never

    void note_slow_start() {
        {
            std::lock_guard lock(mutex);
            ++slow_started;
        }
        started.notify_all();
    }

    /// Waits until `n` slow requests have reached their handler.
    bool wait_slow_started(int n, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex);
        return started.wait_for(lock, timeout, [&] { return slow_started >= n; });
    }
};

inline http::app make_test_app(app_probe& probe, std::chrono::milliseconds slow = 150ms) {
    http::app app;
    app.get("/healthz", [&probe](http::request const&, http::response& res) {
        ++probe.handled;
        res.json_text(R"({"status":"ok"})");
    });
    app.get("/echo", [&probe](http::request const& req, http::response& res) {
        ++probe.handled;
        res.text(req.query("n").value_or("none"));
    });
    app.get("/id",
            [](http::request const& req, http::response& res) { res.text(req.request_id()); });
    app.get("/users/:id", [](http::request const& req, http::response& res) {
        auto const id = req.param<std::int64_t>("id");
        if (!id)
            return res.error(apikit::to_errc(id.error()));
        res.json(json::object{{"id", *id}, {"route", req.route()}});
    });
    app.post("/json", [](http::request const& req, http::response& res) {
        auto const v = http::read_json(req);
        if (!v)
            return res.error(v.error());
        res.json(*v);
    });
    app.post("/object", [](http::request const& req, http::response& res) {
        auto const o = http::read_json_object(req);
        if (!o)
            return res.error(o.error());
        res.status(201);
        res.json(*o);
    });
    app.post("/size", [](http::request const& req, http::response& res) {
        res.text(std::to_string(req.body().size()));
    });
    app.get("/throw", [](http::request const&, http::response&) {
        throw std::runtime_error("secret internal detail");
    });
    app.get("/big", [](http::request const& req, http::response& res) {
        auto const mib = std::stoul(req.query("mib").value_or("1"));
        res.body().assign(mib * 1024 * 1024, 'x');
        res.content_type("application/octet-stream");
    });
    // Completes later, from a timer on the connection's executor.
    app.get("/slow", [&probe, slow](http::exchange& ex) {
        auto k = ex.suspend();
        probe.note_slow_start();
        auto t = std::make_shared<asio::steady_timer>(ex.executor(), slow);
        t->async_wait(
            [t, k = std::move(k), &res = ex.response()](boost::system::error_code) mutable {
                res.json_text(R"({"slow":true})");
                k();
            });
    });
    // Suspends and hands its continuation to the test: a request that does
    // not complete until the test says so.
    app.get("/never", [&probe](http::exchange& ex) {
        {
            std::lock_guard lock(probe.mutex);
            probe.held.emplace(ex.suspend());
        }
        probe.note_slow_start();
    });
    // Suspends and drops its continuation: a bug, answered with a 500.
    app.get("/dropped", [](http::exchange& ex) { auto k = ex.suspend(); });
    return app;
}

} // namespace http_test

#endif
