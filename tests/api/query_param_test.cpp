// api/query_param.hpp and parse_limit: bounded integer query parameters.
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/api/query_param.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string_view>

namespace api = apikit::api;

namespace {

// A bad value: one 422 validation_error whose details name `field`.
void check_rejected(api::api_result<std::size_t> const& r, std::string_view field) {
    REQUIRE(r.has_error());
    auto const& e = r.error();
    CHECK(e.code == apikit::errc::validation_error);
    CHECK(e.status() == 422);
    REQUIRE(e.details.size() == 1);
    CHECK(e.details[0].field == field);
    CHECK_FALSE(e.details[0].message.empty());
}

} // namespace

TEST_CASE("limit: absent is 20, 1 to 100 are taken as written") {
    CHECK(api::parse_limit(std::nullopt).value() == 20);
    CHECK(api::parse_limit("1").value() == 1);
    CHECK(api::parse_limit("20").value() == 20);
    CHECK(api::parse_limit("100").value() == 100);
    CHECK(api::parse_limit("007").value() == 7);
}

TEST_CASE("limit: anything else is a validation error naming `limit`") {
    std::string_view const bad_values[] = {"0",
                                           "-1",
                                           "101",
                                           "abc",
                                           "1.5",
                                           "",
                                           " 1",
                                           "1 ",
                                           "+1",
                                           "1e2",
                                           "0x10",
                                           "٣",
                                           "10%",
                                           "1,2",
                                           "99999999999999999999",
                                           "18446744073709551616",
                                           "184467440737095516160000",
                                           "000000000000000000001",
                                           std::string_view("1\0", 2)};
    for (auto const bad : bad_values) {
        CAPTURE(bad);
        check_rejected(api::parse_limit(bad), "limit");
    }
    auto const r = api::parse_limit("101");
    CHECK(r.error().details[0].message == "must be an integer from 1 to 100");
    CHECK(api::render(r.error()).find(R"("field":"limit")") != std::string::npos);
}

TEST_CASE("integer_param: its own bounds and default") {
    constexpr api::integer_param depth{"depth", 0, 5, 2};
    CHECK(depth.parse(std::nullopt).value() == 2);
    CHECK(depth.parse("0").value() == 0);
    CHECK(depth.parse("5").value() == 5);
    CHECK(depth.parse("6").has_error());
    CHECK(depth.error().field == "depth");
    CHECK(depth.error().message == "must be an integer from 0 to 5");
    CHECK(api::page_param.error().message == "must be an integer of at least 1");
    CHECK(api::page_param.parse("9223372036854775807").value() == 9223372036854775807u);
    CHECK(api::page_param.parse("9223372036854775808").has_error());
}

TEST_CASE("integer_param: inconsistent bounds are rejected at construction") {
    CHECK_THROWS_AS(api::integer_param("x", 5, 1, 3), std::invalid_argument);
    CHECK_THROWS_AS(api::integer_param("x", 1, 5, 0), std::invalid_argument);
    CHECK_THROWS_AS(api::integer_param("x", 1, 5, 6), std::invalid_argument);
    CHECK_THROWS_AS(api::integer_param("", 1, 5, 1), std::invalid_argument);
    CHECK_THROWS_AS(api::integer_param("x", 0, api::integer_param::unbounded + 1, 0),
                    std::invalid_argument);
    CHECK_NOTHROW(api::integer_param("x", 3, 3, 3));
}
