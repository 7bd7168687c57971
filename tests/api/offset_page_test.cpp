// api/offset_page.hpp: the offset page and its `page` / `per_page` parameters.
#include <apikit/api/offset_page.hpp>

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace api = apikit::api;

namespace {

struct person {
    std::int64_t id;
    std::string name;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, person const& u) {
    jv = {{"id", u.id}, {"name", u.name}};
}

std::vector<std::string> fields_of(api::api_error const& e) {
    std::vector<std::string> out;
    for (auto const& d : e.details)
        out.push_back(d.field);
    return out;
}

} // namespace

TEST_CASE("an offset page serializes as {data, total, page, per_page}") {
    api::offset_page<person> const page{{{1, "Ada"}, {2, "Grace"}}, 1234, 2, 20};
    CHECK(
        boost::json::serialize(boost::json::value_from(page)) ==
        R"({"data":[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}],"total":1234,"page":2,"per_page":20})");
    CHECK(boost::json::serialize(boost::json::value_from(api::offset_page<int>{})) ==
          R"({"data":[],"total":0,"page":1,"per_page":20})");
}

TEST_CASE("page and per_page: defaults, bounds and the offset") {
    auto const d = api::parse_offset_query(std::nullopt, std::nullopt).value();
    CHECK(d.page == 1);
    CHECK(d.per_page == 20);
    CHECK(d.offset() == 0);

    auto const q = api::parse_offset_query("3", "50").value();
    CHECK(q.page == 3);
    CHECK(q.per_page == 50);
    CHECK(q.offset() == 100);

    CHECK(api::parse_offset_query("1", "1").value().offset() == 0);
    CHECK(api::parse_offset_query("1", "100").value().per_page == 100);
}

TEST_CASE("page and per_page: bad values name their fields, both at once") {
    for (std::string_view bad : {"0", "-1", "abc", "1.5", "", " 2", "99999999999999999999"}) {
        CAPTURE(bad);
        auto const r = api::parse_offset_query(bad, std::nullopt);
        REQUIRE(r.has_error());
        CHECK(r.error().code == apikit::errc::validation_error);
        CHECK(fields_of(r.error()) == std::vector<std::string>{"page"});
    }
    for (std::string_view bad : {"0", "101", "-5", "x", "", "20.0"}) {
        CAPTURE(bad);
        auto const r = api::parse_offset_query("2", bad);
        REQUIRE(r.has_error());
        CHECK(fields_of(r.error()) == std::vector<std::string>{"per_page"});
    }
    auto const both = api::parse_offset_query("0", "101");
    REQUIRE(both.has_error());
    CHECK(fields_of(both.error()) == std::vector<std::string>{"page", "per_page"});
}

TEST_CASE("a page whose offset would overflow is a bad page, never a wrapped offset") {
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    // (page - 1) * per_page must fit a signed 64-bit OFFSET.
    auto const last_ok = std::to_string(max / 100 + 1);
    auto const ok = api::parse_offset_query(last_ok, "100");
    REQUIRE(ok.has_value());
    CHECK(ok->offset() <= max);
    CHECK(ok->offset() == (max / 100) * 100);

    auto const too_far = api::parse_offset_query(std::to_string(max / 100 + 2), "100");
    REQUIRE(too_far.has_error());
    CHECK(fields_of(too_far.error()) == std::vector<std::string>{"page"});
    CHECK(too_far.error().details[0].message == "is too large");

    auto const huge = api::parse_offset_query(std::to_string(max), "2");
    REQUIRE(huge.has_error());
    CHECK(fields_of(huge.error()) == std::vector<std::string>{"page"});
    // per_page 1 reaches every page the parameter allows.
    CHECK(api::parse_offset_query(std::to_string(max), "1").value().offset() == max - 1);
}
