#include <apikit/core/error.hpp>
#include <apikit/core/error_category.hpp>

#include <doctest/doctest.h>

#include <boost/system/errc.hpp>
#include <boost/system/system_category.hpp>

#include <array>
#include <cerrno>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

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
        {errc::not_implemented, 501, "not_implemented"},
        {errc::service_unavailable, 503, "service_unavailable"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.code);
        CHECK(apikit::info(r.e).status == r.status);
        CHECK(apikit::info(r.e).code == r.code);
        CHECK(apikit::http_status(make_error_code(r.e)) == r.status);
        CHECK(apikit::to_errc(make_error_code(r.e)) == r.e);
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

// An area's codes as an area declares them: an enum, its table, and
// make_error_code brought into the enum's namespace.
// [area-table]
namespace sample {
enum class failure : int { unreachable = 1, refused, bad_input };
} // namespace sample

template <>
struct apikit::error_table<sample::failure> {
    static constexpr char const* name = "sample";
    static constexpr std::uint64_t id = 0x51d2c0a7e94b3f18;
    static constexpr std::string_view unknown = "sample: unknown error";
    static constexpr std::array<error_row<sample::failure>, 3> rows{{
        {sample::failure::unreachable, "sample: the store did not answer",
         errc::service_unavailable, condition::backend_unavailable},
        {sample::failure::refused, "sample: the store refused", errc::forbidden},
        {sample::failure::bad_input, "sample: bad input", errc::validation_error},
    }};
};

namespace sample {
using apikit::make_error_code;
} // namespace sample
// [area-table]

// Near misses: an enum with no table, and one whose table lacks the message
// of an unknown value.
namespace sample {
enum class untabled : int { x = 1 };
enum class half_tabled : int { x = 1 };
} // namespace sample

template <>
struct apikit::error_table<sample::half_tabled> {
    static constexpr char const* name = "half";
    static constexpr std::uint64_t id = 1;
    static constexpr std::array<error_row<sample::half_tabled>, 1> rows{{
        {sample::half_tabled::x, "x", errc::internal_error},
    }};
};

static_assert(apikit::error_enum<sample::failure>);
static_assert(boost::system::is_error_code_enum<sample::failure>::value);
static_assert(!apikit::error_enum<sample::untabled>);
static_assert(!boost::system::is_error_code_enum<sample::untabled>::value);
static_assert(!apikit::error_enum<sample::half_tabled>);
static_assert(!apikit::error_enum<apikit::errc>); // apikit's own codes have a category of their own

TEST_CASE("an area's table gives its enum a category, messages and codes") {
    boost::system::error_code const ec = sample::failure::refused;
    CHECK(ec.category() == apikit::error_category_of<sample::failure>());
    CHECK(std::string(ec.category().name()) == "sample");
    CHECK(ec == sample::failure::refused);
    CHECK(ec != sample::failure::unreachable);
    CHECK(ec != apikit::errc::forbidden); // a code of another category, however it is answered
    CHECK(ec.message() == "sample: the store refused");
    char buf[12];
    CHECK(std::string(ec.category().message(ec.value(), buf, sizeof buf)) == "sample: the");
    CHECK(ec.category().message(0, buf, 0) == buf); // no room, nothing written
    CHECK(ec.category().message(99) == "sample: unknown error");
}

TEST_CASE("an area's category is one, by its id, whatever object holds it") {
    apikit::table_error_category<sample::failure> const another;
    CHECK(another == apikit::error_category_of<sample::failure>());
    boost::system::error_code const ec(2, another);
    CHECK(ec == sample::failure::refused);
    CHECK(apikit::to_errc(ec) == apikit::errc::forbidden);
}

TEST_CASE("an area's code is answered with its row's errc, and nothing else") {
    CHECK(apikit::to_errc(sample::failure::unreachable) == apikit::errc::service_unavailable);
    CHECK(apikit::http_status(sample::failure::unreachable) == 503);
    CHECK(apikit::to_errc(sample::failure::refused) == apikit::errc::forbidden);
    CHECK(apikit::http_status(sample::failure::bad_input) == 422);
    boost::system::error_code const bogus(99, apikit::error_category_of<sample::failure>());
    CHECK(apikit::to_errc(bogus) == apikit::errc::internal_error);
}

TEST_CASE("backend_unavailable holds the codes whose rows put them in it") {
    using apikit::condition;
    boost::system::error_code const down = sample::failure::unreachable;
    CHECK(down == condition::backend_unavailable);
    CHECK(condition::backend_unavailable == down);
    CHECK(make_error_code(sample::failure::refused) != condition::backend_unavailable);
    CHECK(make_error_code(sample::failure::bad_input) != condition::backend_unavailable);
    boost::system::error_code const bogus(99, apikit::error_category_of<sample::failure>());
    CHECK(bogus != condition::backend_unavailable);
    // A 503 of apikit's own (a server shutting down) is not a backend's failure.
    CHECK(make_error_code(apikit::errc::service_unavailable) != condition::backend_unavailable);
}

TEST_CASE("backend_unavailable holds the system's ways of not reaching a peer") {
    using apikit::condition;
    namespace bs = boost::system;
    for (int e : {ECONNREFUSED, ECONNRESET, ECONNABORTED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
                  ENETDOWN, EPIPE, ENOTCONN}) {
        CAPTURE(e);
        CHECK(bs::error_code(e, bs::system_category()) == condition::backend_unavailable);
        CHECK(bs::error_code(e, bs::generic_category()) == condition::backend_unavailable);
    }
    for (int e : {EINVAL, ECANCELED, ENOMEM, EACCES}) {
        CAPTURE(e);
        CHECK(bs::error_code(e, bs::system_category()) != condition::backend_unavailable);
    }
    CHECK(bs::error_code() != condition::backend_unavailable);
    auto const c = make_error_condition(condition::backend_unavailable);
    CHECK(std::string(c.category().name()) == "apikit.condition");
    CHECK(c.message() == "a backend did not answer (not connected, timed out, or unreachable)");
}
