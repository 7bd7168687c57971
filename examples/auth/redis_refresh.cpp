// Refresh tokens shared by every server process: the families in Redis. Two
// connections stand for two instances behind one load balancer: a login on
// one, its token rotated by the other, the old token replayed on the first —
// reuse detected across processes — and logout. docs/auth.md quotes this
// file.
//
// Usage: apikit-example-auth-redis-refresh [redis://host:port]
// (redis://127.0.0.1:6379 by default). Exits 1 if Redis could not be reached
// or an outcome is not the one its comments say.
#include <apikit/auth/cookie.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/redis_refresh_store.hpp>
#include <apikit/auth/refresh_tokens.hpp>
#include <apikit/core/error.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace asio = boost::asio;
namespace auth = apikit::auth;
namespace redis = apikit::redis;
using boost::system::error_code;

int main(int argc, char** argv) {
    auto const url = redis::parse_url(argc > 1 ? argv[1] : "redis://127.0.0.1:6379");
    if (!url) {
        fmt::print(stderr, "{}\n", url.error().message());
        return 2;
    }
    bool ok = true;
    // [redis]
    asio::io_context io;
    redis::connection_options opts;
    opts.server = *url;
    redis::connection conn_a(io.get_executor(), opts), conn_b(io.get_executor(), opts);

    // Each instance builds its store and its refresh_tokens over its own
    // connection; Redis holds the families (hashes only, expiring with the
    // login) and rotates each atomically, in one script.
    auth::redis_refresh_store store_a{conn_a}, store_b{conn_b};
    auth::refresh_tokens instance_a{store_a}, instance_b{store_b};

    auto finish = [&] {
        conn_a.close();
        conn_b.close();
    };
    auto step = [&](char const* what, error_code ec, auto const& expected) {
        // ec: refresh_invalid or refresh_reused (401); with Redis down, an
        // error equal to condition::backend_unavailable (503: keep the cookie)
        fmt::print("{}: {}\n", what, ec ? ec.message() : "ok");
        ok = ok && ec == expected;
    };

    auto demo = [&] {
        instance_a.async_issue("user_42", [&](error_code ec, auto login) {
            step("login on A", ec, error_code{});
            // The client sends its cookie to whichever instance it reaches.
            instance_b.async_rotate(login.token, [&, login](error_code ec, auto rotated) {
                step("refresh on B", ec, error_code{});
                fmt::print("Set-Cookie: {}…\n",
                           auth::refresh_cookie(rotated.token, rotated.max_age).substr(0, 25));
                // The first token again, on A: B's rotation is seen.
                instance_a.async_rotate(login.token, [&, rotated](error_code ec, auto) {
                    step("the first token again, on A", ec, auth::error::refresh_reused);
                    instance_b.async_rotate(rotated.token, [&](error_code ec, auto) {
                        step("the newest token, on B", ec, auth::error::refresh_invalid);
                        instance_a.async_issue("user_42", [&](error_code ec, auto again) {
                            step("login on A", ec, error_code{});
                            instance_b.async_revoke(again.token, [&, again](error_code ec) {
                                step("logout on B", ec, error_code{});
                                instance_a.async_rotate(again.token, [&](error_code ec, auto) {
                                    step("its token, on A", ec, auth::error::refresh_invalid);
                                    finish();
                                });
                            });
                        });
                    });
                });
            });
        });
    };

    int connected = 0;
    auto on_connect = [&](error_code ec) {
        if (ec) {
            if (ok) // once: closing one connection aborts the other's attempt
                fmt::print("Redis is unreachable: {}\n", ec.message());
            ok = false;
            return finish();
        }
        if (++connected == 2)
            demo();
    };
    conn_a.async_connect(on_connect);
    conn_b.async_connect(on_connect);
    io.run();
    // login on A: ok
    // refresh on B: ok
    // Set-Cookie: __Secure-refresh=Wo_9-xln…
    // the first token again, on A: auth: a rotated refresh token was presented again; its family is
    // revoked the newest token, on B: auth: the refresh token is unknown, expired or revoked login
    // on A: ok logout on B: ok its token, on A: auth: the refresh token is unknown, expired or
    // revoked [redis]
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
