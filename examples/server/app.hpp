#ifndef APIKIT_SERVER_APP_HPP
#define APIKIT_SERVER_APP_HPP

// The sample service's routes (README.md in this directory is their
// reference):
//
//   POST /users                {"email","name"} → 201 user, Location
//   GET  /users                ?limit=&cursor=   → cursor page, newest first
//                              ?page=&per_page=  → offset page
//   GET  /users/:id            → user
//   GET  /users/:id/orders     ?limit=&cursor=   → cursor page of the user's orders
//   POST /users/:id/orders     {"item","quantity"} → 201 order, Location
//   GET  /users/:id/orders/:order_id → order
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
#include "model.hpp"
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

/// `?limit=&cursor=` of a cursor listing.
struct keyset_args {
    std::size_t limit;
    std::optional<position> after;
};

inline api::api_result<keyset_args> parse_keyset_args(http::request const& req,
                                                      api::signed_cursor const& cursors,
                                                      api::cursor_scope const& scope) {
    auto const limit_text = req.query("limit");
    auto const cursor_text = req.query("cursor");
    auto limit = api::parse_limit(as_view(limit_text));
    if (!limit)
        return limit.error();
    auto after = api::parse_cursor<position>(cursors, scope, as_view(cursor_text));
    if (!after)
        return after.error();
    return keyset_args{*limit, std::move(*after)};
}

/// Answers with a cursor page of `rows`, its next cursor signed by `cursors`
/// for `scope`.
template <class Record>
void send_cursor_page(http::response& res, keyset_rows<Record> const& rows,
                      api::signed_cursor const& cursors, api::cursor_scope const& scope) {
    std::optional<std::string> next;
    if (rows.next)
        next = api::encode_cursor(cursors, scope, *rows.next);
    res.content_type("application/json");
    res.body().clear();
    append_cursor_page(res.body(), std::span(rows.rows), next);
}

/// `GET /users?page=&per_page=`.
inline void list_users_by_offset(any_user_store& store, http::exchange& ex) {
    auto const& req = ex.request();
    // A listing is one kind or the other: a cursor with a page number is a
    // client confused about which, and it hears so rather than being ignored.
    for (auto const* cursor_param : {"cursor", "limit"})
        if (req.query(cursor_param))
            return ex.response().error(api::api_error::validation(
                cursor_param, "cannot be combined with page or per_page"));
    auto q = api::parse_offset_query(as_view(req.query("page")), as_view(req.query("per_page")));
    if (!q)
        return ex.response().error(q.error());
    ask<offset_rows<user>>(
        store, ex,
        [&](auto done) {
            store.async_list_users_offset(q->offset(), q->per_page, std::move(done));
        },
        [page = q->page, per_page = q->per_page](http::response& res, boost::system::error_code ec,
                                                 offset_rows<user> const& rows) {
            if (ec)
                return res.error(api::api_error(ec));
            res.content_type("application/json");
            res.body().clear();
            append_offset_page(res.body(), std::span(rows.rows), rows.total, page, per_page);
        });
}

} // namespace detail

// [make-app]
/// The routes of the service over `store`, with cursors signed by
/// `cursors`. Both must outlive the app.
inline http::app make_app(any_user_store& store, api::signed_cursor const& cursors) {
    http::app app;

    app.get("/healthz",
            [](http::request const&, http::response& res) { res.json_text(R"({"status":"ok"})"); });

    app.post("/users", [&store](http::exchange& ex) {
        auto body = http::read_json_object(ex.request());
        if (!body)
            return ex.response().error(body.error());
        auto input = parse_new_user(*body);
        if (!input)
            return ex.response().error(input.error());
        detail::ask<user_ptr>(
            store, ex,
            [&](auto done) { store.async_create_user(std::move(*input), std::move(done)); },
            [](http::response& res, boost::system::error_code ec, user_ptr const& created) {
                if (ec == apikit::errc::conflict)
                    return res.error(api::api_error(apikit::errc::conflict,
                                                    "A user with this email already exists",
                                                    {{"email", "is already taken"}}));
                if (ec)
                    return res.error(api::api_error(ec));
                res.status(201);
                res.set("Location", "/users/" + created->id);
                res.json_text(created->json);
            });
    });
    // [make-app]

    app.get("/users", [&store, &cursors, scope = api::cursor_scope("users")](http::exchange& ex) {
        auto const& req = ex.request();
        if (req.query("page") || req.query("per_page"))
            return detail::list_users_by_offset(store, ex);
        auto args = detail::parse_keyset_args(req, cursors, scope);
        if (!args)
            return ex.response().error(args.error());
        detail::ask<keyset_rows<user>>(
            store, ex,
            [&](auto done) { store.async_list_users(args->limit, args->after, std::move(done)); },
            [&cursors, &scope](http::response& res, boost::system::error_code ec,
                               keyset_rows<user> const& rows) {
                if (ec)
                    return res.error(api::api_error(ec));
                detail::send_cursor_page(res, rows, cursors, scope);
            });
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

    app.get("/users/:id/orders", [&store, &cursors](http::exchange& ex) {
        auto const user_id = ex.request().param<std::string_view>("id").value();
        // A cursor of one user's orders is good for that user's alone.
        api::cursor_scope scope("orders", user_id);
        auto args = detail::parse_keyset_args(ex.request(), cursors, scope);
        if (!args)
            return detail::refuse_unless_found(store, ex, user_id, args.error());
        detail::ask<keyset_rows<order>>(
            store, ex,
            [&](auto done) {
                store.async_list_orders(user_id, args->limit, args->after, std::move(done));
            },
            [&cursors, scope = std::move(scope)](http::response& res, boost::system::error_code ec,
                                                 keyset_rows<order> const& rows) {
                if (ec)
                    return detail::answer_error(res, ec);
                detail::send_cursor_page(res, rows, cursors, scope);
            });
    });

    app.post("/users/:id/orders", [&store](http::exchange& ex) {
        auto const user_id = ex.request().param<std::string_view>("id").value();
        auto body = http::read_json_object(ex.request());
        auto input = body ? parse_new_order(*body) : api::api_result<new_order>(body.error());
        if (!input)
            return detail::refuse_unless_found(store, ex, user_id, input.error());
        detail::ask<order_ptr>(
            store, ex,
            [&](auto done) {
                store.async_create_order(user_id, std::move(*input), std::move(done));
            },
            [](http::response& res, boost::system::error_code ec, order_ptr const& created) {
                if (ec)
                    return detail::answer_error(res, ec);
                res.status(201);
                res.set("Location", "/users/" + created->user_id + "/orders/" + created->id);
                res.json_text(created->json);
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
