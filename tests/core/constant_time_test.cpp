#include <apikit/core/constant_time.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("constant_time_equal compares contents and lengths") {
    CHECK(apikit::constant_time_equal("", ""));
    CHECK(apikit::constant_time_equal("secret", "secret"));
    CHECK_FALSE(apikit::constant_time_equal("secret", "secreT"));
    CHECK_FALSE(apikit::constant_time_equal("secret", "Secret"));
    CHECK_FALSE(apikit::constant_time_equal("secret", "secret "));
    CHECK_FALSE(apikit::constant_time_equal("", "x"));
    std::string const a("a\0b", 3), b("a\0c", 3);
    CHECK_FALSE(apikit::constant_time_equal(a, b)); // embedded NULs are bytes like any other
    CHECK(apikit::constant_time_equal(a, std::string("a\0b", 3)));
}
