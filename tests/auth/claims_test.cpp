// auth::claims: each registered claim's type rule (a wrong type is
// malformed), scope as an array and as an RFC 8693 string, NumericDates
// that are not integers, and user types through tag_invoke both ways.

#include <apikit/auth/claims.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace claims_test {

namespace auth = apikit::auth;

apikit::result<auth::claims> parsed(std::string_view json) {
    return auth::parse_claims(boost::json::parse(json).as_object());
}

// A user claim: a tenant and its plan, with Boost.JSON conversions.
struct tenant {
    std::string id;
    int seats = 0;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, tenant const& t) {
    jv = {{"id", t.id}, {"seats", t.seats}};
}

tenant tag_invoke(boost::json::value_to_tag<tenant>, boost::json::value const& jv) {
    auto const& o = jv.as_object();
    return {boost::json::value_to<std::string>(o.at("id")),
            boost::json::value_to<int>(o.at("seats"))};
}

TEST_CASE("claims: the registered claims are read by their types and the rest kept in extra") {
    auto const c = parsed(R"({"iss":"https://i","sub":"u1","aud":"api","exp":1800000900,
        "nbf":1800000000,"iat":1800000000,"jti":"j","scope":["read","write"],"tenant":"t1"})")
                       .value();
    CHECK(c.iss == "https://i");
    CHECK(c.sub == "u1");
    CHECK(c.aud == std::vector<std::string>{"api"});
    CHECK(c.exp == 1800000900);
    CHECK(c.nbf == 1800000000);
    CHECK(c.iat == 1800000000);
    CHECK(c.jti == "j");
    CHECK(c.scope == std::vector<std::string>{"read", "write"});
    CHECK(c.extra.size() == 1);
    CHECK(c.get<std::string>("tenant").value() == "t1");
    CHECK(c.get<std::string>("sub").value() == "u1");
    CHECK(c.get<std::int64_t>("exp").value() == 1800000900);
    CHECK(c.get<std::string>("absent").error() == auth::error::missing_claim);
    CHECK(c.get<int>("tenant").error() == auth::error::malformed);
}

TEST_CASE("claims: a registered claim of the wrong type is malformed") {
    for (auto json :
         {R"({"iss":1})", R"({"sub":null})", R"({"jti":["a"]})", R"({"aud":1})",
          R"({"aud":["a",1]})", R"({"aud":[["a"]]})", R"({"exp":"1800000000"})", R"({"exp":true})",
          R"({"nbf":null})", R"({"iat":{}})", R"({"exp":1e300})", R"({"exp":18446744073709551615})",
          R"({"scope":1})", R"({"scope":["a",2]})", R"({"scope":{"a":1}})"}) {
        CAPTURE(json);
        CHECK(parsed(json).error() == auth::error::malformed);
    }
}

TEST_CASE("claims: aud is a string or an array, and is written back as a string when one") {
    CHECK(parsed(R"({"aud":["a","b"]})").value().aud == std::vector<std::string>{"a", "b"});
    CHECK(parsed(R"({"aud":[]})").value().aud.empty());
    auth::claims c;
    c.aud = {"api"};
    CHECK(boost::json::serialize(boost::json::value_from(c)) == R"({"aud":"api"})");
    c.aud = {"a", "b"};
    CHECK(boost::json::serialize(boost::json::value_from(c)) == R"({"aud":["a","b"]})");
}

TEST_CASE("claims: scope is read from an array or a space-separated string and written as an "
          "array") {
    auto const c = parsed(R"({"scope":"read  write admin "})").value();
    CHECK(c.scope == std::vector<std::string>{"read", "write", "admin"});
    CHECK(c.has_scope("admin"));
    CHECK_FALSE(c.has_scope("adm"));
    CHECK(boost::json::serialize(boost::json::value_from(c)) ==
          R"({"scope":["read","write","admin"]})");
    CHECK(parsed(R"({"scope":""})").value().scope.empty());
    CHECK(parsed(R"({"scope":["read"]})").value().has_scope("read"));
}

TEST_CASE("claims: a NumericDate that is not an integer is rounded the stricter way") {
    auto const c = parsed(R"({"exp":1800000900.9,"nbf":1800000000.1,"iat":1800000000.5})").value();
    CHECK(c.exp == 1800000900);
    CHECK(c.nbf == 1800000001);
    CHECK(c.iat == 1800000001);
    CHECK(parsed(R"({"exp":1.8e9})").value().exp == 1800000000);
    CHECK(parsed(R"({"exp":-1})").value().exp == -1);
}

TEST_CASE("claims: a user type round-trips through get and set, and claims through value_from "
          "and value_to") {
    auth::claims c;
    c.sub = "u1";
    c.exp = 1800000900;
    c.scope = {"read"};
    c.set("tenant", tenant{"t1", 5});
    c.set("admin", true);
    auto const t = c.get<tenant>("tenant").value();
    CHECK(t.id == "t1");
    CHECK(t.seats == 5);
    CHECK(c.get<bool>("admin").value());
    CHECK(c.get<tenant>("admin").error() == auth::error::malformed);

    auto const jv = boost::json::value_from(c);
    CHECK(
        boost::json::serialize(jv) ==
        R"({"sub":"u1","exp":1800000900,"scope":["read"],"tenant":{"id":"t1","seats":5},"admin":true})");
    auto const back = boost::json::value_to<auth::claims>(jv);
    CHECK(back.sub == "u1");
    CHECK(back.exp == 1800000900);
    CHECK(back.get<tenant>("tenant").value().seats == 5);
    CHECK_THROWS(boost::json::value_to<auth::claims>(boost::json::parse(R"({"exp":"x"})")));
    CHECK(boost::json::try_value_to<auth::claims>(boost::json::parse("[]")).error() ==
          auth::error::malformed);
}

TEST_CASE("claims: set on a registered claim follows its type rule") {
    auth::claims c;
    c.set("exp", 1800000900);
    CHECK(c.exp == 1800000900);
    c.set("scope", std::string("a b"));
    CHECK(c.scope == std::vector<std::string>{"a", "b"});
    c.set("aud", std::vector<std::string>{"x", "y"});
    CHECK(c.aud.size() == 2);
    CHECK(c.extra.empty());
    CHECK_THROWS_AS(c.set("iss", 5), std::invalid_argument);
}

TEST_CASE("claims: an extra member never overwrites a registered claim when written") {
    auth::claims c;
    c.sub = "u1";
    c.extra["sub"] = "impostor";
    CHECK(boost::json::serialize(boost::json::value_from(c)) == R"({"sub":"u1"})");
}

} // namespace claims_test
