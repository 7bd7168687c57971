#include <apikit/core/timestamp.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <string>

using namespace std::chrono;

namespace {

sys_time<milliseconds> at_ms(std::int64_t ms) {
    return sys_time<milliseconds>(milliseconds(ms));
}

} // namespace

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds") {
    CHECK(apikit::format_rfc3339_ms(at_ms(0)) == "1970-01-01T00:00:00.000Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(1'705'312'800'123)) == "2024-01-15T10:00:00.123Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(951'782'400'000)) == "2000-02-29T00:00:00.000Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(4'107'542'399'999)) == "2100-02-28T23:59:59.999Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(-1)) == "1969-12-31T23:59:59.999Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(253'402'300'799'999)) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("timestamps take the system clock's own time points") {
    auto const t = system_clock::time_point(milliseconds(1'705'312'800'123));
    CHECK(apikit::format_rfc3339_ms(t) == "2024-01-15T10:00:00.123Z");
}

TEST_CASE("timestamps truncate sub-millisecond time, never round up") {
    auto const t = system_clock::time_point(milliseconds(1'705'312'800'123) + microseconds(999));
    CHECK(apikit::format_rfc3339_ms(t) == "2024-01-15T10:00:00.123Z");
}

TEST_CASE("timestamps outside years 0000-9999 clamp instead of writing garbage") {
    CHECK(apikit::format_rfc3339_ms(at_ms(253'402'300'800'000)) == "9999-12-31T23:59:59.999Z");
    CHECK(apikit::format_rfc3339_ms(at_ms(-62'200'000'000'000)) == "0000-01-01T00:00:00.000Z");
}

TEST_CASE("timestamps agree with gmtime_r across many days") {
    for (std::int64_t day = -800; day < 60'000; day += 7) {
        std::time_t const secs = day * 86'400 + 3'723;
        std::tm tm{};
        REQUIRE(::gmtime_r(&secs, &tm) != nullptr);
        char expected[32];
        std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S.042Z", &tm);
        CHECK(apikit::format_rfc3339_ms(at_ms(secs * 1000 + 42)) == expected);
    }
}

TEST_CASE("append_rfc3339_ms appends") {
    std::string s = "at ";
    apikit::append_rfc3339_ms(s, at_ms(0));
    CHECK(s == "at 1970-01-01T00:00:00.000Z");
    CHECK(s.size() == 3 + apikit::rfc3339_ms_size);
}

TEST_CASE("rfc3339_ms_cache writes what write_rfc3339_ms writes, in any order of times") {
    apikit::rfc3339_ms_cache cache;
    auto const same = [&cache](auto t) {
        char cached[apikit::rfc3339_ms_size];
        char direct[apikit::rfc3339_ms_size];
        CHECK(cache.write(cached, t) == cached + sizeof cached);
        CHECK(apikit::write_rfc3339_ms(direct, t) == direct + sizeof direct);
        CHECK(std::string_view(cached, sizeof cached) == std::string_view(direct, sizeof direct));
    };
    // The same second, the next, a step back, before 1970 (negative
    // milliseconds), and past either end of what RFC 3339 can write.
    for (std::int64_t ms :
         {1'705'312'800'123LL, 1'705'312'800'999LL, 1'705'312'801'000LL, 1'705'312'800'000LL, 0LL,
          -1LL, -999LL, -1'000LL, -1'001LL, 253'402'300'799'999LL, 253'402'300'800'000LL,
          -62'167'219'200'000LL, -62'167'219'200'001LL, 1'705'312'800'123LL})
        same(at_ms(ms));
    same(sys_time<seconds>(seconds(1'705'312'800)));
    same(system_clock::time_point(milliseconds(1'705'312'800'123) + microseconds(999)));
}
