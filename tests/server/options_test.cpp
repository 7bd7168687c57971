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
}

TEST_CASE("options: a cursor key in base64 or base64url, padded or not") {
    // 32 bytes whose encodings hold '+' and '/', or '-' and '_'.
    std::string bytes;
    for (int i = 0; i < 32; ++i)
        bytes.push_back(static_cast<char>(0xfb + i * 37));
    auto const url = apikit::base64url::encode(bytes, apikit::base64url::padding::include);
    std::string standard = url; // as `openssl rand -base64 32` prints it
    for (char& c : standard)
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    REQUIRE(standard.find_first_of("+/") != std::string::npos);
    for (auto const& key : {url, standard, url.substr(0, 43), standard.substr(0, 43)}) {
        CAPTURE(key);
        auto r = parse({"--cursor-key", key.c_str()});
        REQUIRE(r.has_value());
        CHECK(r->cursor_key == bytes);
    }
    auto env = sample::decode_cursor_key(standard, "APIKIT_CURSOR_KEY");
    REQUIRE(env.has_value());
    CHECK(*env == bytes);
}

TEST_CASE("options: a bad cursor key is refused saying what is wrong and what to run") {
    // Too short, whatever its length: the bytes it holds.
    CHECK(refusal({"--cursor-key", "short"}) ==
          "--cursor-key: the key must decode to at least 32 bytes, got 3; make one with: "
          "openssl rand -base64 32");
    std::string const short_key(42, 'A'); // 31 bytes
    CHECK(refusal({"--cursor-key", short_key.c_str()}) ==
          "--cursor-key: the key must decode to at least 32 bytes, got 31; make one with: "
          "openssl rand -base64 32");
    CHECK(refusal({"--cursor-key="})
              .starts_with("--cursor-key: the key must decode to at least 32 bytes, got 0;"));
    // Long enough but not base64: where and why, never the key itself.
    CHECK(refusal({"--cursor-key", "not base64!"}) ==
          "--cursor-key: character 4 (a space) is in neither base64 alphabet (A-Z a-z 0-9 and + "
          "/ or - _); make one with: openssl rand -base64 32");
    std::string mixed(43, 'A');
    mixed[3] = '+';
    mixed[9] = '_';
    CHECK(refusal({"--cursor-key", mixed.c_str()}) ==
          "--cursor-key: character 10 ('_') is base64url but an earlier one is of the other "
          "alphabet: a text uses one of them; make one with: openssl rand -base64 32");
    std::string const long_cut(45, 'A'); // a 4n+1 length, 33 bytes and 6 bits
    CHECK(refusal({"--cursor-key", long_cut.c_str()})
              .starts_with("--cursor-key: 45 characters is no base64 length"));
    std::string padded(43, 'A');
    padded += "==";
    CHECK(refusal({"--cursor-key", padded.c_str()})
              .starts_with("--cursor-key: character 44 is a '=' that is not padding"));
    // The environment variable is named as the flag is.
    auto const env = sample::decode_cursor_key("short", "APIKIT_CURSOR_KEY");
    REQUIRE(env.has_error());
    CHECK(env.error().message ==
          "APIKIT_CURSOR_KEY: the key must decode to at least 32 bytes, got 3; make one with: "
          "openssl rand -base64 32");
}

TEST_CASE("options: the rate limit, its store and the trusted proxies") {
    auto defaults = parse({});
    REQUIRE(defaults.has_value());
    CHECK(defaults->rate_limit == sample::rate_limit_spec{100, 10});
    CHECK(defaults->redis_url.empty());
    CHECK(defaults->trusted_proxies.empty());

    auto r = parse({"--rate-limit", "5:2", "--redis", "redis://127.0.0.1:6380/1", "--trusted-proxy",
                    "10.0.0.0/8", "--trusted-proxy=::1"});
    REQUIRE(r.has_value());
    CHECK(r->rate_limit == sample::rate_limit_spec{5, 2});
    CHECK(r->redis_url == "redis://127.0.0.1:6380/1");
    CHECK(r->trusted_proxies == std::vector<std::string>{"10.0.0.0/8", "::1"});

    auto off = parse({"--rate-limit=off"});
    REQUIRE(off.has_value());
    CHECK_FALSE(off->rate_limit.has_value());
    auto big = parse({"--rate-limit", "1000000000:1000000000"});
    REQUIRE(big.has_value());
    CHECK(big->rate_limit == sample::rate_limit_spec{1'000'000'000, 1'000'000'000});
}

TEST_CASE("options: a bad rate limit, Redis URL or proxy is refused with a message") {
    for (auto const* spec : {"", "100", "100:", ":10", "0:10", "100:0", "-1:10", "100:10:1",
                             "1000000001:1", "1:1000000001", "ten:1", "OFF", "100/10"}) {
        CAPTURE(spec);
        CHECK(refusal({"--rate-limit", spec}).starts_with("--rate-limit: '"));
    }
    for (auto const* url :
         {"http://127.0.0.1", "127.0.0.1:6379", "redis://", "redis://h:0", "redis://h/x"}) {
        CAPTURE(url);
        CHECK(refusal({"--redis", url}).starts_with("--redis: not a redis:// URL"));
    }
    // A password in a refused URL is not repeated back.
    CHECK(refusal({"--redis", "redis://u:hunter2@h:0"}).find("hunter2") == std::string::npos);
    for (auto const* proxy : {"10.0.0.1/8", "proxy.local", "", "10.0.0.0/33"}) {
        CAPTURE(proxy);
        CHECK(refusal({"--trusted-proxy", proxy}).starts_with("--trusted-proxy: '"));
    }
}

TEST_CASE(
    "options: --log-level takes a level's name, without case, and --observability on or off") {
    using apikit::obs::level;
    auto const defaults = parse({});
    REQUIRE(defaults.has_value());
    CHECK(defaults->log_level == level::info);
    CHECK(defaults->observability);

    std::vector<std::pair<char const*, level>> const cases{
        {"trace", level::trace}, {"debug", level::debug},  {"info", level::info},
        {"WARN", level::warn},   {"warning", level::warn}, {"error", level::error},
        {"Fatal", level::fatal}};
    for (auto const& c : cases) { // no structured binding: clang 14 cannot capture one
        CAPTURE(c.first);
        auto const r = parse({"--log-level", c.first});
        REQUIRE(r.has_value());
        CHECK(r->log_level == c.second);
    }
    auto const inline_form = parse({"--log-level=debug", "--observability=off"});
    REQUIRE(inline_form.has_value());
    CHECK(inline_form->log_level == level::debug);
    CHECK_FALSE(inline_form->observability);
    CHECK(parse({"--observability", "off", "--observability", "on"})->observability);

    CHECK(refusal({"--log-level", "verbose"}) ==
          "--log-level: 'verbose' is not one of trace, debug, info, warn, error, fatal");
    CHECK(refusal({"--log-level", "off"}) ==
          "--log-level: 'off' is not one of trace, debug, info, warn, error, fatal");
    CHECK(refusal({"--log-level="}) ==
          "--log-level: '' is not one of trace, debug, info, warn, error, fatal");
    CHECK(refusal({"--log-level"}) == "--log-level needs a value");
    CHECK(refusal({"--observability", "no"}) == "--observability: 'no' is not on or off");
    CHECK(refusal({"--observability"}) == "--observability needs a value");
}
