#ifndef APIKIT_SERVER_AUTH_ROUTES_HPP
#define APIKIT_SERVER_AUTH_ROUTES_HPP

// The routes that sign users up and in (README.md in this directory is their
// reference):
//
//   POST /users                 {"email","name","password"} → 201 user
//   POST /auth/login            {"email","password"} → 200 {"access_token",
//                               "token_type":"Bearer","expires_in":900} and
//                               the refresh cookie; 401 `unauthorized` for an
//                               unknown email or a wrong password alike
//   POST /auth/refresh          the cookie → rotated: answered as login
//   POST /auth/logout           the cookie's family revoked → 204
//   GET  /.well-known/jwks.json the public keys access tokens verify with
//
// Each password route hands the KDF to the password pool and suspends its
// exchange: the connection's thread serves other requests while the KDF
// runs (tens of milliseconds), and the pool's completion resumes the
// exchange on its connection. A step that completes on another thread
// writes the response there; the exchange is not touched by its
// connection while it is suspended.

#include "any_user_store.hpp"
#include "auth_service.hpp"
#include "events_routes.hpp"
#include "finish.hpp"
#include "validation.hpp"

#include <apikit/api/error.hpp>
#include <apikit/auth/cookie.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/json.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sample {

namespace detail {

namespace http = apikit::http;

/// The refresh cookie of the request, if any: the first `__Secure-refresh`
/// of its Cookie fields.
inline std::optional<std::string_view> refresh_cookie_of(http::exchange const& ex) {
    auto const& msg = ex.request().message();
    auto const range = msg.equal_range(boost::beast::http::field::cookie);
    for (auto it = range.first; it != range.second; ++it)
        if (auto const v = apikit::auth::find_cookie(it->value(), "__Secure-refresh"))
            return v;
    return std::nullopt;
}

/// The token response of login and refresh (RFC 6749 §5.1: not cached).
inline void answer_tokens(http::response& res, std::string_view access_token,
                          std::chrono::seconds lifetime,
                          auth_service::refresh_type::issued const& refresh) {
    res.set("Cache-Control", "no-store");
    res.set("Set-Cookie", apikit::auth::refresh_cookie(refresh.token, refresh.max_age));
    std::string body = R"({"access_token":)";
    apikit::append_json_string(body, access_token);
    body.append(R"(,"token_type":"Bearer","expires_in":)");
    body.append(std::to_string(lifetime.count()));
    body.push_back('}');
    res.json_text(body);
}

/// A failure of a step these routes depend on (the store, the KDF pool,
/// Redis): answered as apikit's errc for it says; a 503 says when to retry.
inline void answer_failure(http::response& res, boost::system::error_code ec) {
    if (apikit::to_errc(ec) == apikit::errc::service_unavailable)
        res.set("Retry-After", "1");
    res.error(apikit::api::api_error(ec));
}

/// A 401 of these routes. RFC 9110 §15.5.2: every 401 names a scheme; this
/// API's is Bearer, and a token is what logging in gets.
inline void refuse_sign_in(http::response& res, std::string message) {
    res.set("WWW-Authenticate", "Bearer");
    res.error(apikit::errc::unauthorized, std::move(message));
}

/// A refresh that did not rotate: its cookie is cleared, so a browser stops
/// sending a dead token.
inline void refuse_refresh(http::response& res, boost::system::error_code ec) {
    if (ec == apikit::condition::backend_unavailable ||
        apikit::to_errc(ec) != apikit::errc::unauthorized)
        return answer_failure(res, ec);
    res.set("Set-Cookie", apikit::auth::expired_refresh_cookie());
    refuse_sign_in(res, ec == apikit::auth::error::refresh_reused
                            ? "This refresh token was already used: sign in again"
                            : "The refresh token is invalid or has expired");
}

/// Issues an access token for `u` and a refresh token of `family_issue`'s
/// making, and answers with both. `issue_refresh(done)` starts the refresh
/// token's issue or rotation.
template <class IssueRefresh>
void answer_for_user(auth_service& auth, http::exchange& ex,
                     std::shared_ptr<http::continuation> resume, user const& u,
                     IssueRefresh issue_refresh) {
    auto access = auth.issuer().issue(u.id, auth.scopes_of(u.email));
    if (!access)
        return finish(ex, *resume, [&](http::response& res) {
            ex.log_detail(access.error().message());
            res.error(apikit::errc::internal_error);
        });
    issue_refresh([&auth, &ex, resume, access = std::move(*access)](
                      boost::system::error_code ec, auth_service::refresh_type::issued issued) {
        finish(ex, *resume, [&](http::response& res) {
            if (ec)
                return refuse_refresh(res, ec);
            answer_tokens(res, access, auth.issuer().lifetime(), issued);
        });
    });
}

} // namespace detail

/// Adds the routes of this header to `app`, over `users`, `auth` and
/// `svc` (POST /users publishes user.created), which must outlive it.
template <class Logger>
void add_auth_routes(service_app& app, any_user_store& users, auth_service& auth,
                     app_services<Logger> svc) {
    namespace http = apikit::http;
    using boost::system::error_code;

    app.post("/users", [&users, &auth, svc](service_exchange& ex) {
        auto body = http::read_json_object(ex.request());
        if (!body)
            return ex.response().error(body.error());
        auto input = parse_sign_up(*body);
        if (!input)
            return ex.response().error(input.error());
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        auth.passwords().async_hash(
            std::move(input->password),
            boost::asio::bind_executor(ex.executor(), [&users, svc, &ex, resume,
                                                       user = std::move(input->user)](
                                                          error_code ec, std::string hash) mutable {
                if (ec)
                    return detail::finish(
                        ex, *resume, [&](http::response& res) { detail::answer_failure(res, ec); });
                user.password_hash = std::move(hash);
                users.async_create_user(std::move(user), [svc, &ex, resume](error_code ec,
                                                                            user_ptr created) {
                    if (ec)
                        return detail::finish(ex, *resume, [&](http::response& res) {
                            if (ec == apikit::errc::conflict)
                                return res.error(apikit::api::api_error(
                                    apikit::errc::conflict, "A user with this email already exists",
                                    {{"email", "is already taken"}}));
                            detail::answer_failure(res, ec);
                        });
                    // The new user is who asked: this request's later
                    // lines, the access log's included, say so.
                    ex.log_context().set("user_id", created->id);
                    if (svc.log)
                        svc.log->info(ex, "User created");
                    // The event's data is the user as the API shows it:
                    // the password hash is not part of that shape.
                    publish_event(svc, ex, "user.created", *created, [&ex, resume, created] {
                        detail::finish(ex, *resume, [&](http::response& res) {
                            res.status(201);
                            res.set("Location", "/users/" + created->id);
                            res.json_text(created->json);
                        });
                    });
                });
            }));
    });

    app.post("/auth/login", [&users, &auth](http::exchange& ex) {
        auto body = http::read_json_object(ex.request());
        if (!body)
            return ex.response().error(body.error());
        auto input = parse_login(*body);
        if (!input)
            return ex.response().error(input.error());
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        users.async_find_user_by_email(
            input->email, [&auth, &ex, resume, password = std::move(input->password)](
                              error_code ec, user_ptr found) mutable {
                if (ec && ec != apikit::errc::not_found)
                    return detail::finish(
                        ex, *resume, [&](http::response& res) { detail::answer_failure(res, ec); });
                // An unknown email runs the KDF too, against a hash that matches
                // nothing: the same answer, in about the same time.
                std::string hash = found ? found->password_hash : auth.dummy_hash();
                auth.passwords().async_verify(
                    std::move(password), std::move(hash),
                    boost::asio::bind_executor(
                        ex.executor(), [&auth, &ex, resume, found](error_code ec, bool match) {
                            if (ec || !match || !found)
                                return detail::finish(ex, *resume, [&](http::response& res) {
                                    if (ec)
                                        return detail::answer_failure(res, ec);
                                    detail::refuse_sign_in(res, "Wrong email or password");
                                });
                            detail::answer_for_user(auth, ex, resume, *found, [&](auto done) {
                                auth.refresh().async_issue(found->id, std::move(done));
                            });
                        }));
            });
    });

    app.post("/auth/refresh", [&users, &auth](http::exchange& ex) {
        auto const cookie = detail::refresh_cookie_of(ex);
        if (!cookie)
            return detail::refuse_sign_in(ex.response(), "No refresh token: sign in");
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        auth.refresh().async_rotate(
            *cookie,
            [&users, &auth, &ex, resume](error_code ec, auth_service::refresh_type::issued issued) {
                if (ec)
                    return detail::finish(
                        ex, *resume, [&](http::response& res) { detail::refuse_refresh(res, ec); });
                std::string const user_id = issued.user_id;
                users.async_find_user(user_id, [&auth, &ex, resume, issued = std::move(issued)](
                                                   error_code ec, user_ptr found) mutable {
                    if (ec && ec != apikit::errc::not_found)
                        return detail::finish(ex, *resume, [&](http::response& res) {
                            detail::answer_failure(res, ec);
                        });
                    // The family names the user; their scopes are this
                    // instance's to decide. A user another instance signed up
                    // (users in its memory) gets the base scopes.
                    user u;
                    u.id = issued.user_id;
                    if (found)
                        u.email = found->email;
                    detail::answer_for_user(auth, ex, resume, u, [&issued](auto done) {
                        std::move(done)(error_code{}, std::move(issued));
                    });
                });
            });
    });

    app.post("/auth/logout", [&auth](http::exchange& ex) {
        auto const cookie = detail::refresh_cookie_of(ex);
        auto answer = [](http::response& res) {
            res.status(204);
            res.set("Set-Cookie", apikit::auth::expired_refresh_cookie());
        };
        if (!cookie)
            return answer(ex.response()); // nothing to revoke: logged out all the same
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        auth.refresh().async_revoke(*cookie, [&ex, resume, answer](error_code ec) {
            detail::finish(ex, *resume, [&](http::response& res) {
                if (ec)
                    return detail::answer_failure(res, ec);
                answer(res);
            });
        });
    });

    app.get("/.well-known/jwks.json", [&auth](http::exchange& ex) {
        auto& res = ex.response();
        // Cached a while, not long: a rotated key must reach verifiers
        // before the tokens it signs do.
        res.set("Cache-Control", "public, max-age=300");
        res.json_text(auth.keys().jwks());
    });
}

} // namespace sample

#endif
