#ifndef APIKIT_SERVER_EVENTS_ROUTES_HPP
#define APIKIT_SERVER_EVENTS_ROUTES_HPP

// The service's events (README.md in this directory is their reference):
//
//   user.created   published by POST /users: data is the user as the API
//                  shows it (no password hash: the user's JSON shape has none)
//   order.placed   published by POST /users/:id/orders: data is the order
//   GET /events    ?limit=&cursor=  → a cursor page of envelopes, newest first
//                  (Accept: application/cloudevents-batch+json → the same page
//                  as a CloudEvents JSON batch, the next page in `Link`)
//
// Each event's metadata says where it came from: correlation_id is the
// request's id (its X-Request-Id), source "api", and trace_id and
// traceparent the request's trace (obs::request_trace: the server's own
// span as the parent), so a consumer continues the trace of the request
// that caused the event.
//
// Publishing never fails the request that caused it: the user or the order
// is stored before the event is published, and a 201 is answered whatever
// the bus says. A bus that cannot take the event (Redis unreachable) gets
// the event logged at `error` with the request's context and counted
// (apikit_events_unpublished_total); the event is lost. Making the two
// atomic takes an outbox (the event written in the store's own transaction,
// relayed to the bus after): out of this sample's scope. The response waits
// for the bus's answer, so a client that reads /events after its 201 finds
// its event, on any instance sharing the bus.

#include "finish.hpp"
#include "observability.hpp"
#include "pages.hpp"

#include <apikit/api/cursor.hpp>
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/signed_cursor.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/events/any_bus.hpp>
#include <apikit/events/cloudevents.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/response.hpp>
#include <apikit/obs/metrics.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sample {

namespace events = apikit::events;

/// What the routes log and publish with. `Logger` is an obs::basic_logger.
template <class Logger>
struct app_services {
    /// The lines of a request (null: none, `--observability off`).
    Logger const* log = nullptr;
    /// Where events are published and listed from.
    events::any_bus* events = nullptr;
    /// Events the bus did not take.
    obs::counter* unpublished = nullptr;
    /// What GET /metrics shows.
    obs::registry const* metrics = nullptr;
};

/// The position of an event in its bus as a cursor holds it:
/// `{"key":<ms>,"id":<seq>}`.
using event_cursor = apikit::api::keyset_position<std::uint64_t, std::uint64_t>;

namespace detail {

/// The metadata of an event caused by the request of `ex`.
[[nodiscard]] inline events::metadata metadata_of(service_exchange const& ex) {
    events::metadata m;
    m.correlation_id = std::string(ex.request().request_id());
    m.source = "api";
    auto const& trace = http::slot<obs::request_trace>(ex);
    if (trace.valid()) {
        m.trace_id.emplace(trace.trace.hex().view());
        m.traceparent.emplace(trace.traceparent());
    }
    return m;
}

/// A qvalue (RFC 9110 §12.4.2: `0`, `0.5`, `1.000`) in thousandths; none
/// when malformed, and the element holding it is then ignored.
[[nodiscard]] inline std::optional<int> parse_qvalue(std::string_view q) noexcept {
    if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1'))
        return std::nullopt;
    int value = (q[0] - '0') * 1000;
    if (q.size() > 1) {
        if (q[1] != '.')
            return std::nullopt;
        int scale = 100;
        for (char c : q.substr(2)) {
            if (c < '0' || c > '9' || (q[0] == '1' && c != '0'))
                return std::nullopt;
            value += (c - '0') * scale;
            scale /= 10;
        }
    }
    return value;
}

/// True when the request's Accept prefers the CloudEvents batch format to
/// JSON (RFC 9110 §12.5.1): each type takes the weight of the most specific
/// range that matches it (`application/cloudevents-batch+json`, then
/// `application/*`, then `*/*`); the batch is chosen only when its weight is
/// above zero and above JSON's, so no Accept, `*/*` or a tie keeps JSON, and
/// `;q=0` refuses it. A request whose Accept allows neither still gets JSON
/// (§12.5.1 lets a server ignore Accept rather than answer 406).
[[nodiscard]] inline bool wants_cloudevents_batch(http::request const& req) {
    namespace grammar = apikit::grammar;
    // For each candidate: the weight of its most specific matching range,
    // as {specificity, q}; specificity 0 means no range matched.
    struct weight {
        int specificity = 0;
        int q = 0;
        void offer(int s, int qv) noexcept {
            if (s > specificity)
                *this = {s, qv};
        }
    };
    weight batch, json;
    bool any = false;
    auto const& msg = req.message();
    auto const fields = msg.equal_range(boost::beast::http::field::accept);
    for (auto it = fields.first; it != fields.second; ++it) {
        auto const value = it->value();
        for (auto const element : grammar::list_elements({value.data(), value.size()})) {
            auto const semi = element.find(';');
            auto const range = grammar::trim_ows(element.substr(0, semi));
            std::optional<int> q = 1000;
            if (semi != std::string_view::npos)
                for (auto const p : grammar::parameters(element.substr(semi)))
                    if (grammar::iequals(p.name, "q"))
                        q = parse_qvalue(p.value);
            if (!q || range.empty())
                continue;
            any = true;
            if (range == "*/*") {
                batch.offer(1, *q);
                json.offer(1, *q);
            } else if (grammar::iequals(range, "application/*")) {
                batch.offer(2, *q);
                json.offer(2, *q);
            } else if (grammar::iequals(range, events::cloudevents_batch_content_type)) {
                batch.offer(3, *q);
            } else if (grammar::iequals(range, "application/json")) {
                json.offer(3, *q);
            }
        }
    }
    return any && batch.q > 0 && batch.q > json.q;
}

/// `text` for a URI's query: everything but unreserved characters
/// percent-encoded (a cursor's base64url padding among them).
inline void append_query_value(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
}

/// Answers a page of the event log: a cursor page of envelopes, or a
/// CloudEvents batch with the next page in `Link` (RFC 8288).
inline void answer_events_page(http::response& res, events::page const& page,
                               std::optional<std::string> const& next, std::size_t limit,
                               bool batch) {
    if (batch) {
        if (next) {
            std::string link = "</events?cursor=";
            append_query_value(link, *next);
            link.append("&limit=");
            link.append(std::to_string(limit));
            link.append(">; rel=\"next\"");
            res.set("Link", link);
        }
        res.content_type(events::cloudevents_batch_content_type);
        res.body() = events::to_cloudevents_batch(std::span<events::event const>(page.events));
        return;
    }
    std::string body = R"({"data":[)";
    for (std::size_t i = 0; i < page.events.size(); ++i) {
        if (i != 0)
            body.push_back(',');
        body.append(events::to_json(page.events[i]));
    }
    body.push_back(']');
    append_cursor_page_end(body, next);
    res.content_type("application/json");
    res.body() = std::move(body);
}

} // namespace detail

/// Publishes an event of `type` with `data` for the request of `ex` (which
/// the caller has suspended, or which waits in the call: see
/// events::any_bus), then calls `then()`, whatever the bus said. A bus error
/// is logged with the request's context and counted, never answered.
template <class Logger, class T, class Then>
void publish_event(app_services<Logger> svc, service_exchange& ex, events::type_name type,
                   T const& data, Then then) {
    auto e =
        events::make_event(type, data, detail::metadata_of(ex), std::chrono::system_clock::now());
    std::string id = e.id;
    svc.events->async_publish(e, [svc, &ex, type, id = std::move(id), then = std::move(then)](
                                     boost::system::error_code ec, events::position) mutable {
        if (ec) {
            // The exchange is still waiting for `then`: its context is
            // the request's.
            svc.unpublished->inc();
            if (svc.log)
                svc.log->error(
                    ex, "event not published",
                    {{"event_id", id}, {"event_type", type.view()}, {"error", ec.message()}});
        }
        then();
    });
}

/// Adds GET /events to `app`: pages of `svc.events`' log, cursors signed by
/// `cursors` in the scope "events". Both must outlive the app.
template <class Logger>
void add_events_routes(service_app& app, app_services<Logger> svc,
                       apikit::api::signed_cursor const& cursors) {
    namespace api = apikit::api;
    app.get("/events", [svc, &cursors, scope = api::cursor_scope("events")](service_exchange& ex) {
        auto const& req = ex.request();
        // The body's format follows Accept: a cache must key on it (RFC 9110 §12.5.5).
        ex.response().set("Vary", "Accept");
        // Events page by cursor only: an offset would shift as events come in.
        for (char const* name : {"page", "per_page"})
            if (req.query(name))
                return ex.response().error(api::api_error::validation(
                    {{name, "is not supported: /events pages by limit and cursor"}}));
        auto const limit_text = req.query("limit");
        auto const cursor_text = req.query("cursor");
        auto limit = api::parse_limit(limit_text ? std::optional<std::string_view>(*limit_text)
                                                 : std::nullopt);
        if (!limit)
            return ex.response().error(limit.error());
        auto after = api::parse_cursor<event_cursor>(
            cursors, scope,
            cursor_text ? std::optional<std::string_view>(*cursor_text) : std::nullopt);
        if (!after)
            return ex.response().error(after.error());
        std::optional<events::position> before;
        if (*after)
            before = events::position{(*after)->key, (*after)->id};

        auto answer = [&cursors, scope, limit = *limit,
                       batch = detail::wants_cloudevents_batch(req)](http::response& res,
                                                                     boost::system::error_code ec,
                                                                     events::page const& page) {
            if (ec) {
                if (apikit::to_errc(ec) == apikit::errc::service_unavailable)
                    res.set("Retry-After", "1");
                return res.error(api::api_error(ec));
            }
            std::optional<std::string> next;
            if (page.next)
                next =
                    api::encode_cursor(cursors, scope, event_cursor{page.next->ms, page.next->seq});
            detail::answer_events_page(res, page, next, limit, batch);
        };
        if (svc.events->synchronous())
            return svc.events->async_list(
                *limit, before, [&ex, &answer](boost::system::error_code ec, events::page page) {
                    answer(ex.response(), ec, page);
                });
        auto resume = std::make_shared<http::continuation>(ex.suspend());
        svc.events->async_list(
            *limit, before, [&ex, resume, answer](boost::system::error_code ec, events::page page) {
                detail::finish(ex, *resume, [&](http::response& res) { answer(res, ec, page); });
            });
    });
}

} // namespace sample

#endif
