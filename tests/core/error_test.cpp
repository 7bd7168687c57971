#include <apikit/core/error.hpp>

#include <doctest/doctest.h>

#include <boost/system/errc.hpp>

#include <set>
#include <string>

TEST_CASE("every errc has one status, one code and one message") {
    std::set<std::string_view> codes;
    for (int v = 1; v <= static_cast<int>(apikit::errc::service_unavailable); ++v) {
        auto const e = static_cast<apikit::errc>(v);
        auto const& row = apikit::info(e);
        CAPTURE(row.code);
        CHECK(row.status >= 400);
        CHECK(row.status <= 599);
        CHECK_FALSE(row.message.empty());
        CHECK(codes.insert(row.code).second); // envelope codes are unique
        for (char c : row.code)
            CHECK(((c >= 'a' && c <= 'z') || c == '_')); // snake_case, stable for clients
    }
}

TEST_CASE("the codes clients rely on map to their statuses") {
    using apikit::errc;
    struct row {
        errc e;
        unsigned status;
        std::string_view code;
    };
    row const rows[] = {
        {errc::validation_error, 422, "validation_error"},
        {errc::malformed_request, 400, "malformed_request"},
        {errc::invalid_cursor, 400, "invalid_cursor"},
        {errc::not_found, 404, "not_found"},
        {errc::method_not_allowed, 405, "method_not_allowed"},
        {errc::conflict, 409, "conflict"},
        {errc::payload_too_large, 413, "payload_too_large"},
        {errc::unsupported_media_type, 415, "unsupported_media_type"},
        {errc::rate_limited, 429, "rate_limited"},
        {errc::headers_too_large, 431, "headers_too_large"},
        {errc::internal_error, 500, "internal_error"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.code);
        CHECK(apikit::info(r.e).status == r.status);
        CHECK(apikit::info(r.e).code == r.code);
        CHECK(apikit::http_status(make_error_code(r.e)) == r.status);
    }
    CHECK(apikit::info(errc::validation_error).message == "Invalid request parameters");
}

TEST_CASE("errc converts to boost::system::error_code in apikit's category") {
    boost::system::error_code ec = apikit::errc::conflict;
    CHECK(ec.category() == apikit::error_category());
    CHECK(std::string(ec.category().name()) == "apikit");
    CHECK(ec == apikit::errc::conflict);
    CHECK(ec != apikit::errc::not_found);
    CHECK(ec.message() == apikit::info(apikit::errc::conflict).message);
    char buf[8];
    CHECK(std::string(ec.category().message(ec.value(), buf, sizeof buf)) == "The req");
    CHECK(apikit::to_errc(ec) == apikit::errc::conflict);
}

TEST_CASE("a foreign error code is an internal error, never its own text") {
    auto const foreign = make_error_code(boost::system::errc::connection_refused);
    CHECK(apikit::to_errc(foreign) == apikit::errc::internal_error);
    CHECK(apikit::http_status(foreign) == 500);
    // Out-of-range values in apikit's category are treated the same way.
    boost::system::error_code const bogus(999, apikit::error_category());
    CHECK(apikit::to_errc(bogus) == apikit::errc::internal_error);
    CHECK(apikit::info(static_cast<apikit::errc>(999)).status == 500);
}

TEST_CASE("result<T> carries a value or an apikit error") {
    auto parse = [](int x) -> apikit::result<int> {
        if (x < 0)
            return apikit::errc::validation_error;
        return x * 2;
    };
    CHECK(parse(21).value() == 42);
    auto const r = parse(-1);
    REQUIRE(r.has_error());
    CHECK(r.error() == apikit::errc::validation_error);
}
