// The real apikit-server's standard output is JSON lines only, from start-up
// to shutdown, so that `./dev serve | jq` reads all of it: the warning that
// Redis is unreachable and the failure to listen are log lines too. Only
// --help and a refused command line are text (binary_test.cpp). Each child's
// stderr is read through the same pipe as its stdout here, so a line of plain
// text on either fails the check.

#include "process.hpp"

#include "support/http_client.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
namespace json = boost::json;

namespace startup_log_test {

std::string const binary = APIKIT_SERVER_BINARY;

// Checks that `line` is one log line, {timestamp, level, message, context},
// and returns it.
json::object log_line(std::string_view line) {
    CAPTURE(line);
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    auto& o = v.as_object();
    CHECK(o.at("timestamp").as_string().size() == 24);
    CHECK(o.at("level").is_string());
    CHECK(o.at("message").is_string());
    CHECK(o.at("context").is_object());
    return o;
}

// Every line of `out`, each a log line; `out` ends with a newline.
std::vector<json::object> log_lines(std::string_view out) {
    std::vector<json::object> lines;
    REQUIRE((out.empty() || out.back() == '\n'));
    while (!out.empty()) {
        auto const nl = out.find('\n');
        lines.push_back(log_line(out.substr(0, nl)));
        out.remove_prefix(nl + 1);
    }
    return lines;
}

// A loopback port nobody listens on, for as long as it lives: bound, so no
// one else gets it, and never listening, so a connect is refused at once.
class refused_port {
public:
    refused_port() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    refused_port(refused_port const&) = delete;
    refused_port& operator=(refused_port const&) = delete;
    ~refused_port() { ::close(fd_); }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

private:
    int fd_;
    std::uint16_t port_ = 0;
};

// Reads log lines until "listening"; returns them, that one last.
std::vector<json::object> until_listening(test_process::child& server) {
    std::vector<json::object> lines;
    for (;;) {
        auto const line = server.read_line(20s);
        REQUIRE(line.has_value());
        lines.push_back(log_line(*line));
        if (lines.back().at("message").as_string() == "listening")
            return lines;
    }
}

} // namespace startup_log_test

TEST_CASE("apikit-server: stdout is JSON lines only, from start-up to stop") {
    namespace t = startup_log_test;
    std::vector<std::string> args{"--port", "0"};
#if APIKIT_TEST_WITH_REDIS
    // A Redis nobody answers: the server starts anyway and says so in a log line.
    t::refused_port redis;
    std::string const redis_url = "redis://127.0.0.1:" + std::to_string(redis.port());
    args.insert(args.end(), {"--redis", redis_url});
#endif
    // A key in standard base64, '+' and '/' included, as openssl prints it.
    args.insert(args.end(), {"--cursor-key", "+/+/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
    test_process::child server(t::binary, args, test_process::child::stderr_to::pipe);

    auto const start = t::until_listening(server);
#if APIKIT_TEST_WITH_REDIS
    REQUIRE(start.size() == 3);
    auto const& warning = start.front();
    CHECK(warning.at("level").as_string() == "warn");
    CHECK(warning.at("message").as_string() ==
          "Redis is unreachable: requests are let through unlimited, and sign-ins and events "
          "fail, until it is back");
    CHECK(warning.at("context").at("redis").as_string() == redis_url);
    CHECK_FALSE(warning.at("context").at("error").as_string().empty());
#else
    REQUIRE(start.size() == 2);
#endif
    // The key that signs access tokens, made at start: its kid (the RFC 7638
    // thumbprint, 43 base64url characters) for the operator to find in the
    // JWKS, never the key itself.
    auto const& signing = start[start.size() - 2];
    CHECK(signing.at("level").as_string() == "info");
    CHECK(signing.at("message").as_string() == "signing access tokens with a key made at start");
    CHECK(signing.at("context").at("alg").as_string() == "RS256");
    CHECK(signing.at("context").at("kid").as_string().size() == 43);
    CHECK(signing.at("context").as_object().size() == 2);
    auto const port = static_cast<std::uint16_t>(start.back().at("context").at("port").as_int64());

    apikit_test::http_client c(port);
    CHECK(c.get("/healthz").result_int() == 200);
    CHECK(c.get("/users").result_int() == 401); // the limiter fails open; the guard answers
    c.close();

    server.signal(SIGTERM);
    auto const status = server.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    auto const rest = t::log_lines(server.output());
    REQUIRE(rest.size() == 3); // two requests, then "stopped"
    CHECK(rest[0].at("message").as_string() == "request");
    CHECK(rest[1].at("message").as_string() == "request");
    CHECK(rest[2].at("message").as_string() == "stopped");
}

TEST_CASE("apikit-server: an address it cannot listen on is an error log line and exit 1") {
    namespace t = startup_log_test;
    test_process::child first(t::binary, {"--port", "0"});
    auto const port = t::until_listening(first).back().at("context").at("port").as_int64();

    test_process::child second(t::binary, {"--port", std::to_string(port)},
                               test_process::child::stderr_to::pipe);
    auto const status = second.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    auto const lines = t::log_lines(second.output());
    REQUIRE(lines.size() == 2); // the signing key's line, then the error
    CHECK(lines[1].at("level").as_string() == "error");
    CHECK(lines[1].at("message").as_string() == "cannot listen");
    auto const& context = lines[1].at("context");
    CHECK(context.at("address").as_string() == "127.0.0.1");
    CHECK(context.at("port").as_int64() == port);
    CHECK(context.at("error").as_string().find("in use") != json::string::npos);
}
