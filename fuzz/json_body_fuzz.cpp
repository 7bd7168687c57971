// A JSON request body, whatever its bytes, through http::read_json and
// read_json_object (http/json.hpp), judged against an oracle written apart
// from them: a pass over the same bytes with Boost.JSON's event parser, no
// depth limit, that sees every member name of every object. Properties: no
// crash; a body is accepted exactly when it is JSON, nests at most
// max_json_depth deep and has no name twice in one object; an accepted value
// round-trips through Boost.JSON, holds only UTF-8 text and is read again
// the same by parse_json_body; a refused one is a 400 `malformed_request`
// (a 415 when the media type is not JSON) whose message names the rule, and
// the member for a duplicate.
#include "fuzz.hpp"

#include <apikit/http/json.hpp>
#include <apikit/http/message.hpp>
#include <apikit/http/request.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace http = apikit::http;
namespace json = boost::json;
using apikit_fuzz::require;

using apikit::http::detail::is_utf8;

namespace {

// What the oracle saw of a body: whether it is one JSON text, how deep it
// nests, the first member name that came twice in one object, and which
// came first of nesting too deep and a number past a double's range (read by
// strtod), either of which stops the parser under test.
enum class stop { none, too_deep, out_of_range };

struct oracle {
    using error_code = json::error_code;
    using string_view = json::string_view;
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    std::size_t depth = 0;
    std::vector<std::set<std::string>> names; // of each open object
    std::string name;
    std::optional<std::string> duplicate;
    stop first = stop::none;

    bool open() {
        if (++depth > http::max_json_depth && first == stop::none)
            first = stop::too_deep;
        return true;
    }
    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) {
        names.emplace_back();
        return open();
    }
    bool on_object_end(std::size_t, error_code&) {
        names.pop_back();
        --depth;
        return true;
    }
    bool on_array_begin(error_code&) { return open(); }
    bool on_array_end(std::size_t, error_code&) {
        --depth;
        return true;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        name.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        name.append(s.data(), s.size());
        if (!names.back().insert(name).second && !duplicate)
            duplicate = name;
        name.clear();
        return true;
    }
    bool on_string_part(string_view, std::size_t, error_code&) { return true; }
    bool on_string(string_view, std::size_t, error_code&) { return true; }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
    bool on_double(double, string_view text, error_code&) {
        std::string const number(text.data(), text.size());
        if (std::isinf(std::strtod(number.c_str(), nullptr)) && first == stop::none)
            first = stop::out_of_range;
        return true;
    }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }
};

struct verdict {
    bool is_json = false;
    json::error_code ec;
    stop first = stop::none;
    std::optional<std::string> duplicate;
};

verdict judge(std::string_view body) {
    json::parse_options unlimited;
    unlimited.max_depth = body.size() + 1;
    json::basic_parser<oracle> p(unlimited);
    json::error_code ec;
    auto const n = p.write_some(false, body.data(), body.size(), ec);
    return {!ec && n == body.size() && !body.empty(), ec, p.handler().first, p.handler().duplicate};
}

// Every string and name in `v` is UTF-8, and `v` nests at most `room` deep.
bool unicode_within(json::value const& v, std::size_t room) {
    if (auto const* s = v.if_string())
        return is_utf8(*s);
    if (room == 0 && (v.is_object() || v.is_array()))
        return false;
    if (auto const* o = v.if_object())
        return std::all_of(o->begin(), o->end(), [&](auto const& m) {
            return is_utf8(m.key()) && unicode_within(m.value(), room - 1);
        });
    if (auto const* a = v.if_array())
        return std::all_of(a->begin(), a->end(),
                           [&](auto const& e) { return unicode_within(e, room - 1); });
    return true;
}

// `a` and `b` are the same value, but that a double may be a unit in the last
// place or two away: Boost.JSON 1.81 parses some numbers imprecisely
// (`18446745747903051615`, too large for an integer, becomes a double one
// ulp off, and its shortest text then reads one ulp further), as
// fuzz/cursor_fuzz.cpp found; 1.83's precise parsing fixes it.
bool same(json::value const& a, json::value const& b) {
    if (a.is_double() && b.is_double()) {
        double const x = a.get_double(), y = b.get_double();
        if (x == y)
            return true;
        std::int64_t bx = 0, by = 0;
        std::memcpy(&bx, &x, sizeof x);
        std::memcpy(&by, &y, sizeof y);
        return std::isfinite(x) && std::isfinite(y) && (bx < 0) == (by < 0) &&
               (bx > by ? bx - by : by - bx) <= 2;
    }
    if (a.kind() != b.kind())
        return false;
    if (auto const* o = a.if_object()) {
        auto const& p = b.get_object();
        return o->size() == p.size() && std::all_of(o->begin(), o->end(), [&](auto const& m) {
                   auto const* q = p.if_contains(m.key());
                   return q && same(m.value(), *q);
               });
    }
    if (auto const* x = a.if_array()) {
        auto const& y = b.get_array();
        return x->size() == y.size() && std::equal(x->begin(), x->end(), y.begin(), same);
    }
    return a == b;
}

// A request for "/" with this Content-Type and body, bound as the server
// binds one.
struct request_for {
    http::detail::header_arena arena{1024};
    http::request_message msg{std::piecewise_construct, std::make_tuple(),
                              std::make_tuple(http::detail::arena_allocator<char>(arena))};
    http::request req;

    request_for(std::string_view content_type, std::string_view body) {
        msg.method(boost::beast::http::verb::post);
        msg.target("/");
        msg.set(boost::beast::http::field::content_type, content_type);
        msg.body().assign(body.data(), body.size());
        require(req.bind(msg), "the request binds");
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const body = apikit_fuzz::as_text(data, size);
    auto const seen = judge(body);
    bool const acceptable = seen.is_json && seen.first == stop::none && !seen.duplicate;

    request_for const as_json("application/json", body);
    auto const v = http::read_json(as_json.req);
    require(v.has_value() == acceptable,
            "a body is accepted exactly when it is JSON, not too deep, in range, with no "
            "duplicate");

    request_for const as_text("text/plain", body);
    auto const refused = http::read_json(as_text.req);
    require(!refused && refused.error().code == apikit::errc::unsupported_media_type,
            "a body that is not said to be JSON is a 415");

    auto const o = http::read_json_object(as_json.req);
    require(o.has_value() == (v && v->is_object()),
            "read_json_object accepts what read_json does, if it is an object");

    if (v) {
        auto const text = json::serialize(*v);
        json::parse_options deep_enough;
        deep_enough.max_depth = http::max_json_depth;
        json::error_code ec;
        auto const reread = json::parse(text, ec, {}, deep_enough);
        require(!ec && same(reread, *v), "an accepted value round-trips");
        auto const again = http::parse_json_body(text);
        require(again && same(*again, *v), "an accepted value, serialized, is accepted the same");
        require(unicode_within(*v, http::max_json_depth),
                "an accepted value is UTF-8 and within the depth limit");
        if (o)
            require(json::value(*o) == *v, "read_json_object gives read_json's object");
        else
            require(o.error().code == apikit::errc::malformed_request &&
                        o.error().public_message() == "The request body must be a JSON object",
                    "a value that is not an object is a 400 saying so");
        return 0;
    }

    auto const& e = v.error();
    require(e.code == apikit::errc::malformed_request, "a refused JSON body is a 400");
    auto const message = e.public_message();
    require(!message.empty(), "a refusal says why");
    if (!o)
        require(o.error().code == apikit::errc::malformed_request &&
                    o.error().public_message() == message,
                "read_json_object refuses as read_json does");
    // The parser meets the problems in the order of the bytes: nesting too
    // deep or a number out of range stops it before a syntax error further on.
    if (seen.first == stop::too_deep) {
        require(message == "The request body nests arrays and objects deeper than 32 levels",
                "a body too deep is refused for it");
    } else if (seen.first == stop::out_of_range || seen.ec == json::error::exponent_overflow) {
        require(message == "The request body holds a number beyond the range of a double",
                "a number out of range is refused for it");
    } else if (seen.is_json) {
        require(seen.duplicate.has_value(), "a JSON body is refused only for a duplicate");
        std::string expected = "Duplicate member ";
        if (seen.duplicate->size() <= 64) {
            apikit::append_json_string(expected, *seen.duplicate);
            expected += " in the JSON body";
            require(message == expected, "a duplicate is refused by its name");
        } else {
            require(message.starts_with(expected), "a long duplicate is refused by name");
        }
    } else if (!is_utf8(body)) {
        require(message == "The request body is not valid JSON: it is not UTF-8",
                "a body that is not UTF-8 is refused for it");
    } else {
        require(message.starts_with("The request body is not valid JSON") ||
                    message == "The request body is empty",
                "a body that is not JSON is refused as such");
    }
    return 0;
}
