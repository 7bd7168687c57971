#ifndef APIKIT_SERVER_APP_HPP
#define APIKIT_SERVER_APP_HPP

// The sample service: its routes, and the server that runs them. main.cpp
// and the integration tests build the very same server from here.
//
//   POST /users                {"email","name"} → 201 user, Location
//   GET  /users                ?limit=&cursor=   → cursor page, newest first
//                              ?page=&per_page=  → offset page
//   GET  /users/:id            → user
//   GET  /users/:id/orders     ?limit=&cursor=   → cursor page of the user's orders
//   POST /users/:id/orders     {"item","quantity"} → 201 order
//   GET  /healthz              → {"status":"ok"}
//
// Every /users route is rate limited per client (a token bucket, by default
// 100 tokens refilled 10 per second): its responses carry the limiter's
// headers, and a client over its limit gets a 429 `rate_limited`. /healthz
// is not limited, so a load balancer's probes never are.
//
// Every failure is an api_error, answered as apikit's envelope with the
// request id. Each handler reads its input, lets one function judge it,
// calls the store, and writes the result: the pattern, and nothing else.

#include "model.hpp"
#include "options.hpp"
#include "pages.hpp"
#include "user_store.hpp"
#include "validation.hpp"

#include <apikit/api/cursor.hpp>
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/offset_page.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/http/access_log.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/json.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/request_id.hpp>
#include <apikit/http/response.hpp>
#include <apikit/http/server.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/middleware.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sample {

namespace api = apikit::api;
namespace http = apikit::http;

namespace detail {

inline std::optional<std::string_view> as_view(std::optional<std::string> const& s) noexcept {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

/// `?limit=&cursor=` of a cursor listing.
struct keyset_args {
    std::size_t limit;
    std::optional<position> after;
};

template <api::cursor_codec Codec>
api::api_result<keyset_args> parse_keyset_args(http::request const& req, Codec const& cursors) {
    auto const limit_text = req.query("limit");
    auto const cursor_text = req.query("cursor");
    auto limit = api::parse_limit(as_view(limit_text));
    if (!limit)
        return limit.error();
    auto after = api::parse_cursor<position>(cursors, as_view(cursor_text));
    if (!after)
        return after.error();
    return keyset_args{*limit, std::move(*after)};
}

/// Answers with a cursor page of `rows`, its next cursor signed by `cursors`.
template <class Record, api::cursor_codec Codec>
void send_cursor_page(http::response& res, keyset_rows<Record> const& rows, Codec const& cursors) {
    std::optional<std::string> next;
    if (rows.next)
        next = api::encode_cursor(cursors, *rows.next);
    res.content_type("application/json");
    res.body().clear();
    append_cursor_page(res.body(), std::span(rows.rows), next);
}

/// `GET /users?page=&per_page=`.
template <user_store Store>
void list_users_by_offset(Store const& store, http::request const& req, http::response& res) {
    // A listing is one kind or the other: a cursor with a page number is a
    // client confused about which, and it hears so rather than being ignored.
    for (auto const* cursor_param : {"cursor", "limit"})
        if (req.query(cursor_param))
            return res.error(api::api_error::validation(
                cursor_param, "cannot be combined with page or per_page"));
    auto q = api::parse_offset_query(as_view(req.query("page")), as_view(req.query("per_page")));
    if (!q)
        return res.error(q.error());
    auto const rows = store.list_users_offset(q->offset(), q->per_page);
    res.content_type("application/json");
    res.body().clear();
    append_offset_page(res.body(), std::span(rows.rows), rows.total, q->page, q->per_page);
}

} // namespace detail

/// The routes of the service over `store`, with cursors made by `cursors`.
/// Both must outlive the app.
template <class Store, class Codec>
http::app make_app(Store& store, Codec const& cursors) {
    static_assert(user_store<Store>, "sample::make_app needs a store modelling sample::user_store");
    static_assert(api::cursor_codec<Codec>,
                  "sample::make_app needs a codec modelling apikit::api::cursor_codec");
    http::app app;

    app.get("/healthz",
            [](http::request const&, http::response& res) { res.json_text(R"({"status":"ok"})"); });

    app.post("/users", [&store](http::request const& req, http::response& res) {
        auto body = http::read_json_object(req);
        if (!body)
            return res.error(body.error());
        auto input = parse_new_user(*body);
        if (!input)
            return res.error(input.error());
        auto created = store.create_user(std::move(*input));
        if (!created && created.error() == apikit::errc::conflict)
            return res.error(api::api_error(apikit::errc::conflict,
                                            "A user with this email already exists",
                                            {{"email", "is already taken"}}));
        if (!created)
            return res.error(api::api_error(created.error()));
        res.status(201);
        res.set("Location", "/users/" + (*created)->id);
        res.json_text((*created)->json);
    });

    app.get("/users", [&store, &cursors](http::request const& req, http::response& res) {
        if (req.query("page") || req.query("per_page"))
            return detail::list_users_by_offset(store, req, res);
        auto args = detail::parse_keyset_args(req, cursors);
        if (!args)
            return res.error(args.error());
        detail::send_cursor_page(res, store.list_users(args->limit, args->after), cursors);
    });

    app.get("/users/:id", [&store](http::request const& req, http::response& res) {
        auto const user = store.find_user(req.param<std::string_view>("id").value());
        if (!user)
            return res.error(apikit::errc::not_found, "No user has this id");
        res.json_text(user->json);
    });

    // Under /users/:id the resource comes first: a request about no one is a
    // 404 whatever its query or body says.
    app.get("/users/:id/orders", [&store, &cursors](http::request const& req, http::response& res) {
        auto const user_id = req.param<std::string_view>("id").value();
        if (!store.find_user(user_id))
            return res.error(apikit::errc::not_found, "No user has this id");
        auto args = detail::parse_keyset_args(req, cursors);
        if (!args)
            return res.error(args.error());
        auto const rows = store.list_orders(user_id, args->limit, args->after);
        if (!rows) // the user was removed meanwhile
            return res.error(apikit::errc::not_found, "No user has this id");
        detail::send_cursor_page(res, *rows, cursors);
    });

    app.post("/users/:id/orders", [&store](http::request const& req, http::response& res) {
        auto const user_id = req.param<std::string_view>("id").value();
        if (!store.find_user(user_id))
            return res.error(apikit::errc::not_found, "No user has this id");
        auto body = http::read_json_object(req);
        if (!body)
            return res.error(body.error());
        auto input = parse_new_order(*body);
        if (!input)
            return res.error(input.error());
        auto created = store.create_order(user_id, std::move(*input));
        if (!created) // the user was removed meanwhile
            return res.error(api::api_error(created.error()));
        res.status(201);
        res.json_text((*created)->json);
    });

    return app;
}

/// Which requests the limiter sees: those of the /users routes, keyed by
/// client address (through X-Forwarded-For from trusted proxies only), cost
/// 1; none at all when the limit is off.
class users_limit {
public:
    /// No request is limited.
    users_limit() = default;
    explicit users_limit(apikit::ratelimit::trusted_proxies proxies)
        : on_(true)
        , users_("/users", apikit::ratelimit::by_client_address(std::move(proxies))) {}

    // [users-limit]
    std::optional<std::uint64_t> operator()(http::exchange const& ex, std::string& key) const {
        if (!on_)
            return std::nullopt;
        return users_(ex, key);
    }
    // [users-limit]

private:
    bool on_ = false;
    apikit::ratelimit::under_path<> users_{"/users"};
};

/// The limit of `spec` as the limiter's policy: one bucket, "default".
inline apikit::ratelimit::policy rate_limit_policy(rate_limit_spec const& spec) {
    namespace rl = apikit::ratelimit;
    return rl::policy{rl::limit{"default", spec.capacity, rl::per_second(spec.refill_per_second)}};
}

// [chain]
/// Every request passes the request-id middleware (so every response and
/// error envelope carries an id), then the access log (so a 429 is logged
/// too), then the rate limit, then the routes.
template <class Limiter, apikit::log_sink Sink>
using chain_type = http::chain<http::request_id, http::access_log<Sink>,
                               apikit::ratelimit::middleware<Limiter, users_limit>, http::app>;
// [chain]

template <class Limiter, apikit::log_sink Sink>
using server_type = http::server<chain_type<Limiter, Sink>>;

/// The service's server: `opts` for the listener, the routes over `store`
/// and `cursors`, limited by `limiter` as `scope` says (all three must
/// outlive it), the access log through `log`.
template <class Store, class Codec, class Sink, class Limiter>
server_type<Limiter, Sink>
make_server(http::server_options opts, Store& store, Codec const& cursors,
            std::shared_ptr<apikit::log_writer<Sink>> log, Limiter& limiter, users_limit scope) {
    static_assert(apikit::log_sink<Sink>,
                  "sample::make_server needs a sink modelling apikit::log_sink");
    return server_type<Limiter, Sink>(
        std::move(opts),
        chain_type<Limiter, Sink>(
            http::request_id{}, http::access_log<Sink>(std::move(log)),
            apikit::ratelimit::middleware<Limiter, users_limit>(limiter, std::move(scope)),
            make_app(store, cursors)));
}

/// A structured log line of the service's own (not a request's), in the
/// access log's shape: `{"timestamp","level","message","context":{…}}`.
/// `context_members` is the inside of the context object, already JSON.
inline std::string log_line(std::string_view level, std::string_view message,
                            std::string_view context_members) {
    std::string line = R"({"timestamp":")";
    apikit::append_rfc3339_ms(line, std::chrono::system_clock::now());
    line.append(R"(","level":)");
    apikit::append_json_string(line, level);
    line.append(R"(,"message":)");
    apikit::append_json_string(line, message);
    line.append(R"(,"context":{)");
    line.append(context_members);
    line.append("}}\n");
    return line;
}

/// The line that says the server is up, with what a script needs to reach
/// it: `"context":{"address":"127.0.0.1","port":8080,"threads":1}`.
inline std::string listening_line(boost::asio::ip::tcp::endpoint const& ep, unsigned threads) {
    std::string context = R"("address":)";
    apikit::append_json_string(context, ep.address().to_string());
    context.append(R"(,"port":)");
    context.append(std::to_string(ep.port()));
    context.append(R"(,"threads":)");
    context.append(std::to_string(threads));
    return log_line("info", "listening", context);
}

} // namespace sample

#endif
