// The sample server's field rules, each value checked alone.

#include "validation.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>

namespace json = boost::json;

namespace {

// The rule's verdict on a JSON text, "" when it accepts.
template <class Rule>
std::string verdict(Rule rule, std::string_view text) {
    auto const v = json::parse(text);
    auto const p = rule(&v);
    return p ? std::string(*p) : std::string();
}

std::string json_text(std::string const& s) {
    return json::serialize(json::value(s));
}

} // namespace

TEST_CASE("email: a sane shape passes") {
    for (auto const* ok :
         {R"("ada@example.com")", R"("a@b.co")", R"("first.last+tag@sub.example.org")",
          R"("ADA@EXAMPLE.COM")", R"("josé@exämple.de")"}) {
        CAPTURE(ok);
        CHECK(verdict(sample::email_problem, ok) == "");
    }
    std::string const longest = std::string(64, 'a') + "@" + std::string(185, 'b') + ".com";
    REQUIRE(longest.size() == 254);
    CHECK(verdict(sample::email_problem, json_text(longest)) == "");
}

TEST_CASE("email: every bad shape is an invalid format") {
    for (auto const* bad :
         {R"("")", R"("ada")", R"("ada@")", R"("@example.com")", R"("ada@example")",
          R"("ada@@example.com")", R"("a@b@example.com")", R"("ada @example.com")",
          R"("ada@exa mple.com")", R"(" ada@example.com")", R"("ada@example.com ")",
          R"("ada@.example.com")", R"("ada@example.com.")", R"("ada@example..com")",
          R"("ada\u0000@example.com")", R"("ada@example.com\n")", R"("ada\t@example.com")",
          R"("ada@example.com\u007f")"}) {
        CAPTURE(bad);
        CHECK(verdict(sample::email_problem, bad) == "Invalid format");
    }
    std::string const long_local = std::string(65, 'a') + "@example.com";
    CHECK(verdict(sample::email_problem, json_text(long_local)) == "Invalid format");
    std::string const too_long = std::string(64, 'a') + "@" + std::string(186, 'b') + ".com";
    REQUIRE(too_long.size() == 255);
    CHECK(verdict(sample::email_problem, json_text(too_long)) == "must be at most 254 characters");
}

TEST_CASE("email: missing or not a string") {
    CHECK(sample::email_problem(nullptr) == "is required");
    CHECK(verdict(sample::email_problem, "null") == "is required");
    for (auto const* bad : {"42", "true", "[]", "{}", R"(["a@b.co"])", "1.5"}) {
        CAPTURE(bad);
        CHECK(verdict(sample::email_problem, bad) == "must be a string");
    }
}

TEST_CASE("name: non-blank text of at most 200 characters") {
    CHECK(verdict(sample::name_problem, R"("Ada")") == "");
    CHECK(verdict(sample::name_problem, R"("  Ada Lovelace ")") == "");
    CHECK(verdict(sample::name_problem, json_text(std::string(200, 'x'))) == "");
    // 200 characters of two bytes each: the limit counts characters.
    std::string accents;
    for (int i = 0; i < 200; ++i)
        accents += "é";
    CHECK(verdict(sample::name_problem, json_text(accents)) == "");
    CHECK(verdict(sample::name_problem, json_text(accents + "é")) ==
          "must be at most 200 characters");
    CHECK(verdict(sample::name_problem, json_text(std::string(201, 'x'))) ==
          "must be at most 200 characters");

    for (auto const* blank : {R"("")", R"(" ")", R"("\t\n ")"}) {
        CAPTURE(blank);
        CHECK(verdict(sample::name_problem, blank) == "must not be blank");
    }
    CHECK(verdict(sample::name_problem, R"("Ada\u0000")") == "must not contain control characters");
    CHECK(verdict(sample::name_problem, R"("Ada\nLovelace")") ==
          "must not contain control characters");
    CHECK(sample::name_problem(nullptr) == "is required");
    CHECK(verdict(sample::name_problem, "null") == "is required");
    CHECK(verdict(sample::name_problem, "7") == "must be a string");
    CHECK(verdict(sample::name_problem, R"({"first":"Ada"})") == "must be a string");
}

TEST_CASE("item: the same rule as a name") {
    CHECK(verdict(sample::item_problem, R"("book")") == "");
    CHECK(verdict(sample::item_problem, R"("")") == "must not be blank");
    CHECK(verdict(sample::item_problem, json_text(std::string(201, 'x'))) ==
          "must be at most 200 characters");
    CHECK(sample::item_problem(nullptr) == "is required");
    CHECK(verdict(sample::item_problem, "false") == "must be a string");
}

TEST_CASE("quantity: an integer from 1 to 1000") {
    for (auto const* ok : {"1", "2", "999", "1000"}) {
        CAPTURE(ok);
        CHECK(verdict(sample::quantity_problem, ok) == "");
    }
    for (auto const* out : {"0", "-1", "1001", "9223372036854775807", "-9223372036854775808",
                            "18446744073709551615"}) {
        CAPTURE(out);
        CHECK(verdict(sample::quantity_problem, out) == "must be between 1 and 1000");
    }
    for (auto const* bad : {"1.5", "2.0", "1e2", R"("3")", "true", "[1]", "{}"}) {
        CAPTURE(bad);
        CHECK(verdict(sample::quantity_problem, bad) == "must be an integer");
    }
    CHECK(sample::quantity_problem(nullptr) == "is required");
    CHECK(verdict(sample::quantity_problem, "null") == "is required");
}

TEST_CASE("parse_sign_up: every field, every problem at once, unknown members ignored") {
    auto ok = sample::parse_sign_up(
        json::parse(
            R"({"email":"ada@example.com","name":"Ada","password":"correct horse","admin":true})")
            .as_object());
    REQUIRE(ok.has_value());
    CHECK(ok->user.email == "ada@example.com");
    CHECK(ok->user.name == "Ada");
    CHECK(ok->user.password_hash.empty()); // hashed later, off the I/O thread
    CHECK(ok->password == "correct horse");

    auto all = sample::parse_sign_up(
        json::parse(R"({"email":"nope","name":"","password":"short"})").as_object());
    REQUIRE(all.has_error());
    CHECK(all.error().code == apikit::errc::validation_error);
    CHECK(all.error().details ==
          std::vector<apikit::api::field_error>{{"email", "Invalid format"},
                                                {"name", "must not be blank"},
                                                {"password", "must be at least 8 characters"}});

    auto missing = sample::parse_sign_up(json::object{});
    REQUIRE(missing.has_error());
    CHECK(missing.error().details ==
          std::vector<apikit::api::field_error>{
              {"email", "is required"}, {"name", "is required"}, {"password", "is required"}});

    auto one = sample::parse_sign_up(
        json::parse(R"({"email":"a@b.co","name":5,"password":"12345678"})").as_object());
    REQUIRE(one.has_error());
    CHECK(one.error().details ==
          std::vector<apikit::api::field_error>{{"name", "must be a string"}});
}

TEST_CASE("password_problem: 8 to 256 characters, counted as code points, never repeated") {
    CHECK(verdict(sample::password_problem, R"("1234567")") == "must be at least 8 characters");
    CHECK(verdict(sample::password_problem, R"("12345678")") == "");
    // Seven characters in fourteen bytes is still seven characters.
    CHECK(verdict(sample::password_problem, R"("ééééééé")") == "must be at least 8 characters");
    CHECK(verdict(sample::password_problem, '"' + std::string(256, 'x') + '"') == "");
    CHECK(verdict(sample::password_problem, '"' + std::string(257, 'x') + '"') ==
          "must be at most 256 characters");
    CHECK(verdict(sample::password_problem, "12345678") == "must be a string");
    CHECK(verdict(sample::password_problem, "null") == "is required");
}

TEST_CASE("parse_login: email and password must be strings, nothing else is judged") {
    auto ok = sample::parse_login(json::parse(R"({"email":"x","password":"y"})").as_object());
    REQUIRE(ok.has_value());
    CHECK(ok->email == "x");
    CHECK(ok->password == "y");
    auto bad = sample::parse_login(json::parse(R"({"password":1})").as_object());
    REQUIRE(bad.has_error());
    CHECK(bad.error().details == std::vector<apikit::api::field_error>{
                                     {"email", "is required"}, {"password", "must be a string"}});
}

TEST_CASE("parse_new_order: item and quantity") {
    auto ok = sample::parse_new_order(json::parse(R"({"item":"book","quantity":3})").as_object());
    REQUIRE(ok.has_value());
    CHECK(ok->item == "book");
    CHECK(ok->quantity == 3);

    auto bad = sample::parse_new_order(json::parse(R"({"item":" ","quantity":0})").as_object());
    REQUIRE(bad.has_error());
    CHECK(bad.error().code == apikit::errc::validation_error);
    CHECK(bad.error().details ==
          std::vector<apikit::api::field_error>{{"item", "must not be blank"},
                                                {"quantity", "must be between 1 and 1000"}});

    auto missing = sample::parse_new_order(json::parse(R"({"item":"book"})").as_object());
    REQUIRE(missing.has_error());
    CHECK(missing.error().details ==
          std::vector<apikit::api::field_error>{{"quantity", "is required"}});
}
