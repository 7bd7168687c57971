// Archetypes: the least a type must provide to model each API concept. If a
// concept grows a requirement, its archetype stops compiling here first; the
// real models are asserted beside them, and near misses are asserted out.
#include <apikit/api/cursor.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/signed_cursor.hpp>

#include <doctest/doctest.h>

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace api = apikit::api;

// A named namespace, not an anonymous one: clang warns of the unused
// members of internal types, and these exist only to be looked at.
namespace api_archetypes {

// error_format ------------------------------------------------------------

struct error_format_archetype {
    static constexpr std::string_view content_type = "text/plain";
    static void append(std::string& out, api::api_error const& e) { out.append(e.code_name()); }
    static boost::json::value to_value(api::api_error const& e, boost::json::storage_ptr sp) {
        return boost::json::value(e.code_name(), sp);
    }
};

struct format_without_content_type {
    static void append(std::string&, api::api_error const&) {}
    static boost::json::value to_value(api::api_error const&, boost::json::storage_ptr) {
        return {};
    }
};

struct format_returning_string {
    static constexpr std::string_view content_type = "application/json";
    static std::string append(std::string&, api::api_error const&) { return {}; }
    static boost::json::value to_value(api::api_error const&, boost::json::storage_ptr) {
        return {};
    }
};

// cursor_codec ------------------------------------------------------------

struct cursor_codec_archetype {
    std::string encode(api::cursor_scope const&, boost::json::value const&) const { return "c"; }
    apikit::result<boost::json::value> decode(api::cursor_scope const&, std::string_view) const {
        return apikit::make_error_code(apikit::errc::invalid_cursor);
    }
};

struct codec_that_throws_away_errors {
    std::string encode(api::cursor_scope const&, boost::json::value const&) const { return "c"; }
    boost::json::value decode(api::cursor_scope const&, std::string_view) const { return {}; }
};

struct codec_with_mutable_decode {
    std::string encode(api::cursor_scope const&, boost::json::value const&) const { return "c"; }
    apikit::result<boost::json::value> decode(api::cursor_scope const&, std::string_view) {
        return apikit::make_error_code(apikit::errc::invalid_cursor);
    }
};

// A codec as it was before cursors were bound to their listing: it would
// decode a cursor of any listing in any other.
struct codec_without_scope {
    std::string encode(boost::json::value const&) const { return "c"; }
    apikit::result<boost::json::value> decode(std::string_view) const {
        return apikit::make_error_code(apikit::errc::invalid_cursor);
    }
};

// keyset_key --------------------------------------------------------------

struct keyset_key_archetype {
    std::int64_t v = 0;
    friend auto operator<=>(keyset_key_archetype const&, keyset_key_archetype const&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                keyset_key_archetype const& k) {
    jv = k.v;
}

boost::system::result<keyset_key_archetype>
tag_invoke(boost::json::try_value_to_tag<keyset_key_archetype>, boost::json::value const& jv) {
    auto r = boost::json::try_value_to<std::int64_t>(jv);
    if (!r)
        return r.error();
    return keyset_key_archetype{*r};
}

struct key_without_json {
    int v = 0;
    friend auto operator<=>(key_without_json const&, key_without_json const&) = default;
};

struct key_without_order {
    std::int64_t v = 0;
};

[[maybe_unused]] void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                                 key_without_order const& k) {
    jv = k.v;
}

} // namespace api_archetypes

using namespace api_archetypes;

static_assert(api::error_format<error_format_archetype>, "the archetype must model error_format");
static_assert(api::error_format<api::envelope_format>);
static_assert(api::error_format<api::problem_json_format>);
static_assert(!api::error_format<format_without_content_type>, "a format names its media type");
static_assert(!api::error_format<format_returning_string>,
              "append writes into the caller's buffer");

static_assert(api::cursor_codec<cursor_codec_archetype>, "the archetype must model cursor_codec");
static_assert(api::cursor_codec<api::json_cursor>);
static_assert(api::cursor_codec<api::signed_cursor>);
static_assert(!api::cursor_codec<codec_that_throws_away_errors>, "decoding is fallible");
static_assert(!api::cursor_codec<codec_with_mutable_decode>, "a codec is shared: decode is const");
static_assert(!api::cursor_codec<codec_without_scope>, "a cursor is bound to its listing");

static_assert(api::keyset_key<keyset_key_archetype>, "the archetype must model keyset_key");
static_assert(api::keyset_key<api::id_position<std::int64_t>>);
static_assert(api::keyset_key<api::keyset_position<std::int64_t, std::string>>);
static_assert(api::keyset_key<std::int64_t>);
static_assert(!api::keyset_key<key_without_json>, "a key travels in a cursor as JSON");
static_assert(!api::keyset_key<key_without_order>, "a key is totally ordered");

TEST_CASE("the archetypes work where their concepts are expected") {
    api::api_error const e(apikit::errc::not_found);
    CHECK(api::render<error_format_archetype>(e) == "not_found");

    cursor_codec_archetype const codec;
    api::cursor_scope const scope("things");
    auto const cursor = api::encode_cursor(codec, scope, keyset_key_archetype{7});
    CHECK(cursor == "c");
    auto const after =
        api::parse_cursor<keyset_key_archetype>(codec, scope, std::string_view(cursor));
    REQUIRE(after.has_error());
    CHECK(after.error().code == apikit::errc::invalid_cursor);

    std::map<keyset_key_archetype, int> rows{{{1}, 10}, {{2}, 20}, {{3}, 30}};
    int sum = 0;
    auto const next =
        api::keyset_page(rows, {keyset_key_archetype{1}, 1, api::sort_order::ascending},
                         [&](auto const& kv) { sum += kv.second; });
    CHECK(sum == 20);
    REQUIRE(next);
    CHECK(next->v == 2);
}
