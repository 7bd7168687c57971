#ifndef APIKIT_TESTS_SERVER_FIXTURE_HPP
#define APIKIT_TESTS_SERVER_FIXTURE_HPP

// The sample server, running in-process on an ephemeral loopback port,
// built by the same sample::basic_server as apikit-server, over a manual
// clock the test drives (for the store's created_at and the rate limiter)
// and an access log kept in memory; its users in memory, or in a store that
// answers later from a thread of its own.

#include "any_refresh_store.hpp"
#include "auth_service.hpp"
#include "later_store.hpp"
#include "server.hpp"

#include "support/http_client.hpp"

#include <apikit/auth/key.hpp>
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/password.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/obs/level.hpp>
#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test_server {

namespace json = boost::json;
namespace http = boost::beast::http;
using sys = std::chrono::system_clock;
using apikit_test::body_json;
using client = apikit_test::http_client;
using response = apikit_test::http_response;

/// 2024-01-15T10:00:00.000Z
inline sys::time_point const start_time{std::chrono::seconds(1'705'312'800)};

/// The key the fixture's cursors are signed with.
inline std::string const cursor_secret(32, 'k');

/// The key the fixture's servers sign access tokens with: Ed25519, made
/// once per test process (an RSA key takes a tenth of a second to make).
inline apikit::auth::key const& test_signing_key() {
    static apikit::auth::key const k =
        apikit::auth::key::generate(apikit::auth::algorithm::eddsa).value();
    return k;
}

/// The fixture's authentication: its key, refresh tokens in memory, and a
/// password KDF cheap enough for tests (the server's default costs ~50 ms
/// per check by design).
inline std::shared_ptr<sample::auth_service> test_auth(sample::auth_settings s = {}) {
    s.password = apikit::auth::password_params::scrypt(10, 8, 1); // 1 MiB, about a millisecond
    return std::make_shared<sample::auth_service>(
        test_signing_key(),
        sample::any_refresh_store(std::in_place_type<apikit::auth::memory_refresh_store>),
        std::move(s));
}

/// Where the fixture's server keeps its users.
enum class users_in {
    memory, ///< the memory store: every route answers in the call
    later,  ///< later_user_store: every route suspends and is resumed
};

/// A fixture server's make-up, for the tests that need more than the
/// positional constructor says.
struct server_setup {
    unsigned threads = 1;
    std::optional<sample::rate_limit_spec> limit;
    users_in users = users_in::memory;
    std::shared_ptr<sample::auth_service> auth;
    /// The logger's minimum level: every line's, the access log's included.
    apikit::obs::level log_level = apikit::obs::level::info;
    /// false: `--observability off`.
    bool observability = true;
    /// The events' bus; empty: the server's default (memory).
    std::optional<apikit::events::any_bus> events;
};

class running_server {
public:
    using clock_type = apikit::manual_clock<sys>;
    using clock_ref = apikit::clock_ref<clock_type>;
    using server_type = sample::basic_server<clock_ref, apikit::memory_sink>;
    using later_store = later_user_store<clock_ref>;

    /// `limit`: the rate limit of the /users routes, on the fixture's clock
    /// (which stands still unless the test moves it); none by default, since
    /// most tests send more requests than a client may.
    explicit running_server(unsigned threads = 1,
                            std::optional<sample::rate_limit_spec> limit = std::nullopt,
                            users_in users = users_in::memory,
                            std::shared_ptr<sample::auth_service> auth = nullptr)
        : running_server(server_setup{threads, limit, users, std::move(auth),
                                      apikit::obs::level::info, true, std::nullopt}) {}

    explicit running_server(server_setup setup) : server_(parts(std::move(setup))) {
        auto const started = server_.start();
        REQUIRE(started.has_value());
    }

    running_server(running_server const&) = delete;
    running_server& operator=(running_server const&) = delete;

    ~running_server() {
        server_.stop();
        server_.wait();
    }

    std::uint16_t port() const noexcept { return server_.port(); }
    clock_type& clock() noexcept { return clock_; }
    apikit::memory_sink const& log() const noexcept { return sink_; }
    /// The store that answers later, when the server has it.
    later_store* later() noexcept { return server_.parts().users.target<later_store>(); }
    /// The server's authentication: keys, tokens, refresh tokens.
    sample::auth_service& auth() noexcept { return *server_.parts().auth; }
    /// The server itself: its logger, its metrics.
    server_type& server() noexcept { return server_; }

    /// An access token of the server's for `subject` with `scopes`, as
    /// POST /auth/login would issue (the subject need not be a user: no
    /// route checks that a token's user exists).
    std::string token(std::string_view subject = "user_test",
                      std::vector<std::string> scopes = {"read", "write"}) {
        return auth().issuer().issue(subject, scopes).value();
    }
    /// Makes `c` send a bearer token with every request: a signed-in client.
    void authorize(client& c, std::string_view subject = "user_test") {
        c.authorization("Bearer " + token(subject));
    }

private:
    server_type::parts_type parts(server_setup s) {
        namespace rl = apikit::ratelimit;
        server_type::parts_type p;
        p.http.address = "127.0.0.1";
        p.http.port = 0;
        p.http.threads = s.threads;
        p.http.handle_signals = false; // the test process's signals are the test runner's
        p.log = std::make_shared<apikit::log_writer<apikit::memory_sink>>(sink_);
        p.logger = std::make_shared<server_type::logger_type>(p.log, s.log_level);
        p.observability = s.observability;
        if (s.events)
            p.events = std::move(*s.events);
        p.auth = s.auth ? std::move(s.auth) : test_auth();
        // No login limit: tests sign in more often than a client may.
        if (s.limit)
            p.rate_limit = rl::basic_any_limiter<clock_ref>(
                std::in_place_type<rl::limiter<rl::memory_store, clock_ref>>,
                sample::rate_limit_policy(*s.limit), clock_ref(clock_));
        if (s.users == users_in::later)
            p.users = sample::any_user_store(std::in_place_type<later_store>, clock_ref(clock_));
        else
            p.users = sample::any_user_store(
                std::in_place_type<sample::memory_user_store<clock_ref>>, clock_ref(clock_));
        p.cursor_key = cursor_secret;
        return p;
    }

    clock_type clock_{start_time};
    apikit::memory_sink sink_;
    server_type server_; // last: stops first
};

/// Checks `res` is an error envelope with this status and code, carrying
/// the request id of its X-Request-Id header; returns the envelope's
/// `error` object.
inline json::object check_error(response const& res, unsigned status, std::string_view code) {
    CHECK(res.result_int() == status);
    CHECK(res[http::field::content_type] == "application/json");
    auto const body = body_json(res);
    REQUIRE(body.is_object());
    CHECK(body.as_object().size() == 1);
    auto const& error = body.at("error").as_object();
    CHECK(error.at("code").as_string() == code);
    CHECK(error.at("message").is_string());
    CHECK_FALSE(error.at("message").as_string().empty());
    auto const request_id = res["X-Request-Id"];
    CHECK_FALSE(request_id.empty());
    CHECK(error.at("request_id").as_string() == request_id);
    return error;
}

/// The `details` of a 422 as field → message, checking their shape.
inline std::vector<std::pair<std::string, std::string>> details_of(json::object const& error) {
    std::vector<std::pair<std::string, std::string>> out;
    auto const* details = error.if_contains("details");
    REQUIRE(details);
    for (auto const& d : details->as_array()) {
        auto const& o = d.as_object();
        CHECK(o.size() == 2);
        out.emplace_back(o.at("field").as_string(), o.at("message").as_string());
    }
    return out;
}

/// The fields named by a 422 `validation_error`, in order.
inline std::vector<std::string> invalid_fields(response const& res) {
    auto const error = check_error(res, 422, "validation_error");
    CHECK(error.at("message").as_string() == "Invalid request parameters");
    std::vector<std::string> fields;
    for (auto const& [field, message] : details_of(error))
        fields.push_back(field);
    return fields;
}

/// Checks `v` is a user as the contract shows it.
inline void check_user_shape(json::value const& v) {
    REQUIRE(v.is_object());
    auto const& o = v.as_object();
    CHECK(o.size() == 5);
    REQUIRE(o.contains("id"));
    CHECK(o.at("id").as_string().starts_with("user_"));
    CHECK(o.at("id").as_string().size() == 5 + apikit::id_random_length);
    CHECK(o.at("email").is_string());
    CHECK(o.at("name").is_string());
    CHECK(o.at("created_at").as_string().size() == apikit::rfc3339_ms_size);
    CHECK(o.at("version").is_int64());
}

/// The password sign_up gives every user.
inline constexpr std::string_view test_password = "correct horse battery";

/// Signs up `email`; returns the new user's JSON.
inline json::object sign_up(client& c, std::string_view email, std::string_view name = "Ada") {
    auto const res = c.post_json(
        "/users", json::value{{"email", email}, {"name", name}, {"password", test_password}});
    REQUIRE(res.result_int() == 201);
    auto body = body_json(res);
    check_user_shape(body);
    return body.as_object();
}

inline std::string id_of(json::object const& o) {
    return std::string(o.at("id").as_string());
}

/// `target` with `?`/`&` and `name=value` appended, the value percent-encoded.
inline std::string with_query(std::string target, std::string_view name, std::string_view value) {
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += name;
    target += '=';
    for (unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            target += static_cast<char>(c);
        else
            target += fmt::format("%{:02X}", c);
    }
    return target;
}

} // namespace test_server

#endif
