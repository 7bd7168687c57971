// obs::access_log: the access log bound to a logger — its writer, its clock
// and its minimum level, changed at run time for both at once.

#include "../http/support.hpp"

#include <apikit/core/clock_ref.hpp>
#include <apikit/obs/access_log.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace obs_access_log_test {

namespace obs = apikit::obs;
using al_manual = apikit::manual_clock<std::chrono::system_clock>;
using al_clock = apikit::clock_ref<al_manual>;
using al_logger = obs::basic_logger<apikit::memory_sink, al_clock>;
using al_writer = apikit::log_writer<apikit::memory_sink>;

struct al_fixture {
    al_fixture()
        : writer(std::make_shared<al_writer>(
              sink, apikit::log_writer_options{.flush_bytes = 1 << 20,
                                               .flush_interval = std::chrono::hours(1)}))
        , logger(std::make_shared<al_logger>(writer, obs::level::info, al_clock(clock)))
        , log(logger) {}

    std::vector<std::string> lines() {
        writer->flush();
        return sink.lines();
    }
    /// One exchange answered with `status`, through the access log.
    void respond(unsigned status) {
        http_test::exchange_harness h;
        h.load("GET /users/7 HTTP/1.1\r\nHost: h\r\n\r\n");
        h.res().status(status);
        log.on_response(h.ex());
    }

    apikit::memory_sink sink;
    // 2024-01-15T10:00:00.123Z
    al_manual clock{al_manual::time_point(std::chrono::milliseconds(1'705'312'800'123))};
    std::shared_ptr<al_writer> writer;
    std::shared_ptr<al_logger> logger;
    obs::access_log<apikit::memory_sink, al_clock> log;
};

TEST_CASE("obs::access_log writes through its logger's writer, stamped by its clock") {
    al_fixture f;
    f.logger->info("before");
    f.respond(200);
    f.logger->info("after");
    auto const lines = f.lines();
    REQUIRE(lines.size() == 3);
    // One writer: the three lines in the order they were written.
    CHECK(lines[0].find(R"("message":"before")") != std::string::npos);
    CHECK(lines[1].find(R"("level":"info","message":"request")") != std::string::npos);
    CHECK(lines[2].find(R"("message":"after")") != std::string::npos);
    CHECK(lines[1].starts_with(R"({"timestamp":"2024-01-15T10:00:00.123Z",)"));
}

TEST_CASE("obs::access_log honours the logger's minimum level, changed at run time") {
    al_fixture f;
    f.logger->min_level(obs::level::warn);
    f.respond(200); // info: not written
    f.respond(503); // error: written
    f.logger->min_level(obs::level::info);
    f.respond(404); // info again
    f.logger->min_level(obs::level::fatal);
    f.respond(500); // error below fatal: not written
    auto const lines = f.lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(R"("level":"error")") != std::string::npos);
    CHECK(lines[0].find(R"("status":503)") != std::string::npos);
    CHECK(lines[1].find(R"("status":404)") != std::string::npos);
    CHECK(obs::access_log<>::level_of(499) == obs::level::info);
    CHECK(obs::access_log<>::level_of(500) == obs::level::error);
}

TEST_CASE("obs::access_log without a logger is refused at construction") {
    using log_t = obs::access_log<apikit::memory_sink, al_clock>;
    CHECK_THROWS_AS(log_t(std::shared_ptr<al_logger const>{}), std::invalid_argument);
}

} // namespace obs_access_log_test
