// api/method.hpp: the method enum, its tokens and the Allow set.
#include <apikit/api/method.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string_view>

namespace api = apikit::api;

TEST_CASE("every method round-trips through its token") {
    for (std::size_t i = 0; i < api::method_count; ++i) {
        auto const m = static_cast<api::method>(i);
        CAPTURE(api::to_string(m));
        CHECK(api::parse_method(api::to_string(m)) == m);
    }
    CHECK(api::to_string(api::method::delete_) == "DELETE");
    CHECK(api::to_string(api::method::patch) == "PATCH");
}

TEST_CASE("method tokens are case-sensitive, and unknown ones are not methods") {
    for (std::string_view t :
         {"get", "Get", "", " GET", "GET ", "TRACE", "CONNECT", "PROPFIND", "DELETE_", "GETS"}) {
        CAPTURE(t);
        CHECK_FALSE(api::parse_method(t).has_value());
    }
}

TEST_CASE("method_set holds methods and writes the Allow field value in a fixed order") {
    api::method_set s;
    CHECK(s.empty());
    CHECK(s.to_string().empty());
    s.insert(api::method::post);
    s.insert(api::method::get);
    s.insert(api::method::get);
    CHECK(s.size() == 2);
    CHECK(s.contains(api::method::get));
    CHECK_FALSE(s.contains(api::method::head));
    CHECK(s.to_string() == "GET, POST");

    api::method_set const all{api::method::options, api::method::delete_, api::method::patch,
                              api::method::put,     api::method::post,    api::method::head,
                              api::method::get};
    CHECK(all.size() == api::method_count);
    CHECK(all.to_string() == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    CHECK(all != s);
    CHECK(api::method_set{api::method::post, api::method::get} == s);
}

TEST_CASE("methods and method sets print with fmt") {
    CHECK(fmt::format("{}", api::method::delete_) == "DELETE");
    CHECK(fmt::format("{:>5}", api::method::get) == "  GET");
    CHECK(fmt::format("Allow: {}", api::method_set{api::method::get, api::method::head}) ==
          "Allow: GET, HEAD");
}
