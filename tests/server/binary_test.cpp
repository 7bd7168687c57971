// The real apikit-server binary: its startup line, a request, a graceful
// SIGTERM with a request in flight, and what is text rather than log lines
// (--help, a refused command line). APIKIT_SERVER_BINARY is its path, from
// CMake. startup_log_test.cpp checks that everything else on stdout is JSON.

#include "process.hpp"
#include "process_auth.hpp"

#include "support/http_client.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

std::string const binary = APIKIT_SERVER_BINARY;

// Starts the server on a free port; returns the port its startup line names.
std::uint16_t listening_port(test_process::child& server) {
    auto line = server.read_line(20s);
    REQUIRE(line.has_value());
    if (json::parse(*line).at("message") != "listening") { // the signing key's line
        line = server.read_line(20s);
        REQUIRE(line.has_value());
    }
    auto const v = json::parse(*line);
    CHECK(v.at("level").as_string() == "info");
    CHECK(v.at("message").as_string() == "listening");
    CHECK(v.at("timestamp").as_string().size() == 24);
    auto const& context = v.at("context");
    CHECK(context.at("address").as_string() == "127.0.0.1");
    auto const port = context.at("port").as_int64();
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    return static_cast<std::uint16_t>(port);
}

// True once nothing accepts on `port`: the server has closed its listener.
// Bounded by attempts, not by sleeping: each refused connect is immediate.
bool listener_closed(std::uint16_t port) {
    for (int attempt = 0; attempt < 200'000; ++attempt) {
        int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int const rc = ::connect(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr);
        int const err = errno;
        ::close(fd);
        if (rc != 0 && err == ECONNREFUSED)
            return true;
        std::this_thread::yield();
    }
    return false;
}

} // namespace

TEST_CASE("apikit-server: logs its port, serves, and stops on SIGTERM with a request in flight") {
    test_process::child server(binary, {"--address", "127.0.0.1", "--port", "0", "--threads", "2"});
    auto const port = listening_port(server);

    apikit_test::http_client c(port);
    auto const health = c.get("/healthz");
    CHECK(health.result_int() == 200);
    CHECK(health.body() == R"({"status":"ok"})");

    // A sign-up whose body is only half sent when the signal arrives.
    std::string const body =
        R"({"email":"ada@example.com","name":"Ada","password":"correct horse battery"})";
    std::string const head = "POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    c.send_raw(head + body.substr(0, 10));
    // An idle keep-alive connection, which shutdown simply closes.
    apikit_test::http_client idle(port);
    REQUIRE(idle.get("/healthz").result_int() == 200);

    server.signal(SIGTERM);
    REQUIRE(listener_closed(port)); // the shutdown has begun
    c.send_raw(body.substr(10));

    auto const res = c.read();
    CHECK(res.result_int() == 201);
    CHECK(json::parse(res.body()).at("email").as_string() == "ada@example.com");
    CHECK(res[http::field::connection] == "close");
    c.close();
    idle.close();

    auto const status = server.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);

    // The rest of stdout: an access-log line per request, then "stopped".
    std::vector<std::string> requests;
    std::string_view out = server.output();
    json::value last;
    while (!out.empty()) {
        auto const nl = out.find('\n');
        last = json::parse(out.substr(0, nl));
        out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
        if (last.at("message") != "request")
            continue;
        auto const& c = last.at("context");
        requests.push_back(json::value_to<std::string>(c.at("method")) + " " +
                           json::value_to<std::string>(c.at("path")) + " " +
                           std::to_string(c.at("status").as_int64()));
    }
    CHECK(requests ==
          std::vector<std::string>{"GET /healthz 200", "GET /healthz 200", "POST /users 201"});
    CHECK(last.at("message").as_string() == "stopped");
}

TEST_CASE("apikit-server: SIGINT stops an idle server with status 0") {
    test_process::child server(binary, {"--port", "0"});
    listening_port(server);
    server.signal(SIGINT);
    auto const status = server.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
}

TEST_CASE("apikit-server: a bad command line exits 2 with a message on stderr") {
    for (auto const& args : std::vector<std::vector<std::string>>{{"--port", "70000"},
                                                                  {"--threads", "0"},
                                                                  {"--bogus"},
                                                                  {"--address", "example.com"},
                                                                  {"--port"},
                                                                  {"--cursor-key", "short"},
                                                                  {"--log-level", "loud"},
                                                                  {"--observability", "maybe"}}) {
        CAPTURE(args.front());
        test_process::child server(binary, args, test_process::child::stderr_to::pipe);
        auto const status = server.wait_exit(10s);
        REQUIRE(status.has_value());
        CHECK(*status == 2);
        CHECK(server.output().starts_with("apikit-server: "));
        CHECK(server.output().find("usage: apikit-server") != std::string::npos);
    }
}

TEST_CASE("apikit-server: --help prints the usage and exits 0") {
    test_process::child server(binary, {"--help"});
    auto const status = server.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(server.output().starts_with("usage: apikit-server"));
}

TEST_CASE("apikit-server: --jwt-key without a usable private key exits 2 and says why") {
    test_process::signing_key_file key;
    std::string const public_only = key.path() + ".pub";
    std::ofstream(public_only) << key.key().public_pem();
    std::string const rsa_1024 = key.path() + ".rsa1024";
    // Too short for RS256 (RFC 7518 §3.3: 2048 bits at least).
    std::ofstream(rsa_1024) << "-----BEGIN PRIVATE KEY-----\n"
                               "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMRHBPwNbVuPSkg5\n"
                               "-----END PRIVATE KEY-----\n";
    for (auto const& file : {std::string("/nonexistent/key.pem"), public_only, rsa_1024}) {
        CAPTURE(file);
        test_process::child server(binary, {"--port", "0", "--jwt-key", file},
                                   test_process::child::stderr_to::pipe);
        auto const status = server.wait_exit(10s);
        REQUIRE(status.has_value());
        CHECK(*status == 2);
        CHECK(server.output().starts_with("apikit-server: --jwt-key: "));
    }
    std::remove(public_only.c_str());
    std::remove(rsa_1024.c_str());
}

TEST_CASE("apikit-server: POST /auth/login is limited per address, apart from the other routes") {
    test_process::signing_key_file key;
    test_process::child server(binary, {"--port", "0", "--jwt-key", key.path()});
    auto const port = listening_port(server);
    apikit_test::http_client c(port);
    std::string const guess = R"({"email":"ada@example.com","password":"guess number n"})";
    for (int i = 0; i < 10; ++i)
        CHECK(c.post("/auth/login", guess).result_int() == 401);
    auto const limited = c.post("/auth/login", guess);
    CHECK(limited.result_int() == 429);
    CHECK(json::parse(limited.body()).at("error").at("code").as_string() == "rate_limited");
    CHECK(limited["RateLimit-Policy"] == R"("login";q=10;w=60)");
    // The routes' own budget is untouched.
    c.authorization(key.bearer());
    auto const users = c.get("/users");
    CHECK(users.result_int() == 200);
    CHECK(users["X-RateLimit-Remaining"] == "99");
    c.close();
    server.signal(SIGTERM);
    CHECK(server.wait_exit(10s) == std::optional<int>(0));
}
