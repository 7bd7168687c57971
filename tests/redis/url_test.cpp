// redis:// URLs: what each part means, and a clear error for each part that
// is wrong.

#include <apikit/redis/url.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

using apikit::redis::endpoint;
using apikit::redis::error;
using apikit::redis::parse_url;

TEST_CASE("parse_url: host and port, default port, database") {
    auto const a = parse_url("redis://127.0.0.1:6379");
    REQUIRE(a.has_value());
    CHECK(*a == endpoint{"127.0.0.1", 6379, "", "", 0});

    auto const b = parse_url("redis://localhost");
    REQUIRE(b.has_value());
    CHECK(b->host == "localhost");
    CHECK(b->port == 6379);

    auto const c = parse_url("redis://127.0.0.1:7000/3");
    REQUIRE(c.has_value());
    CHECK(c->port == 7000);
    CHECK(c->database == 3);

    auto const d = parse_url("redis://127.0.0.1/");
    REQUIRE(d.has_value());
    CHECK(d->database == 0);

    auto const v6 = parse_url("redis://[::1]:6380");
    REQUIRE(v6.has_value());
    CHECK(v6->host == "::1");
    CHECK(v6->port == 6380);

    CHECK(parse_url("REDIS://127.0.0.1").has_value());
}

TEST_CASE("parse_url: credentials, percent-decoded") {
    auto const pw = parse_url("redis://:s%40cret@127.0.0.1:6379/2");
    REQUIRE(pw.has_value());
    CHECK(pw->user.empty());
    CHECK(pw->password == "s@cret");
    CHECK(pw->database == 2);

    auto const acl = parse_url("redis://alice:wonder%3Aland@127.0.0.1");
    REQUIRE(acl.has_value());
    CHECK(acl->user == "alice");
    CHECK(acl->password == "wonder:land");
}

TEST_CASE("parse_url: each bad part is its own error") {
    CHECK(parse_url("").error() == error::url_syntax);
    CHECK(parse_url("127.0.0.1:6379").error() == error::url_syntax);
    CHECK(parse_url("localhost:6379").error() == error::url_scheme);
    CHECK(parse_url("redis//127.0.0.1").error() == error::url_syntax);
    CHECK(parse_url("http://127.0.0.1:6379").error() == error::url_scheme);
    CHECK(parse_url("rediss://127.0.0.1:6379").error() == error::url_scheme);
    CHECK(parse_url("redis://").error() == error::url_host);
    CHECK(parse_url("redis:///0").error() == error::url_host);
    CHECK(parse_url("redis:127.0.0.1").error() == error::url_host);
    CHECK(parse_url("redis://127.0.0.1:").error() == error::url_port);
    CHECK(parse_url("redis://127.0.0.1:0").error() == error::url_port);
    CHECK(parse_url("redis://127.0.0.1:65536").error() == error::url_port);
    CHECK(parse_url("redis://127.0.0.1:99999999999").error() == error::url_port);
    CHECK(parse_url("redis://127.0.0.1:6379/x").error() == error::url_database);
    CHECK(parse_url("redis://127.0.0.1:6379/-1").error() == error::url_database);
    CHECK(parse_url("redis://127.0.0.1:6379/1/2").error() == error::url_database);
    CHECK(parse_url("redis://127.0.0.1:6379/9999999999").error() == error::url_database);
    CHECK(parse_url("redis://alice@127.0.0.1").error() == error::url_credentials);
    CHECK(parse_url("redis://alice:@127.0.0.1").error() == error::url_credentials);
    CHECK(parse_url("redis://127.0.0.1?db=1").error() == error::url_unsupported);
    CHECK(parse_url("redis://127.0.0.1#x").error() == error::url_unsupported);
    CHECK(parse_url("redis://bad host").error() == error::url_syntax);
}

TEST_CASE("parse_url: the messages name the part") {
    CHECK(make_error_code(error::url_port).message().find("port") != std::string::npos);
    CHECK(make_error_code(error::url_scheme).message().find("rediss://") != std::string::npos);
    CHECK(make_error_code(error::url_database).message().find("/N") != std::string::npos);
}

TEST_CASE("endpoint: printed without its password") {
    auto const e = parse_url("redis://alice:topsecret@127.0.0.1:6380/2").value();
    auto const shown = fmt::format("{}", e);
    CHECK(shown == "redis://alice:***@127.0.0.1:6380/2");
    CHECK(shown.find("topsecret") == std::string::npos);
    CHECK(fmt::format("{}", parse_url("redis://[::1]").value()) == "redis://[::1]:6379");
    CHECK(fmt::format("{}", endpoint{}) == "redis://127.0.0.1:6379");
}
