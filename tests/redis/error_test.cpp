// redis::error: every code's message, the errc a client is answered with,
// and which codes mean that Redis did not answer — the table in error.hpp,
// checked row by row against what callers rely on.

#include <apikit/redis/error.hpp>

#include <doctest/doctest.h>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace redis = apikit::redis;
using apikit::condition;
using apikit::errc;
using boost::system::error_code;

TEST_CASE("redis::error: each code's message, answer and condition") {
    struct row {
        redis::error e;
        bool unavailable;
        std::string_view message;
    };
    row const rows[] = {
        {redis::error::not_connected, true, "redis: not connected (the command was not sent)"},
        {redis::error::queue_full, true,
         "redis: too many commands waiting (the command was not sent)"},
        {redis::error::timeout, true, "redis: no reply in time (the command may have run)"},
        {redis::error::connection_lost, true,
         "redis: the connection was lost with the command in flight (it may have run)"},
        {redis::error::closed, true, "redis: the connection is closed"},
        {redis::error::protocol_error, true, "redis: the server's reply is not valid RESP"},
        {redis::error::handshake_failed, true,
         "redis: the server refused SELECT or PING on connect"},
        {redis::error::auth_failed, true,
         "redis: authentication failed (a wrong user or password, or none given)"},
        {redis::error::server_error, false, "redis: the server answered with an error"},
        {redis::error::unexpected_reply, false,
         "redis: the reply's type or value is not the one asked for"},
        {redis::error::cross_slot, false,
         "redis: the keys of one script or cluster command must share a hash slot (use one hash "
         "tag)"},
        {redis::error::url_syntax, false,
         "redis URL: not a valid URL (expected redis://[user:password@]host[:port][/db])"},
        {redis::error::url_scheme, false,
         "redis URL: the scheme must be redis:// (rediss:// is not supported)"},
        {redis::error::url_host, false, "redis URL: the host is missing"},
        {redis::error::url_port, false, "redis URL: the port must be a number from 1 to 65535"},
        {redis::error::url_database, false, "redis URL: the path must be /N, N a database number"},
        {redis::error::url_credentials, false,
         "redis URL: a user name needs a password (user:password@)"},
        {redis::error::url_unsupported, false,
         "redis URL: query strings and fragments are not supported"},
    };
    CHECK(std::size(rows) == static_cast<std::size_t>(redis::error::url_unsupported));
    for (auto const& r : rows) {
        error_code const ec = r.e;
        CAPTURE(ec.value());
        CHECK(ec.message() == r.message);
        CHECK((ec == condition::backend_unavailable) == r.unavailable);
        CHECK(apikit::to_errc(ec) ==
              (r.unavailable ? errc::service_unavailable : errc::internal_error));
        CHECK(apikit::http_status(ec) == (r.unavailable ? 503u : 500u));
    }
    CHECK(redis::error_category().message(0) == "redis: unknown error");
    CHECK(redis::error_category().message(99) == "redis: unknown error");
}

TEST_CASE("redis::error: one category named apikit.redis, kept apart from apikit's own") {
    error_code const ec = redis::error::timeout;
    CHECK(ec.category() == redis::error_category());
    CHECK(&redis::error_category() == &apikit::error_category_of<redis::error>());
    CHECK(std::string(ec.category().name()) == "apikit.redis");
    CHECK(ec.category() != apikit::error_category());
    CHECK(ec == redis::error::timeout);
    CHECK(ec != redis::error::connection_lost);
    CHECK(ec == make_error_code(redis::error::timeout));
    CHECK(ec != errc::service_unavailable); // answered 503, but a code of its own
}

TEST_CASE("redis: failing to reach the server at all is backend_unavailable too") {
    // What async_connect completes with when the attempt fails below Redis.
    CHECK(error_code(boost::asio::error::connection_refused) == condition::backend_unavailable);
    CHECK(error_code(boost::asio::error::timed_out) == condition::backend_unavailable);
    CHECK(error_code(boost::asio::error::host_unreachable) == condition::backend_unavailable);
    CHECK(error_code(boost::asio::error::host_not_found) == condition::backend_unavailable);
    CHECK(error_code(boost::asio::error::host_not_found_try_again) ==
          condition::backend_unavailable);
    // A cancellation is not an outage: the connection was closed by its owner.
    CHECK(error_code(boost::asio::error::operation_aborted) != condition::backend_unavailable);
    CHECK(error_code(boost::asio::error::invalid_argument) != condition::backend_unavailable);
}

TEST_CASE("redis: an outage policy asks one question of any failure") {
    // [outage-policy]
    auto policy = [](error_code ec) -> std::string_view {
        if (ec == apikit::condition::backend_unavailable)
            return "fail open"; // Redis did not answer: not connected, timed out, lost…
        return "error";         // a bug or bad configuration: apikit::to_errc(ec) is a 500
    };
    // [outage-policy]
    CHECK(policy(redis::error::not_connected) == "fail open");
    CHECK(policy(redis::error::timeout) == "fail open");
    CHECK(policy(boost::asio::error::connection_refused) == "fail open");
    CHECK(policy(redis::error::unexpected_reply) == "error");
    CHECK(policy(redis::error::cross_slot) == "error");
}
