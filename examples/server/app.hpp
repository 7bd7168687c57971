#ifndef APIKIT_SERVER_APP_HPP
#define APIKIT_SERVER_APP_HPP

// The sample service's routes (README.md in this directory is their
// reference):
//
//   POST /users                {"email","name","password"} → 201 user, Location
//   POST /auth/login, /auth/refresh, /auth/logout, GET /.well-known/jwks.json
//                              auth_routes.hpp
//   GET  /users                ?limit=&cursor=   → cursor page, newest first
//                              ?page=&per_page=  → offset page
//   GET  /users/:id            → user
//   GET  /users/:id/orders     the same queries  → a page of the user's orders
//   POST /users/:id/orders     {"item","quantity"} → 201 order, Location
//   GET  /users/:id/orders/:order_id → order
//   GET  /events               ?limit=&cursor=   → a cursor page of events, newest
//                              first (events_routes.hpp)
//   GET  /metrics              the Prometheus text format (obs::metrics_handler)
//   GET  /healthz              → {"status":"ok"}
//
// Every failure is an api_error, answered as apikit's envelope with the
// request id. Each handler reads its input, lets one function judge it,
// asks the store, and writes the result: the pattern, and nothing else.
//
// The store answers through a completion handler (user_store.hpp), and
// `ask` below turns that into a response: with a store that completes
// inline (memory) the route is synchronous, as if it had called a function;
// with one that completes later it suspends the exchange and the store's
// answer resumes it, from whatever thread it arrives on. The routes are
// compiled once, over any_user_store, whichever store the server has.

#include "any_user_store.hpp"
#include "auth_routes.hpp"
#include "auth_service.hpp"
#include "events_routes.hpp"
#include "finish.hpp"
#include "model.hpp"
#include "observability.hpp"
#include "pages.hpp"
#include "user_store.hpp"
#include "validation.hpp"

#include <apikit/api/cursor.hpp>
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/offset_page.hpp>
#include <apikit/api/signed_cursor.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/json.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/response.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sample {

namespace api = apikit::api;
namespace http = apikit::http;

namespace detail {

// [ask]
/// Asks the store — `start(done)` starts one operation with the completion
/// `done` — and answers with `then(response, error_code, value)`. A store
/// that completes inline answers within this call: nothing is suspended or
/// allocated. Any other completes later: the exchange is suspended first,
/// `then` runs wherever the store completes, and the continuation resumes
/// the exchange on its connection. Either way the route just returns.
template <class T, class Start, class Then>
void ask(any_user_store const& store, http::exchange& ex, Start start, Then then) {
    if (store.completes_inline()) {
        auto done = [&ex, &then](boost::system::error_code ec, T value) {
            then(ex.response(), ec, std::move(value));
        };
        start(completion<T>::borrow(done));
        return;
    }
    auto resume = ex.suspend();
    start(completion<T>::own([&ex, then = std::move(then), resume = std::move(resume)](
                                 boost::system::error_code ec, T value) mutable {
        try {
            then(ex.response(), ec, std::move(value));
        } catch (std::exception const& e) { // on the store's thread: answered here
            ex.log_detail(e.what());
            ex.response().clear();
            ex.response().error(apikit::errc::internal_error);
        }
        resume();
    }));
}
// [ask]

/// A store's error as the routes answer it: no such user is a 404 with
/// the routes' message; anything else is what apikit's errc for it says (a
/// store that cannot be reached: 503).
inline void answer_error(http::response& res, boost::system::error_code ec) {
    if (ec == apikit::errc::not_found)
        return res.error(apikit::errc::not_found, "No user has this id");
    res.error(api::api_error(ec));
}

/// Under /users/:id the resource comes first: a request about no one is a
/// 404 whatever its query or body says. So a bad query or body is answered
/// with `e` only once the store has found the user.
inline void refuse_unless_found(any_user_store& store, http::exchange& ex, std::string_view user_id,
                                api::api_error e) {
    ask<user_ptr>(
        store, ex, [&](auto done) { store.async_find_user(user_id, std::move(done)); },
        [e = std::move(e)](http::response& res, boost::system::error_code ec, user_ptr const&) {
            if (ec)
                return answer_error(res, ec);
            res.error(e);
        });
}

inline std::optional<std::string_view> as_view(std::optional<std::string> const& s) noexcept {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

/// The response's body, emptied, for a JSON document to be written into.
[[nodiscard]] inline std::string& json_body(http::response& res) {
    res.content_type("application/json");
    res.body().clear();
    return res.body();
}

/// One listing route, whichever listing: reads the pagination query (the
/// same for every listing, pages.hpp), asks the store for a cursor page with
/// `by_cursor(limit, after, done)` or an offset page with
/// `by_offset(offset, count, done)`, and answers the page, its next cursor
/// signed in `scope`. A bad query is answered by `refuse(error)`, which may
/// look the listing's resource up first.
template <class Record, class ByCursor, class ByOffset, class Refuse>
void serve_listing(any_user_store& store, http::exchange& ex, api::signed_cursor const& cursors,
                   api::cursor_scope scope, ByCursor by_cursor, ByOffset by_offset, Refuse refuse) {
    auto const& req = ex.request();
    auto const limit = req.query("limit"), cursor = req.query("cursor");
    auto const page = req.query("page"), per_page = req.query("per_page");
    auto args = parse_page_args({as_view(limit), as_view(cursor), as_view(page), as_view(per_page)},
                                cursors, scope);
    if (!args)
        return refuse(args.error());
    if (auto const* c = std::get_if<cursor_args>(&*args))
        return ask<keyset_rows<Record>>(
            store, ex, [&](auto done) { by_cursor(c->limit, c->after, std::move(done)); },
            [&cursors, scope = std::move(scope)](http::response& res, boost::system::error_code ec,
                                                 keyset_rows<Record> const& rows) {
                if (ec)
                    return answer_error(res, ec);
                std::optional<std::string> next;
                if (rows.next)
                    next = api::encode_cursor(cursors, scope, *rows.next);
                append_cursor_page(json_body(res), std::span(rows.rows), next);
            });
    auto const& q = std::get<api::offset_query>(*args);
    ask<offset_rows<Record>>(
        store, ex, [&](auto done) { by_offset(q.offset(), q.per_page, std::move(done)); },
        [q](http::response& res, boost::system::error_code ec, offset_rows<Record> const& rows) {
            if (ec)
                return answer_error(res, ec);
            append_offset_page(json_body(res), std::span(rows.rows), rows.total, q.page,
                               q.per_page);
        });
}

} // namespace detail

// [make-app]
/// The routes of the service over `store`, with cursors signed by
/// `cursors`, users signed in by `auth`, events published and listed, lines
/// logged and metrics shown through `svc`. All must outlive the app.
template <class Logger>
service_app make_app(any_user_store& store, api::signed_cursor const& cursors, auth_service& auth,
                     app_services<Logger> svc) {
    service_app app;

    app.get("/healthz",
            [](http::request const&, http::response& res) { res.json_text(R"({"status":"ok"})"); });

    // Sign-up, login, refresh, logout and the public keys.
    add_auth_routes(app, store, auth, svc);
    // What happened, newest first; and the figures, for Prometheus.
    add_events_routes(app, svc, cursors);
    app.get("/metrics", obs::metrics_handler(*svc.metrics));
    // [make-app]

    app.get("/users", [&store, &cursors, scope = api::cursor_scope("users")](http::exchange& ex) {
        detail::serve_listing<user>(
            store, ex, cursors, scope,
            [&](std::size_t limit, std::optional<position> const& after, auto done) {
                store.async_list_users(limit, after, std::move(done));
            },
            [&](std::size_t offset, std::size_t count, auto done) {
                store.async_list_users_offset(offset, count, std::move(done));
            },
            [&](api::api_error e) { ex.response().error(e); });
    });

    app.get("/users/:id", [&store](http::exchange& ex) {
        auto const id = ex.request().param<std::string_view>("id").value();
        detail::ask<user_ptr>(
            store, ex, [&](auto done) { store.async_find_user(id, std::move(done)); },
            [](http::response& res, boost::system::error_code ec, user_ptr const& found) {
                if (ec)
                    return detail::answer_error(res, ec);
                res.json_text(found->json);
            });
    });

    // A cursor of one user's orders is good for that user's alone.
    app.get("/users/:id/orders", [&store, &cursors](http::exchange& ex) {
        auto const user_id = ex.request().param<std::string_view>("id").value();
        detail::serve_listing<order>(
            store, ex, cursors, api::cursor_scope("orders", user_id),
            [&](std::size_t limit, std::optional<position> const& after, auto done) {
                store.async_list_orders(user_id, limit, after, std::move(done));
            },
            [&](std::size_t offset, std::size_t count, auto done) {
                store.async_list_orders_offset(user_id, offset, count, std::move(done));
            },
            [&](api::api_error e) {
                detail::refuse_unless_found(store, ex, user_id, std::move(e));
            });
    });

    // The order is stored, then order.placed published (events_routes.hpp),
    // then the 201 answered: the exchange waits for both.
    app.post("/users/:id/orders", [&store, svc](service_exchange& ex) {
        auto const user_id = ex.request().param<std::string_view>("id").value();
        auto body = http::read_json_object(ex.request());
        auto input = body ? parse_new_order(*body) : api::api_result<new_order>(body.error());
        if (!input)
            return detail::refuse_unless_found(store, ex, user_id, input.error());
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        store.async_create_order(
            user_id, std::move(*input),
            [svc, &ex, resume](boost::system::error_code ec, order_ptr created) {
                if (ec)
                    return detail::finish(
                        ex, *resume, [&](http::response& res) { detail::answer_error(res, ec); });
                // Every later line of this request, the access log's
                // included, carries the order's id.
                ex.log_context().set("order_id", created->id);
                if (svc.log)
                    svc.log->info(ex, "Order placed",
                                  {{"item", created->item}, {"quantity", created->quantity}});
                publish_event(svc, ex, "order.placed", *created, [&ex, resume, created] {
                    detail::finish(ex, *resume, [&](http::response& res) {
                        res.status(201);
                        res.set("Location",
                                "/users/" + created->user_id + "/orders/" + created->id);
                        res.json_text(created->json);
                    });
                });
            });
    });

    app.get("/users/:id/orders/:order_id", [&store](http::exchange& ex) {
        auto const& req = ex.request();
        auto const user_id = req.param<std::string_view>("id").value();
        auto const order_id = req.param<std::string_view>("order_id").value();
        detail::ask<order_ptr>(
            store, ex,
            [&](auto done) { store.async_find_order(user_id, order_id, std::move(done)); },
            [](http::response& res, boost::system::error_code ec, order_ptr const& found) {
                if (ec)
                    return detail::answer_error(res, ec);
                if (!found)
                    return res.error(apikit::errc::not_found, "No order of this user has this id");
                res.json_text(found->json);
            });
    });

    return app;
}

} // namespace sample

#endif
