#ifndef APIKIT_HTTP_APP_HPP
#define APIKIT_HTTP_APP_HPP

// An application's routes: api::router underneath, handlers that see a
// request and fill a response. `app` is the chain's handler:
//
//   http::app app;
//   app.get("/users/:id", [&](http::request const& req, http::response& res) {
//       auto id = req.param<std::int64_t>("id");
//       ...
//   });
//   http::server server{opts, http::chain{http::request_id{}, log, std::move(app)}};
//
// A route handler has one of three shapes:
//   void(request const&, response&)                synchronous
//   void(request const&, response&, continuation)  fills the response later and
//                                                  then calls the continuation
//   void(Exchange&)                                everything a middleware sees
//
// `app` is `basic_app<exchange>`. A handler that reads what a middleware put
// in the exchange's slots (the authenticated user, the trace) is registered
// on a `basic_app<exchange_with<T…>>` naming those slots, and reads them with
// `http::slot<T>(ex)`; the chain checks that its middleware provide them
// (context.hpp).
//
// What the router decides becomes an error response: an unknown path is a
// 404 `not_found`, a known path with another method a 405
// `method_not_allowed` with `Allow` (the path's methods and OPTIONS, the same
// list OPTIONS answers with), a path with a malformed %-escape a 400.
// HEAD runs the GET handler (the server drops the body); OPTIONS, unless a
// route registers it, is a 204 with `Allow`.
//
// Before a handler runs, the app records its route's pattern on the request
// (`request::route()`: `/users/:id`, a view of the router's copy, so it
// costs no allocation), which layers read on the way back: the access log's
// `route`, per-route figures. No handler, no pattern: a request the app
// answers itself (404, 405, its OPTIONS) has none.

#include <apikit/api/method.hpp>
#include <apikit/api/router.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>

#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::http {

/// A route handler of one of the three shapes above.
template <class F, class Exchange = exchange>
concept route_handler = std::copy_constructible<F> &&
    (std::invocable<F const&, request const&, response&> ||
     std::invocable<F const&, request const&, response&, continuation> ||
     std::invocable<F const&, Exchange&>);

template <class Exchange = exchange>
class basic_app {
    static_assert(std::is_base_of_v<exchange, Exchange>,
                  "apikit::http::basic_app's Exchange must be apikit::http::exchange or an "
                  "apikit::http::exchange_with<...>");

public:
    /// The exchange the routes see; the chain gives its layers the same.
    using exchange_type = Exchange;
    using handler_fn = std::function<void(exchange_type&)>;

    /// Registers `h` for method `m` on `pattern` (`/users/:id`); a malformed,
    /// duplicate or ambiguous pattern throws std::invalid_argument.
    template <class F>
    basic_app& route(api::method m, std::string_view pattern, F h) {
        static_assert(route_handler<F, exchange_type>,
                      "apikit::http::basic_app::route's F must model apikit::http::route_handler");
        router_.add(m, pattern, adapt(std::move(h)));
        return *this;
    }

    template <class F>
    basic_app& get(std::string_view pattern, F h) {
        return route(api::method::get, pattern, std::move(h));
    }
    template <class F>
    basic_app& head(std::string_view pattern, F h) {
        return route(api::method::head, pattern, std::move(h));
    }
    template <class F>
    basic_app& post(std::string_view pattern, F h) {
        return route(api::method::post, pattern, std::move(h));
    }
    template <class F>
    basic_app& put(std::string_view pattern, F h) {
        return route(api::method::put, pattern, std::move(h));
    }
    template <class F>
    basic_app& patch(std::string_view pattern, F h) {
        return route(api::method::patch, pattern, std::move(h));
    }
    template <class F>
    basic_app& delete_(std::string_view pattern, F h) {
        return route(api::method::delete_, pattern, std::move(h));
    }
    template <class F>
    basic_app& options(std::string_view pattern, F h) {
        return route(api::method::options, pattern, std::move(h));
    }

    /// The handler of the chain: routes the request and runs its handler.
    void operator()(exchange_type& ex) const {
        auto& req = ex.request();
        auto& res = ex.response();
        auto const m = req.method();
        if (!m) {
            // A method routes cannot name (TRACE, PROPFIND): 405 where the
            // path exists, 404 where it does not.
            auto const allowed = router_.allowed(req.path());
            return allowed.empty() ? res.error(errc::not_found) : method_not_allowed(res, allowed);
        }
        auto match = router_.match(*m, req.path());
        if (!match) {
            auto const& e = match.error();
            if (e.code == errc::method_not_allowed) {
                if (*m == api::method::options)
                    return answer_options(res, e.allowed);
                return method_not_allowed(res, e.allowed);
            }
            return res.error(e.code);
        }
        req.route(match->pattern(), match->params());
        match->handler()(ex);
    }

    api::router<handler_fn> const& router() const noexcept { return router_; }

private:
    template <class F>
    static handler_fn adapt(F h) {
        if constexpr (std::invocable<F const&, exchange_type&>) {
            return handler_fn(std::move(h));
        } else if constexpr (std::invocable<F const&, request const&, response&>) {
            return [h = std::move(h)](exchange_type& ex) { h(ex.request(), ex.response()); };
        } else {
            return [h = std::move(h)](exchange_type& ex) {
                auto k = ex.suspend();
                h(ex.request(), ex.response(), std::move(k));
            };
        }
    }

    static void method_not_allowed(response& res, api::method_set allowed) {
        res.error(errc::method_not_allowed);
        set_allow(res, allowed);
    }

    static void answer_options(response& res, api::method_set allowed) {
        res.status(204);
        set_allow(res, allowed);
    }

    // The app answers OPTIONS on every path it knows, so a 405's `Allow`
    // lists it too: one list for a path, whichever way a client asks.
    static void set_allow(response& res, api::method_set allowed) {
        allowed.insert(api::method::options);
        std::string value;
        allowed.append_to(value);
        res.set("Allow", value);
    }

    api::router<handler_fn> router_;
};

/// The routes of a chain whose middleware provide no slot the routes read.
using app = basic_app<>;

static_assert(handler<app>, "apikit::http::app must model apikit::http::handler");

} // namespace apikit::http

#endif
