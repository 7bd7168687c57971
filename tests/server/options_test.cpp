// The sample server's command line.

#include "options.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

boost::system::result<sample::server_options, sample::usage_error>
parse(std::vector<char const*> args) {
    return sample::parse_options(args);
}

std::string refusal(std::vector<char const*> args) {
    auto r = parse(std::move(args));
    REQUIRE(r.has_error());
    return r.error().message;
}

} // namespace

TEST_CASE("options: defaults") {
    auto r = parse({});
    REQUIRE(r.has_value());
    CHECK(r->address == "127.0.0.1");
    CHECK(r->port == 8080);
    CHECK(r->threads == 1);
    CHECK(r->cursor_key.empty());
    CHECK_FALSE(r->help);
}

TEST_CASE("options: every flag, in both spellings") {
    std::string const key(43, 'A'); // 32 zero bytes in base64url
    auto r = parse({"--address", "::1", "--port=0", "--threads", "4", "--cursor-key", key.c_str()});
    REQUIRE(r.has_value());
    CHECK(r->address == "::1");
    CHECK(r->port == 0);
    CHECK(r->threads == 4);
    CHECK(r->cursor_key == std::string(32, '\0'));

    auto again = parse({"--address=127.0.0.2", "--port", "65535", "--threads=256", "--port", "9"});
    REQUIRE(again.has_value());
    CHECK(again->address == "127.0.0.2");
    CHECK(again->port == 9); // the last one wins
    CHECK(again->threads == 256);

    auto help = parse({"--help"});
    REQUIRE(help.has_value());
    CHECK(help->help);
    CHECK(parse({"-h"})->help);
}

TEST_CASE("options: bad flags are refused with a message") {
    CHECK(refusal({"--bogus"}) == "unknown argument '--bogus'");
    CHECK(refusal({"serve"}) == "unknown argument 'serve'");
    CHECK(refusal({"--bogus=1"}) == "unknown argument '--bogus=1'");
    CHECK(refusal({"--port"}) == "--port needs a value");
    CHECK(refusal({"--help=yes"}) == "--help takes no value");
    for (auto const* port : {"", "-1", "65536", "80x", "0x50", " 80", "99999999999999999999"}) {
        CAPTURE(port);
        CHECK(refusal({"--port", port}).starts_with("--port: '"));
    }
    for (auto const* threads : {"0", "257", "-2", "two", ""}) {
        CAPTURE(threads);
        CHECK(refusal({"--threads", threads}).starts_with("--threads: '"));
    }
    for (auto const* address : {"localhost", "256.0.0.1", "", "127.0.0.1:80"}) {
        CAPTURE(address);
        CHECK(refusal({"--address", address}).find("is not an IP address") != std::string::npos);
    }
    CHECK(refusal({"--cursor-key", "not base64!"}) == "--cursor-key: not base64url");
    std::string const short_key(42, 'A'); // 31 bytes
    CHECK(refusal({"--cursor-key", short_key.c_str()})
              .starts_with("--cursor-key: the key must be at least 32 bytes"));
}
