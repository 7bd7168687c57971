// Log levels: their names as lines write them, parsing a name as
// `--log-level` does, and their order (a minimum keeps the graver ones).

#include <apikit/obs/level.hpp>

#include <doctest/doctest.h>

#include <string_view>

namespace obs = apikit::obs;

TEST_CASE("level: the names in lower case, and back") {
    struct row {
        obs::level l;
        std::string_view name;
    };
    for (auto const& r : {row{obs::level::trace, "trace"}, row{obs::level::debug, "debug"},
                          row{obs::level::info, "info"}, row{obs::level::warn, "warn"},
                          row{obs::level::error, "error"}, row{obs::level::fatal, "fatal"}}) {
        CHECK(obs::to_string(r.l) == r.name);
        CHECK(obs::parse_level(r.name) == r.l);
    }
}

TEST_CASE("parse_level: any case, warning for warn, nothing else") {
    CHECK(obs::parse_level("INFO") == obs::level::info);
    CHECK(obs::parse_level("Debug") == obs::level::debug);
    CHECK(obs::parse_level("warning") == obs::level::warn);
    CHECK(obs::parse_level("WARNING") == obs::level::warn);
    for (auto const* bad : {"", "inf", "infos", " info", "info ", "critical", "err", "verbose"})
        CHECK_MESSAGE(!obs::parse_level(bad), bad);
    static_assert(obs::parse_level("error") == obs::level::error); // usable at compile time
}

TEST_CASE("level: ordered from the most detailed to the gravest") {
    CHECK(obs::level::trace < obs::level::debug);
    CHECK(obs::level::debug < obs::level::info);
    CHECK(obs::level::info < obs::level::warn);
    CHECK(obs::level::warn < obs::level::error);
    CHECK(obs::level::error < obs::level::fatal);
}
