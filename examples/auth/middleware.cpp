// Bearer authentication in an apikit server: `auth::bearer` verifies the
// token of each request and fills its `auth::principal`, `auth::guard`
// answers by the route's rule (401 without a token or with a bad one, 403
// without the scope), and a handler reads who is asking. One open route,
// one that needs the scope `read`.
//
//   apikit-example-auth-middleware [port] [--once]   (default 8080; 0 picks a free port)
//
// It starts the server, calls it the four ways a request can fare and
// prints the answers, then prints a token and curl lines to try and serves
// until SIGINT or SIGTERM. With --once it stops after its own calls (ctest
// runs it so), exiting 0 when every answer was the expected one.
// docs/auth.md quotes this file.

#include <apikit/auth.hpp>
#include <apikit/auth/middleware.hpp>
#include <apikit/http.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace auth = apikit::auth;
namespace http = apikit::http;
using apikit::api::method;

namespace {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

struct answer {
    unsigned status;
    std::string www_authenticate;
    std::string body;
};

/// GET `target` with `token` as its bearer token (none when empty).
answer call(std::uint16_t port, std::string_view target, std::string_view token) {
    boost::asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    beast::http::request<beast::http::empty_body> req(beast::http::verb::get, target, 11);
    req.set(beast::http::field::host, "127.0.0.1");
    if (!token.empty())
        req.set(beast::http::field::authorization, std::string("Bearer ").append(token));
    beast::http::write(s, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(s, buffer, res);
    return {res.result_int(), std::string(res[beast::http::field::www_authenticate]), res.body()};
}

} // namespace

int main(int argc, char** argv) {
    http::server_options opts;
    bool once = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--once")
            once = true;
        else
            opts.port = static_cast<std::uint16_t>(std::strtoul(argv[i], nullptr, 10));
    }
    opts.handle_signals = !once;

    // [keys] The keys, the verifier and the issuer (tokens.cpp shows them
    // one by one). A real service gets its tokens from its login route.
    auth::key_set keys;
    keys.add(auth::key::generate(auth::algorithm::rs256, "example").value());
    auth::verify_options vo;
    vo.issuer = "example";
    vo.audiences = {"example"};
    vo.cache_entries = 1024;
    auth::verifier const verifier{keys, vo};
    auth::issuer const tokens{keys,
                              auth::issue_options{.issuer = "example", .audience = "example"}};
    // [keys]

    // [rules] Which routes need a token, and which scope: a route without
    // a rule is open.
    auth::access_rules rules;
    rules.require(method::get, "/me", "read");
    // [rules]

    // [routes] Routes that read the principal are registered on an app over
    // the exchange that carries it.
    using exchange_type = http::exchange_with<auth::principal>;
    http::basic_app<exchange_type> app;
    app.get("/hello", [](http::request const&, http::response& res) {
        res.json_text(R"({"hello":"world"})");
    });
    app.get("/me", [](exchange_type& ex) {
        // The guard let the request through: it carries a verified token
        // with the scope `read`.
        auto const& who = http::slot<auth::principal>(ex);
        ex.response().json(boost::json::object{
            {"sub", who.subject()}, {"scope", boost::json::value_from(who.claims()->scope)}});
    });
    // [routes]

    // [chain] bearer says who is asking and never answers by itself, so
    // what comes between it and the guard (a rate limiter keyed by `sub`)
    // runs for every request; the guard answers by the rules.
    http::server server{opts, http::chain{http::request_id{}, auth::bearer{verifier},
                                          auth::guard{rules}, std::move(app)}};
    // [chain]
    if (auto const started = server.start(); !started) {
        fmt::print(stderr, "cannot listen on {}:{}: {}\n", opts.address, opts.port,
                   started.error().message());
        return 1;
    }
    auto const port = server.port();

    std::vector<std::string> const read{"read"}, write_only{"write"};
    auto const reader = tokens.issue("user_42", read).value();
    auto const writer = tokens.issue("user_7", write_only).value();
    // A token signed by a key this server does not have.
    auth::key_set others;
    others.add(auth::key::generate(auth::algorithm::rs256, "elsewhere").value());
    auto const stranger = auth::issuer{others, tokens.options()}.issue("user_42", read).value();

    // [calls]
    auto const open = call(port, "/hello", "");
    auto const anonymous = call(port, "/me", "");
    auto const forged = call(port, "/me", stranger);
    auto const no_scope = call(port, "/me", writer);
    auto const allowed = call(port, "/me", reader);
    auto const show = [](std::string_view what, answer const& a) {
        fmt::print("{}: {} {}\n", what, a.status, a.body);
        if (!a.www_authenticate.empty())
            fmt::print("    WWW-Authenticate: {}\n", a.www_authenticate);
    };
    show("GET /hello, no token", open);
    show("GET /me, no token", anonymous);
    show("GET /me, another issuer's token", forged);
    show("GET /me, a token without read", no_scope);
    show("GET /me, a token with read", allowed);
    // GET /hello, no token: 200 {"hello":"world"}
    // GET /me, no token: 401 {"error":{"code":"unauthorized","message":"A bearer token is
    // required","request_id":"req_…"}}
    //     WWW-Authenticate: Bearer
    // GET /me, another issuer's token: 401 {"error":{"code":"unauthorized","message":"The bearer
    // token is invalid or has expired","request_id":"req_…"}}
    //     WWW-Authenticate: Bearer error="invalid_token"
    // GET /me, a token without read: 403 {"error":{"code":"forbidden","message":"This needs the
    // scope 'read'","request_id":"req_…"}}
    //     WWW-Authenticate: Bearer error="insufficient_scope", scope="read"
    // GET /me, a token with read: 200 {"sub":"user_42","scope":["read"]}
    // [calls]
    bool const ok =
        open.status == 200 && anonymous.status == 401 && anonymous.www_authenticate == "Bearer" &&
        forged.status == 401 && forged.www_authenticate == R"(Bearer error="invalid_token")" &&
        no_scope.status == 403 &&
        no_scope.www_authenticate == R"(Bearer error="insufficient_scope", scope="read")" &&
        allowed.status == 200 && allowed.body == R"({"sub":"user_42","scope":["read"]})";

    if (once) {
        server.stop();
        server.wait();
        return ok ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    fmt::print("\nlistening on 127.0.0.1:{} (Ctrl-C stops it); try:\n"
               "TOKEN={}\n"
               "curl -i localhost:{}/hello\n"
               "curl -i localhost:{}/me\n"
               "curl -i localhost:{}/me -H \"Authorization: Bearer $TOKEN\"\n",
               port, reader, port, port, port);
    std::fflush(stdout);
    server.wait(); // until SIGINT or SIGTERM
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
