// The structured logger: the line's exact shape, levels filtered at run
// time, secrets redacted, the request's context carried into every line,
// and many threads (and a running server's requests) writing through one
// writer, every line whole and valid JSON.

#include "../http/support.hpp"

#include <apikit/core/clock_ref.hpp>
#include <apikit/obs.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace http_test;
namespace obs = apikit::obs;

namespace {

using lg_manual = apikit::manual_clock<std::chrono::system_clock>;
using lg_logger = obs::basic_logger<apikit::memory_sink, apikit::clock_ref<lg_manual>>;
using lg_writer = apikit::log_writer<apikit::memory_sink>;

// 2024-01-15T10:00:00.123Z
lg_manual::time_point const lg_t0 =
    lg_manual::time_point(std::chrono::milliseconds(1'705'312'800'123));

/// A writer that batches until flushed, for tests that read the lines back.
std::shared_ptr<lg_writer> lg_quiet_writer(apikit::memory_sink const& sink) {
    return std::make_shared<lg_writer>(
        sink, apikit::log_writer_options{.flush_bytes = 1 << 20,
                                         .flush_interval = std::chrono::hours(1)});
}

/// A logger on a manual clock, writing to memory through a writer that
/// batches until flushed.
struct lg_fixture {
    explicit lg_fixture(obs::level min) : log(writer, min, apikit::clock_ref(clock)) {}
    /// The lines written so far (flushed first).
    std::vector<std::string> lines() {
        writer->flush();
        return sink.lines();
    }
    apikit::memory_sink sink;
    lg_manual clock{lg_t0};
    std::shared_ptr<lg_writer> writer = lg_quiet_writer(sink);
    lg_logger log;
};

/// Checks that `line` is one JSON object with exactly the four members in
/// order (timestamp: RFC 3339 UTC with milliseconds; level: a level's name;
/// message: a string; context: an object), and returns it.
json::object lg_checked(std::string_view line) {
    auto const v = parse_json(line);
    REQUIRE(v.is_object());
    auto const& o = v.as_object();
    REQUIRE(o.size() == 4);
    auto it = o.begin();
    CHECK(it->key() == "timestamp");
    REQUIRE(it->value().is_string());
    std::string_view const ts = it->value().as_string();
    CHECK(ts.size() == 24);
    for (std::size_t i = 0; i < ts.size(); ++i) {
        char const want = "0000-00-00T00:00:00.000Z"[i];
        if (want == '0')
            CHECK_MESSAGE((ts[i] >= '0' && ts[i] <= '9'), ts);
        else
            CHECK_MESSAGE(ts[i] == want, ts);
    }
    ++it;
    CHECK(it->key() == "level");
    REQUIRE(it->value().is_string());
    CHECK(obs::parse_level(it->value().as_string()).has_value());
    CHECK(obs::to_string(*obs::parse_level(it->value().as_string())) == it->value().as_string());
    ++it;
    CHECK(it->key() == "message");
    CHECK(it->value().is_string());
    ++it;
    CHECK(it->key() == "context");
    CHECK(it->value().is_object());
    return o;
}

/// Something that carries a log context, as an exchange does, without HTTP.
struct lg_job {
    apikit::log_context ctx;
    apikit::log_context const& log_context() const noexcept { return ctx; }
};

// The carrier concept: its archetype, and a near miss (a log_context by a
// different name) that does not model it.
struct lg_carrier_archetype {
    apikit::log_context const& log_context() const;
};
struct lg_not_a_carrier {
    apikit::log_context const& context() const;
};
static_assert(obs::log_context_carrier<lg_carrier_archetype>);
static_assert(!obs::log_context_carrier<lg_not_a_carrier>);
static_assert(!obs::log_context_carrier<apikit::log_context>);
static_assert(obs::log_context_carrier<http::exchange>);

} // namespace

TEST_CASE("logger writes the reference's line exactly") {
    apikit::log_context ctx;
    ctx.set("request_id", "req_abc");
    ctx.set("user_id", "user_42");
    std::string line;
    lg_logger::format(line, lg_t0, obs::level::info, "Order placed", {}, ctx,
                      {{"order_id", "order_7"}, {"duration_ms", 234}});
    CHECK(line ==
          R"({"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"Order placed",)"
          R"("context":{"request_id":"req_abc","user_id":"user_42","order_id":"order_7",)"
          R"("duration_ms":234}})"
          "\n");
    lg_checked(line);

    line.clear();
    lg_logger::format(line, lg_t0, obs::level::warn, "no context", {}, {});
    CHECK(line == R"({"timestamp":"2024-01-15T10:00:00.123Z","level":"warn",)"
                  R"("message":"no context","context":{}})"
                  "\n");

    // A request id from the carrier comes first; a call's field replaces
    // the context's member of the same key.
    line.clear();
    lg_logger::format(line, lg_t0, obs::level::error, "say \"why\"\n", "req_1", ctx,
                      {{"user_id", "user_43"}});
    CHECK(line == R"({"timestamp":"2024-01-15T10:00:00.123Z","level":"error",)"
                  R"("message":"say \"why\"\n","context":{"request_id":"req_abc",)"
                  R"("user_id":"user_43"}})"
                  "\n");
    line.clear();
    apikit::log_context other;
    other.set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    lg_logger::format(line, lg_t0, obs::level::debug, "m", "req_1", other, {{"k", nullptr}});
    CHECK(lg_checked(line).at("context").as_object() ==
          json::object{{"request_id", "req_1"},
                       {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
                       {"k", nullptr}});
}

TEST_CASE("logger: levels below the minimum are dropped, and the minimum changes at run time") {
    lg_fixture f(obs::level::info);
    auto& log = f.log;
    CHECK(log.min_level() == obs::level::info);
    CHECK_FALSE(log.enabled(obs::level::debug));
    CHECK(log.enabled(obs::level::warn));
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.min_level(obs::level::trace);
    log.trace("t2");
    log.debug("d2");
    log.min_level(obs::level::error);
    log.warn("w2");
    log.log(obs::level::error, "e2");
    std::vector<std::string> seen;
    for (auto const& l : f.lines()) {
        auto const o = lg_checked(l);
        seen.push_back(std::string(o.at("level").as_string()) + ":" +
                       std::string(o.at("message").as_string()));
    }
    CHECK(seen == std::vector<std::string>{"info:i", "warn:w", "error:e", "trace:t2", "debug:d2",
                                           "error:e2"});
}

TEST_CASE("logger: a fatal line is written before the call returns") {
    lg_fixture f(obs::level::info);
    f.log.error("batched");
    CHECK(f.sink.writes() == 0); // the writer batches for an hour
    f.log.fatal("going down", {{"reason", "disk"}});
    auto const lines = f.sink.lines(); // not flushed by the test
    REQUIRE(lines.size() == 2);
    CHECK(lg_checked(lines[1]).at("level") == "fatal");
}

TEST_CASE("logger: secrets are redacted in the context and in the call's fields") {
    lg_fixture f(obs::level::trace);
    lg_job job;
    job.ctx.set("Authorization", "Bearer eyJsecret");
    job.ctx.set("user_id", "user_1");
    f.log.info(job, "login",
               {{"password", "hunter2"},
                {"refresh_token", "rt_secret"},
                {"Set-Cookie", "sid=secret"},
                {"api_key", 12345},
                {"email", "ada@example.com"}});
    auto const lines = f.lines();
    auto const text = f.sink.text();
    for (auto const* secret : {"eyJsecret", "hunter2", "rt_secret", "sid=secret", "12345"})
        CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
    auto const ctx = lg_checked(lines.at(0)).at("context").as_object();
    CHECK(ctx.at("Authorization") == "[REDACTED]");
    CHECK(ctx.at("password") == "[REDACTED]");
    CHECK(ctx.at("refresh_token") == "[REDACTED]");
    CHECK(ctx.at("Set-Cookie") == "[REDACTED]");
    CHECK(ctx.at("api_key") == "[REDACTED]");
    CHECK(ctx.at("user_id") == "user_1");
    CHECK(ctx.at("email") == "ada@example.com");
}

TEST_CASE("logger: a field set once in the request's context is in every later line") {
    lg_fixture f(obs::level::info);
    auto& log = f.log;
    lg_job job;
    job.ctx.set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    log.info(job, "started");
    job.ctx.set("order_id", "order_7");
    log.info(job, "charged", {{"amount_cents", 1299}});
    f.clock.advance(std::chrono::milliseconds(5));
    log.warn(job.ctx, "slow", {{"duration_ms", 234.5}});
    log.info("outside the request");
    auto const lines = f.lines();
    REQUIRE(lines.size() == 4);
    auto const c0 = lg_checked(lines[0]).at("context").as_object();
    CHECK(c0 == json::object{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}});
    for (std::size_t i : {1u, 2u}) {
        auto const c = lg_checked(lines[i]).at("context").as_object();
        CHECK(c.at("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736");
        CHECK(c.at("order_id") == "order_7");
    }
    CHECK(lg_checked(lines[1]).at("context").at("amount_cents") == 1299);
    auto const third = lg_checked(lines[2]);
    CHECK(third.at("context").at("duration_ms") == 234.5);
    CHECK(third.at("timestamp") == "2024-01-15T10:00:00.128Z");
    CHECK(lg_checked(lines[3]).at("context").as_object().empty());
}

TEST_CASE("logger: threads logging through one writer, every line whole and valid") {
    constexpr int threads = 4, per_thread = 500;
    apikit::memory_sink sink;
    {
        // Small batches, so the flusher writes while the threads append.
        auto const writer = std::make_shared<lg_writer>(
            sink, apikit::log_writer_options{.flush_bytes = 4096,
                                             .flush_interval = std::chrono::milliseconds(1)});
        obs::basic_logger<apikit::memory_sink> log(writer, obs::level::info);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&log, t] {
                lg_job job;
                job.ctx.set("thread", t);
                job.ctx.set("token", "tok_secret");
                for (int i = 0; i < per_thread; ++i) {
                    job.ctx.set("i", i);
                    log.info(job, "line \"quoted\"\n", {{"password", "hunter2"}, {"n", i}});
                }
            });
        for (auto& w : workers)
            w.join();
        CHECK(writer->dropped_lines() == 0);
    } // the writer writes the rest as it goes
    auto const lines = sink.lines();
    REQUIRE(lines.size() == threads * per_thread);
    std::vector<int> next(threads, 0);
    for (auto const& l : lines) {
        CHECK(l.find("hunter2") == std::string::npos);
        CHECK(l.find("tok_secret") == std::string::npos);
        auto const ctx = lg_checked(l).at("context").as_object();
        auto const t = static_cast<int>(ctx.at("thread").as_int64());
        REQUIRE((t >= 0 && t < threads));
        CHECK(ctx.at("i") == next[static_cast<std::size_t>(t)]++); // each thread's in its order
        CHECK(ctx.at("n") == ctx.at("i"));
    }
}

TEST_CASE("logger and access log share a writer: a server's requests, lines whole and in context") {
    apikit::memory_sink sink;
    auto const writer = std::make_shared<lg_writer>(
        sink, apikit::log_writer_options{.flush_bytes = 4096,
                                         .flush_interval = std::chrono::milliseconds(1)});
    obs::basic_logger<apikit::memory_sink> log(writer, obs::level::info);
    constexpr int clients = 4, requests = 25;
    {
        http::app app;
        app.post("/orders/:id", [&log](http::exchange& ex) {
            // Once set, in every later line of the request, the access log's too.
            ex.log_context().set("order_id", ex.request().param("id").value());
            ex.log_context().set("cookie", "sid=secret");
            log.info(ex, "Order placed", {{"duration_ms", 234}});
            log.debug(ex, "not at info");
            log.warn(ex, "Stock low");
            ex.response().status(201);
        });
        running_server server(test_options(),
                              http::chain{http::request_id{},
                                          http::access_log<apikit::memory_sink>(writer),
                                          std::move(app)});
        std::vector<std::thread> threads;
        std::atomic<int> created{0};
        for (int c = 0; c < clients; ++c)
            threads.emplace_back([&, c] {
                client cl(server.port());
                for (int i = 0; i < requests; ++i) {
                    apikit_test::http_request req(bhttp::verb::post,
                                                  "/orders/o" + std::to_string(c * 100 + i), 11);
                    created += cl.request(std::move(req)).result_int() == 201;
                }
            });
        for (auto& t : threads)
            t.join();
        CHECK(created == clients * requests);
    }
    writer->flush();
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 3 * clients * requests);
    // Per request id: the two logger lines and the access line, all with the order.
    std::map<std::string, std::vector<std::string>> by_request;
    std::set<std::string> orders;
    for (auto const& l : lines) {
        CHECK(l.find("sid=secret") == std::string::npos);
        auto const o = lg_checked(l);
        auto const& ctx = o.at("context").as_object();
        REQUIRE(ctx.contains("request_id"));
        CHECK(ctx.at("cookie") == "[REDACTED]");
        std::string const order(ctx.at("order_id").as_string());
        orders.insert(order);
        by_request[std::string(ctx.at("request_id").as_string())].push_back(
            std::string(o.at("message").as_string()) + " " + order);
    }
    CHECK(orders.size() == std::size_t{clients * requests});
    CHECK(by_request.size() == std::size_t{clients * requests});
    for (auto const& [id, messages] : by_request) {
        REQUIRE(messages.size() == 3);
        auto const order = messages[0].substr(messages[0].rfind(' ') + 1);
        CHECK(messages == std::vector<std::string>{"Order placed " + order, "Stock low " + order,
                                                   "request " + order});
    }
}
