// api/cursor.hpp and api/signed_cursor.hpp: the cursor codecs, under attack.
#include <apikit/api/cursor.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/signed_cursor.hpp>
#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace api = apikit::api;
using apikit::errc;

std::string const key_a(32, 'a');
std::string const key_b = "0123456789abcdef0123456789ABCDEF!";

using position = api::keyset_position<std::int64_t, std::string>;

// The scope most tests encode and decode in.
api::cursor_scope const users("users");

template <class Codec>
void check_invalid(Codec const& codec, std::string_view text,
                   api::cursor_scope const& scope = users) {
    CAPTURE(text);
    auto const r = codec.decode(scope, text);
    REQUIRE(r.has_error());
    CHECK(r.error() == errc::invalid_cursor);
}

// Random and mutated inputs: the decoder answers either a value or
// invalid_cursor, never throws, and accepts a mutation only when the
// mutated text still carries the same bytes (padding dropped, say) — or,
// for an unsigned codec, whatever valid JSON the mutation happens to spell.
template <class Codec>
void fuzz(Codec const& codec, std::string const& valid, bool authenticated) {
    std::mt19937 rng(42);
    auto const original = apikit::base64url::decode(valid).value();
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    auto check = [&](std::string const& text) {
        CAPTURE(text);
        apikit::result<boost::json::value> r = apikit::make_error_code(errc::internal_error);
        CHECK_NOTHROW(r = codec.decode(users, text));
        if (r.has_error()) {
            CHECK(r.error() == errc::invalid_cursor);
        } else if (authenticated) {
            auto const bytes = apikit::base64url::decode(text);
            REQUIRE(bytes.has_value());
            CHECK(*bytes == original);
        }
    };
    char const alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ %\0";
    for (int i = 0; i < 3000; ++i) {
        std::string text;
        auto const len = pick(80);
        for (std::size_t k = 0; k < len; ++k)
            text.push_back(i % 2 ? alphabet[pick(sizeof alphabet)] : static_cast<char>(pick(256)));
        check(text);
    }
    for (int i = 0; i < 3000; ++i) {
        std::string text = valid;
        switch (i % 5) {
        case 0:
            text[pick(text.size())] = alphabet[pick(sizeof alphabet - 1)];
            break;
        case 1:
            text.resize(pick(text.size()));
            break;
        case 2:
            text.insert(pick(text.size() + 1), 1, alphabet[pick(sizeof alphabet - 1)]);
            break;
        case 3:
            text.erase(pick(text.size()), 1);
            break;
        case 4:
            text[pick(text.size())] ^= static_cast<char>(1 << pick(8));
            break;
        }
        check(text);
    }
    // A bit flipped anywhere in the bytes, re-encoded properly.
    for (std::size_t byte = 0; byte < original.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            auto bytes = original;
            bytes[byte] = static_cast<char>(bytes[byte] ^ (1 << bit));
            auto const text = apikit::base64url::encode(bytes, apikit::base64url::padding::include);
            if (authenticated)
                check_invalid(codec, text);
            else
                check(text);
        }
    }
}

} // namespace

TEST_CASE(
    "json_cursor: {\"id\":123} in the scope `users` is base64url of the scope, then the JSON") {
    api::json_cursor const codec;
    auto const position = boost::json::parse(R"({"id":123})");
    CHECK(codec.encode(users, position) == "NTp1c2Vyczt7ImlkIjoxMjN9");
    CHECK(apikit::base64url::decode("NTp1c2Vyczt7ImlkIjoxMjN9").value() == R"(5:users;{"id":123})");
    CHECK(api::encode_cursor(codec, users, api::id_position<std::int64_t>{123}) ==
          "NTp1c2Vyczt7ImlkIjoxMjN9");
    CHECK(codec.decode(users, "NTp1c2Vyczt7ImlkIjoxMjN9").value() == position);
    auto const key = api::parse_cursor<api::id_position<std::int64_t>>(
        codec, users, std::string_view("NTp1c2Vyczt7ImlkIjoxMjN9"));
    REQUIRE(key.has_value());
    REQUIRE(key->has_value());
    CHECK((*key)->id == 123);
    // Padded when the length asks for it; taken without too.
    auto const padded = codec.encode(api::cursor_scope("user"), position);
    CHECK(padded.ends_with("="));
    auto unpadded = padded;
    while (unpadded.ends_with("="))
        unpadded.pop_back();
    CHECK(codec.decode(api::cursor_scope("user"), unpadded).value() == position);
    // A bare position, as json_cursor wrote it before scopes, names no listing.
    check_invalid(codec, "eyJpZCI6MTIzfQ==");
}

TEST_CASE("json_cursor: round trips of keyset positions") {
    api::json_cursor const codec;
    for (auto const& p : {position{0, ""}, position{-5, "user_é"}, position{1705312800123, "x\"y"},
                          position{INT64_MIN, "a/b+c"}}) {
        auto const text = api::encode_cursor(codec, users, p);
        CAPTURE(text);
        CHECK(text.find_first_of("+/") == std::string::npos); // URL-safe alphabet
        auto const back = api::parse_cursor<position>(codec, users, std::string_view(text));
        REQUIRE(back.has_value());
        CHECK(**back == p);
    }
}

TEST_CASE("json_cursor: anything but base64url of the scope and JSON is invalid_cursor") {
    api::json_cursor const codec;
    auto const in_scope = [](std::string_view json) {
        return apikit::base64url::encode("5:users;" + std::string(json));
    };
    REQUIRE(codec.decode(users, in_scope(R"({"id":123})")).has_value());
    check_invalid(codec, "");
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjN9="); // a stray `=`
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjM=");  // truncated JSON: {"id":123
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjM");   // the same, unpadded
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjN");   // non-zero unused bits
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjN9N"); // a length no encoding has
    check_invalid(codec, "NTp1c2Vy czt7ImlkIjoxMjN9");
    check_invalid(codec, "NTp1c2Vyczt7ImlkIjoxMjN9\n");
    check_invalid(codec, "NTp1c2Vyczt7ImlkIj+xMjN9"); // standard base64 alphabet
    check_invalid(codec, in_scope("not json"));
    check_invalid(codec, in_scope(R"({"id":123,})")); // trailing comma
    check_invalid(codec, in_scope("//\n1"));          // a comment
    check_invalid(codec, in_scope("\"\x80"));         // invalid UTF-8
    check_invalid(codec, in_scope(""));               // a scope and no position
    check_invalid(codec, std::string(api::max_cursor_size + 4, 'A'));
    // Deeper than the parser's limit.
    check_invalid(codec, in_scope(std::string(100, '[') + std::string(100, ']')));
}

TEST_CASE("parse_cursor: absent is the first page, bad text or shape is a 400 naming `cursor`") {
    api::json_cursor const codec;
    auto const first = api::parse_cursor<position>(codec, users, std::nullopt);
    REQUIRE(first.has_value());
    CHECK_FALSE(first->has_value());

    auto const bad_shape = [&](std::string_view json) {
        CAPTURE(json);
        auto const text = codec.encode(users, boost::json::parse(json));
        auto const r = api::parse_cursor<position>(codec, users, std::string_view(text));
        REQUIRE(r.has_error());
        CHECK(r.error().code == errc::invalid_cursor);
        CHECK(r.error().status() == 400);
        CHECK(r.error().code_name() == "invalid_cursor");
        REQUIRE(r.error().details.size() == 1);
        CHECK(r.error().details[0].field == "cursor");
    };
    bad_shape(R"({"id":123})"); // an id_position is not a keyset_position
    bad_shape(R"({"key":1})");
    bad_shape(R"({"key":1,"id":"a","x":0})"); // extra member
    bad_shape(R"({"key":"1","id":"a"})");     // wrong type
    bad_shape(R"({"key":1.5,"id":"a"})");
    bad_shape(R"({"key":1e300,"id":"a"})");
    bad_shape(R"({"key":18446744073709551615,"id":"a"})");
    bad_shape(R"([1,"a"])");
    bad_shape("null");
    bad_shape(R"("x")");

    auto const empty = api::parse_cursor<position>(codec, users, std::string_view(""));
    REQUIRE(empty.has_error());
    CHECK(empty.error().code == errc::invalid_cursor);

    auto const id_key = api::parse_cursor<api::id_position<std::int64_t>>(
        codec, users, std::string_view(codec.encode(users, boost::json::parse(R"({"id":"123"})"))));
    CHECK(id_key.has_error());
}

TEST_CASE(
    "signed_cursor: round trip, and the layout: version, key id, JSON, MAC of the scope too") {
    api::signed_cursor const codec(key_a);
    position const p{1705312800123, "user_abc"};
    auto const text = api::encode_cursor(codec, users, p);
    auto const back = api::parse_cursor<position>(codec, users, std::string_view(text));
    REQUIRE(back.has_value());
    CHECK(**back == p);

    auto const bytes = apikit::base64url::decode(text).value();
    auto const json = boost::json::serialize(boost::json::value_from(p));
    REQUIRE(bytes.size() == 2 + json.size() + 32); // the scope is not sent
    CHECK(bytes[0] == '\x02');
    CHECK(bytes[1] == '\x00');
    CHECK(bytes.substr(2, json.size()) == json);
    auto const mac = apikit::hmac_sha256(key_a, bytes.substr(0, 2) + "5:users;" + json);
    CHECK(bytes.substr(2 + json.size()) == apikit::as_string_view(mac));
    // Padded like json_cursor; taken unpadded too.
    auto unpadded = text;
    while (!unpadded.empty() && unpadded.back() == '=')
        unpadded.pop_back();
    CHECK(codec.decode(users, unpadded).has_value());

    // Version 1 signed the JSON alone: such a cursor names no listing, and
    // is refused even with a MAC that was good then.
    auto v1 = std::string("\x01\x00", 2) + json;
    v1 += apikit::as_string_view(apikit::hmac_sha256(key_a, v1));
    check_invalid(codec, apikit::base64url::encode(v1));
}

TEST_CASE("signed_cursor: tampered, truncated, foreign and unsigned cursors are invalid_cursor") {
    api::signed_cursor const codec(key_a);
    auto const text = api::encode_cursor(codec, users, position{42, "user_1"});
    auto const bytes = apikit::base64url::decode(text).value();
    auto const encode = [](std::string const& b) {
        return apikit::base64url::encode(b, apikit::base64url::padding::include);
    };

    // The JSON changed, the MAC kept.
    auto forged = bytes;
    forged.replace(2, 9, R"({"key":41)");
    REQUIRE(forged.size() == bytes.size());
    check_invalid(codec, encode(forged));
    // Truncated anywhere: every proper prefix of the bytes.
    for (std::size_t n = 0; n < bytes.size(); ++n)
        check_invalid(codec, encode(bytes.substr(0, n)));
    // Another version, another key id.
    auto other = bytes;
    other[0] = '\x03';
    check_invalid(codec, encode(other));
    other = bytes;
    other[1] = '\x07';
    check_invalid(codec, encode(other));
    // Signed under another key.
    api::signed_cursor const foreign(key_b);
    check_invalid(codec, api::encode_cursor(foreign, users, position{42, "user_1"}));
    // An unsigned cursor, and a MAC of the right length over nothing.
    check_invalid(codec, api::encode_cursor(api::json_cursor{}, users, position{42, "user_1"}));
    check_invalid(codec, encode(std::string("\x02\x00", 2) + std::string(32, '\0')));
    // The MAC moved to the front.
    check_invalid(codec,
                  encode(bytes.substr(bytes.size() - 32) + bytes.substr(0, bytes.size() - 32)));

    auto const r = api::parse_cursor<position>(codec, users, std::string_view(encode(forged)));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::invalid_cursor);
    CHECK(r.error().status() == 400);
}

TEST_CASE("signed_cursor: key rotation signs with the current key, verifies retired ones") {
    api::signed_cursor const old_codec(api::cursor_key{1, key_a});
    api::signed_cursor const rotated(api::cursor_key{2, key_b}, {api::cursor_key{1, key_a}});
    api::signed_cursor const retired_dropped(api::cursor_key{2, key_b});

    auto const old_text = api::encode_cursor(old_codec, users, position{1, "a"});
    auto const new_text = api::encode_cursor(rotated, users, position{2, "b"});
    CHECK(apikit::base64url::decode(new_text).value()[1] == '\x02');

    CHECK(api::parse_cursor<position>(rotated, users, std::string_view(old_text)).has_value());
    CHECK(api::parse_cursor<position>(rotated, users, std::string_view(new_text)).has_value());
    CHECK(api::parse_cursor<position>(retired_dropped, users, std::string_view(new_text))
              .has_value());
    check_invalid(retired_dropped, old_text);
    check_invalid(old_codec, new_text);

    // A key id is not a key: a cursor claiming id 1 but signed under id 2's key fails.
    auto bytes = apikit::base64url::decode(new_text).value();
    bytes[1] = '\x01';
    check_invalid(rotated, apikit::base64url::encode(bytes));
}

TEST_CASE("signed_cursor: short secrets and repeated key ids are rejected at construction") {
    CHECK_THROWS_AS(api::signed_cursor(std::string(31, 'k')), std::invalid_argument);
    CHECK_THROWS_AS(api::signed_cursor(""), std::invalid_argument);
    CHECK_THROWS_AS(api::signed_cursor(api::cursor_key{1, key_a}, {api::cursor_key{1, key_b}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(api::signed_cursor(api::cursor_key{1, key_a}, {api::cursor_key{2, "short"}}),
                    std::invalid_argument);
    CHECK_NOTHROW(api::signed_cursor(std::string(32, 'k')));
}

TEST_CASE("fuzz: random and mutated cursors never throw and never pass a signature check") {
    api::signed_cursor const signed_codec(key_a);
    api::json_cursor const json_codec;
    position const p{1705312800123, "user_4UM1pQy0r8hV3kX9cTn2Lb"};
    fuzz(signed_codec, api::encode_cursor(signed_codec, users, p), true);
    fuzz(json_codec, api::encode_cursor(json_codec, users, p), false);
    // parse_cursor on top: the same, through to the key conversion.
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        auto text = api::encode_cursor(json_codec, users, p);
        text[std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng)] = 'A';
        api::api_result<std::optional<position>> r = std::optional<position>();
        CHECK_NOTHROW(r = api::parse_cursor<position>(json_codec, users, std::string_view(text)));
        if (r.has_error())
            CHECK(r.error().code == errc::invalid_cursor);
    }
}

TEST_CASE(
    "cursor_scope: each part as <length>:<bytes>, then an end mark, and a listing has a name") {
    CHECK(api::cursor_scope("users").bytes() == "5:users;");
    CHECK(api::cursor_scope("orders", "user_7").bytes() == "6:orders6:user_7;");
    std::string const owner = "user_8";
    CHECK(api::cursor_scope("orders", owner, std::string_view("shipped")).bytes() ==
          "6:orders6:user_87:shipped;");
    CHECK(api::cursor_scope("x", "").bytes() == "1:x0:;");
    CHECK(api::cursor_scope("x", std::string("a\0;b", 4)).bytes() ==
          std::string("1:x4:a\0;b;", 10));
    CHECK(api::cursor_scope("orders", "user_7") == api::cursor_scope("orders", "user_7"));
    CHECK(api::cursor_scope("orders", "user_7") != api::cursor_scope("orders", "user_8"));
    CHECK_THROWS_AS(api::cursor_scope(""), std::invalid_argument);
    CHECK_THROWS_AS(api::cursor_scope("", "user_7"), std::invalid_argument);
}

namespace {

// Scopes that differ, some only in how the same bytes are split into parts.
std::vector<api::cursor_scope> distinct_scopes() {
    return {api::cursor_scope("users"),
            api::cursor_scope("orders", "user_7"),
            api::cursor_scope("orders", "user_8"),
            api::cursor_scope("orders", "user_7", "open"),
            api::cursor_scope("orders"),
            api::cursor_scope("orders", ""),
            api::cursor_scope("orders", "", ""),
            api::cursor_scope("ordersuser_7"),
            api::cursor_scope("orders", "user_", "7"),
            api::cursor_scope("5:users;"),
            api::cursor_scope("users", ";"),
            api::cursor_scope("Users")};
}

// Every cursor made in one scope decodes in that scope and in no other.
template <class Codec>
void check_bound(Codec const& codec) {
    auto const scopes = distinct_scopes();
    for (std::size_t made = 0; made < scopes.size(); ++made) {
        auto const text = api::encode_cursor(codec, scopes[made], position{17, "row_17"});
        for (std::size_t asked = 0; asked < scopes.size(); ++asked) {
            CAPTURE(scopes[made].bytes());
            CAPTURE(scopes[asked].bytes());
            auto const r =
                api::parse_cursor<position>(codec, scopes[asked], std::string_view(text));
            if (made == asked) {
                REQUIRE(r.has_value());
                CHECK(**r == position{17, "row_17"});
                continue;
            }
            REQUIRE(r.has_error());
            CHECK(r.error().code == errc::invalid_cursor);
            CHECK(r.error().status() == 400);
            REQUIRE(r.error().details.size() == 1);
            CHECK(r.error().details[0].field == "cursor");
            CHECK(r.error().details[0].message == "is not a cursor this listing issued");
        }
    }
}

} // namespace

TEST_CASE("signed_cursor: a cursor decodes only in the scope it was made in") {
    check_bound(api::signed_cursor(key_a));
    // After a rotation too: the scope is signed under every key.
    api::signed_cursor const old_codec(api::cursor_key{1, key_a});
    api::signed_cursor const rotated(api::cursor_key{2, key_b}, {api::cursor_key{1, key_a}});
    auto const old_text = api::encode_cursor(old_codec, users, position{1, "a"});
    CHECK(rotated.decode(users, old_text).has_value());
    check_invalid(rotated, old_text, api::cursor_scope("orders", "user_7"));
}

TEST_CASE("json_cursor: a cursor decodes only in the scope it was made in") {
    check_bound(api::json_cursor{});
}

TEST_CASE(
    "a signed cursor does not grow with its scope, a json_cursor carries it within the limit") {
    api::signed_cursor const codec(key_a);
    api::cursor_scope const long_scope("orders", std::string(2000, 'u'));
    // The scope is signed, not sent: a signed cursor is as short in any scope.
    auto const text = api::encode_cursor(codec, long_scope, position{1, "a"});
    CHECK(text.size() == api::encode_cursor(codec, users, position{1, "a"}).size());
    CHECK(api::parse_cursor<position>(codec, long_scope, std::string_view(text)).has_value());
    // json_cursor carries it, and a cursor past max_cursor_size is refused.
    api::json_cursor const plain;
    auto const carried = api::encode_cursor(plain, long_scope, position{1, "a"});
    CHECK(carried.size() > api::max_cursor_size);
    check_invalid(plain, carried, long_scope);
}
