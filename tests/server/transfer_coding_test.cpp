// Transfer codings over real HTTP, against the apikit-server binary: a
// POST /users whose Transfer-Encoding names a coding apikit does not
// implement is a 501 not_implemented and closes the connection, one whose
// framing RFC 9112 calls faulty is a 400, and neither creates a user, though
// the same body sent plainly chunked does. APIKIT_SERVER_BINARY is its path,
// from CMake.

#include "fixture.hpp"
#include "process.hpp"
#include "process_auth.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <string_view>

// Names of their own: the area's test files may be compiled as one unit.
namespace transfer_coding_tests {

using namespace std::chrono_literals;
using test_server::check_error;
namespace json = boost::json;

// Starts apikit-server on a free port, and stops it with SIGTERM.
class server_binary {
public:
    server_binary()
        : child_(APIKIT_SERVER_BINARY,
                 {"--address", "127.0.0.1", "--port", "0", "--jwt-key", key_.path()}) {
        port_ = test_process::listening_port_of(child_);
    }

    std::uint16_t port() const noexcept { return port_; }
    /// `Bearer <token>` that this server accepts.
    std::string bearer() const { return key_.bearer(); }

    /// Stops the server; what it logged, one JSON line per request.
    std::string stop() {
        child_.signal(SIGTERM);
        auto const status = child_.wait_exit(10s);
        REQUIRE(status.has_value());
        CHECK(*status == 0);
        return child_.output();
    }

private:
    test_process::signing_key_file key_; // first: the child reads its file
    test_process::child child_;
    std::uint16_t port_ = 0;
};

std::string const user =
    R"({"email":"ada@example.com","name":"Ada","password":"correct horse battery"})";

// POST /users with these Transfer-Encoding lines and `user`, chunked.
std::string post_user(std::string_view transfer_encoding, std::string_view version = "HTTP/1.1") {
    return "POST /users " + std::string(version) +
           "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
           std::string(transfer_encoding) + "\r\n\r\n" + fmt::format("{:x}", user.size()) + "\r\n" +
           user + "\r\n0\r\n\r\n";
}

// Sends `raw` on a connection of its own: one error envelope with this
// status and code, Connection: close, then the end of the connection.
void expect_refused(std::uint16_t port, std::string const& raw, unsigned status,
                    std::string_view code) {
    CAPTURE(raw);
    apikit_test::http_client c(port);
    c.send_raw(raw);
    auto const res = c.read();
    check_error(res, status, code);
    CHECK(res[boost::beast::http::field::connection] == "close");
    CHECK(c.closed_by_server());
}

std::size_t users_listed(server_binary const& server) {
    apikit_test::http_client c(server.port());
    c.authorization(server.bearer());
    auto const res = c.get("/users");
    REQUIRE(res.result_int() == 200);
    return json::parse(res.body()).at("data").as_array().size();
}

TEST_CASE("apikit-server: POST /users with a transfer coding it does not implement is a 501, "
          "and creates no user") {
    server_binary server;
    // The issue's inputs, then the same codings elsewhere in the list or in
    // fields of their own.
    for (std::string_view const te : {
             "Transfer-Encoding: gzip, chunked",
             "Transfer-Encoding: x-unknown, chunked",
             "Transfer-Encoding: chunked, gzip",
             "Transfer-Encoding: identity, chunked",
             "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
             "Transfer-Encoding: chunked\r\nTransfer-Encoding: x-unknown",
         })
        expect_refused(server.port(), post_user(te), 501, "not_implemented");
    CHECK(users_listed(server) == 0);

    // What RFC 9112 calls faulty framing is a 400.
    for (std::string const& raw : {
             post_user("Transfer-Encoding: chunked", "HTTP/1.0"),
             post_user("Transfer-Encoding: chunked, chunked"),
             post_user("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
             post_user("Transfer-Encoding: ,"),
             post_user("Transfer-Encoding: chunked\r\nContent-Length: 4"),
         })
        expect_refused(server.port(), raw, 400, "malformed_request");
    CHECK(users_listed(server) == 0);

    // The same body, chunked and nothing else (in any case): a user.
    apikit_test::http_client c(server.port());
    c.send_raw(post_user("Transfer-Encoding: Chunked"));
    auto const created = c.read();
    CHECK(created.result_int() == 201);
    CHECK(json::parse(created.body()).at("email").as_string() == "ada@example.com");
    c.close();
    CHECK(users_listed(server) == 1);

    // The access log has each 501 as an error, with why; the client was
    // shown only the code's message.
    auto const log = server.stop();
    std::size_t not_implemented = 0;
    for (std::size_t at = 0; (at = log.find(R"("status":501)", at)) != std::string::npos; ++at)
        ++not_implemented;
    CHECK(not_implemented == 6);
    CHECK(log.find(R"("level":"error")") != std::string::npos);
    CHECK(log.find(R"("error":"Only the chunked transfer coding is implemented")") !=
          std::string::npos);
}

} // namespace transfer_coding_tests
