// The sample server's events over real HTTP: user.created and order.placed
// published with the request's id and trace, and GET /events, a cursor page
// of envelopes or a CloudEvents batch, newest first.

#include "fixture.hpp"

#include <apikit/core/error.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/cloudevents.hpp>
#include <apikit/events/event.hpp>
#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/trace_context.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace test_server;

namespace events_test {

namespace events = apikit::events;

constexpr std::string_view caller_trace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view caller_parent =
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr std::string_view batch_type = "application/cloudevents-batch+json";

std::string header(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

/// GET `target`, with `Accept: accept` unless it is empty.
response get(client& c, std::string_view target, std::string_view accept = {}) {
    apikit_test::http_request req(http::verb::get, target, 11);
    if (!accept.empty())
        req.set(http::field::accept, accept);
    return c.request(std::move(req));
}

/// POST `body` as JSON with a traceparent.
response post_traced(client& c, std::string_view target, json::value const& body) {
    apikit_test::http_request req(http::verb::post, target, 11);
    req.set(http::field::content_type, "application/json");
    req.set("traceparent", caller_parent);
    req.body() = json::serialize(body);
    return c.request(std::move(req));
}

/// The events of GET /events?limit=`limit`, checking the page's shape.
json::object events_page(client& c, std::string_view target = "/events") {
    auto const res = get(c, target);
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    auto body = body_json(res);
    REQUIRE(body.is_object());
    auto& page = body.as_object();
    CHECK(page.size() == 3);
    CHECK(page.at("data").is_array());
    CHECK(page.at("has_more").is_bool());
    CHECK(page.at("has_more").as_bool() == page.at("next_cursor").is_string());
    return page;
}

/// Checks `v` is an envelope of `type`, exactly its five members, and
/// reads back through events::parse_event as itself.
json::object const& check_envelope(json::value const& v, std::string_view type) {
    REQUIRE(v.is_object());
    auto const& o = v.as_object();
    CHECK(o.size() == 5);
    std::vector<std::string_view> keys;
    for (auto const& m : o)
        keys.push_back(m.key());
    CHECK(keys == std::vector<std::string_view>{"id", "type", "timestamp", "data", "metadata"});
    CHECK(o.at("id").as_string().starts_with("evt_"));
    CHECK(o.at("type").as_string() == type);
    CHECK(o.at("timestamp").as_string().size() == apikit::rfc3339_ms_size);
    CHECK(o.at("metadata").at("source").as_string() == "api");
    auto const parsed = events::parse_event(json::serialize(v));
    REQUIRE(parsed.has_value());
    CHECK(parsed->id == o.at("id").as_string());
    return o;
}

/// A bus that takes nothing: Redis down, as the routes see it.
struct unavailable_bus {
    std::size_t attempts = 0;

    template <class Handler>
    void async_publish(events::event const&, Handler&& h) {
        ++attempts;
        std::forward<Handler>(h)(make_error_code(apikit::errc::service_unavailable),
                                 events::position{});
    }
    template <class Handler>
    void async_list(std::size_t, std::optional<events::position>, Handler&& h) {
        std::forward<Handler>(h)(make_error_code(apikit::errc::service_unavailable),
                                 events::page{});
    }
    template <class Subscriber>
    int subscribe(events::type_pattern const&, events::subscribe_options const&, Subscriber&&) {
        return 0;
    }
    [[nodiscard]] events::bus_stats stats() const { return {}; }
};

TEST_CASE("POST /users publishes user.created: the user without a secret, the request's id and "
          "trace") {
    running_server server;
    client c(server.port());
    auto const created = post_traced(
        c, "/users",
        json::value{{"email", "ada@example.com"}, {"name", "Ada"}, {"password", test_password}});
    REQUIRE(created.result_int() == 201);
    auto const user = body_json(created);
    auto const answered_parent = header(created, "traceparent");

    server.authorize(c);
    auto const page = events_page(c);
    REQUIRE(page.at("data").as_array().size() == 1);
    auto const& e = check_envelope(page.at("data").as_array()[0], "user.created");
    // The data is the user exactly as the API shows it: no password hash.
    CHECK(e.at("data") == user);
    auto const text = json::serialize(e);
    CHECK(text.find("password") == std::string::npos);
    CHECK(text.find("$scrypt$") == std::string::npos);

    auto const& meta = e.at("metadata").as_object();
    CHECK(meta.at("correlation_id").as_string() == header(created, "X-Request-Id"));
    CHECK(meta.at("trace_id").as_string() == caller_trace);
    // The event's parent is the server's span of the request: the span the
    // response named, not the caller's.
    CHECK(meta.at("traceparent").as_string() == answered_parent);
    auto const parent = apikit::obs::parse_traceparent(answered_parent);
    REQUIRE(parent.has_value());
    CHECK(parent->trace.hex().view() == caller_trace);
    CHECK(answered_parent != caller_parent);
}

TEST_CASE("POST /users/:id/orders publishes order.placed with the order") {
    running_server server;
    client c(server.port());
    auto const user = sign_up(c, "ada@example.com");
    server.authorize(c);
    auto const placed = post_traced(c, "/users/" + id_of(user) + "/orders",
                                    json::value{{"item", "book"}, {"quantity", 2}});
    REQUIRE(placed.result_int() == 201);

    auto const page = events_page(c);
    auto const& data = page.at("data").as_array();
    REQUIRE(data.size() == 2);
    auto const& e = check_envelope(data[0], "order.placed"); // newest first
    CHECK(e.at("data") == body_json(placed));
    CHECK(e.at("metadata").at("correlation_id").as_string() == header(placed, "X-Request-Id"));
    CHECK(e.at("metadata").at("trace_id").as_string() == caller_trace);
    CHECK(e.at("metadata").at("traceparent").as_string() == header(placed, "traceparent"));
    check_envelope(data[1], "user.created");

    // A request without a traceparent starts a trace of its own, which its
    // event carries.
    auto const again = c.post_json("/users/" + id_of(user) + "/orders",
                                   json::value{{"item", "pen"}, {"quantity", 1}});
    REQUIRE(again.result_int() == 201);
    auto const own = apikit::obs::parse_traceparent(header(again, "traceparent"));
    REQUIRE(own.has_value());
    auto const newest = events_page(c, "/events?limit=1").at("data").as_array()[0];
    CHECK(newest.at("metadata").at("trace_id").as_string() == own->trace.hex().view());
    CHECK(newest.at("metadata").at("trace_id").as_string() != caller_trace);
}

TEST_CASE("GET /events pages newest first by cursor, each event once") {
    running_server server;
    client c(server.port());
    std::vector<std::string> emails;
    for (int i = 0; i < 5; ++i) {
        emails.push_back("user" + std::to_string(i) + "@example.com");
        sign_up(c, emails.back());
    }
    server.authorize(c);

    std::vector<std::string> seen; // the emails, in the order listed
    std::string target = "/events?limit=2";
    std::vector<std::size_t> sizes;
    for (int pages = 0; pages < 10; ++pages) {
        auto const page = events_page(c, target);
        auto const& data = page.at("data").as_array();
        sizes.push_back(data.size());
        for (auto const& e : data)
            seen.emplace_back(check_envelope(e, "user.created").at("data").at("email").as_string());
        if (!page.at("has_more").as_bool()) {
            CHECK(page.at("next_cursor").is_null());
            break;
        }
        target = with_query("/events?limit=2", "cursor", page.at("next_cursor").as_string());
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
    CHECK(seen == std::vector<std::string>(emails.rbegin(), emails.rend()));

    // No limit: 20 at most, all five here.
    CHECK(events_page(c).at("data").as_array().size() == 5);
}

TEST_CASE("GET /events as a CloudEvents batch: the same page, the next page's link in Link") {
    running_server server;
    client c(server.port());
    for (int i = 0; i < 3; ++i)
        sign_up(c, "user" + std::to_string(i) + "@example.com");
    server.authorize(c);

    auto const envelopes = events_page(c, "/events?limit=2");
    auto const res =
        get(c, "/events?limit=2", "application/json;q=0.5, " + std::string(batch_type));
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == batch_type);
    auto const batch = body_json(res);
    REQUIRE(batch.is_array());
    REQUIRE(batch.as_array().size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        auto const& ce = batch.as_array()[i].as_object();
        auto const& e = envelopes.at("data").as_array()[i];
        CHECK(ce.at("specversion").as_string() == "1.0");
        CHECK(ce.at("id") == e.at("id"));
        CHECK(ce.at("type") == e.at("type"));
        CHECK(ce.at("source").as_string() == "api");
        CHECK(ce.at("data") == e.at("data"));
        CHECK(ce.at("correlationid") == e.at("metadata").at("correlation_id"));
        CHECK(ce.at("traceparent") == e.at("metadata").at("traceparent"));
        auto const back = events::from_cloudevent(ce);
        REQUIRE(back.has_value());
        CHECK(json::value_from(*back) == e);
    }

    // Link: </events?cursor=…&limit=2>; rel="next" (RFC 8288), the page's
    // next cursor percent-encoded; following it gives the last event.
    auto const link = header(res, "Link");
    CAPTURE(link);
    REQUIRE(link.starts_with("</events?cursor="));
    REQUIRE(link.ends_with(">; rel=\"next\""));
    auto const next = link.substr(1, link.find('>') - 1);
    CHECK(next ==
          with_query("/events", "cursor", envelopes.at("next_cursor").as_string()) + "&limit=2");
    auto const last = get(c, next, batch_type);
    REQUIRE(last.result_int() == 200);
    CHECK(body_json(last).as_array().size() == 1);
    CHECK(header(last, "Link").empty()); // the last page has no next
    // Without the Accept, the same URL answers envelopes.
    CHECK(events_page(c, next).at("data").as_array().size() == 1);
}

/// The error envelope of `r` without its request id, which differs per request.
json::object error_without_id(response const& r) {
    auto error = body_json(r).at("error").as_object();
    error.erase("request_id");
    return error;
}

TEST_CASE(
    "GET /events: a bad limit or cursor is the same envelope as /users, under either Accept") {
    running_server server;
    client c(server.port());
    sign_up(c, "ada@example.com");
    sign_up(c, "bob@example.com");
    server.authorize(c);
    // A cursor of another listing is not one of /events'.
    auto const users_cursor =
        std::string(body_json(c.get("/users?limit=1")).at("next_cursor").as_string());

    for (std::string_view accept : {std::string_view(), batch_type}) {
        CAPTURE(accept);
        for (std::string_view limit : {"0", "101", "abc", "-1", "", "1.5"}) {
            CAPTURE(limit);
            auto const ours = get(c, with_query("/events", "limit", limit), accept);
            auto const theirs = c.get(with_query("/users", "limit", limit));
            check_error(ours, 422, "validation_error");
            CHECK(error_without_id(ours) == error_without_id(theirs));
        }
        for (std::string_view cursor :
             {std::string_view("garbage"), std::string_view(users_cursor)}) {
            CAPTURE(cursor);
            auto const ours = get(c, with_query("/events", "cursor", cursor), accept);
            auto const theirs = c.get(with_query("/users", "cursor", "garbage"));
            check_error(ours, 400, "invalid_cursor");
            CHECK(error_without_id(ours) == error_without_id(theirs));
        }
        // Events page by cursor only.
        auto const offset = get(c, "/events?page=1", accept);
        auto const error = check_error(offset, 422, "validation_error");
        CHECK(details_of(error).at(0).first == "page");
    }
}

TEST_CASE("GET /events chooses its format by Accept's weights, and says it varies by Accept") {
    running_server server;
    client c(server.port());
    sign_up(c, "weights@example.com");
    server.authorize(c);
    std::string const b(batch_type);
    struct row {
        std::string accept;
        bool batch;
    };
    for (auto const& r : std::vector<row>{
             {"", false},
             {"*/*", false},
             {"application/json", false},
             {b, true},
             {b + ";q=0", false},
             {b + ";q=0.000", false},
             {"application/json, " + b + ";q=0.5", false},
             {"application/json;q=0.1, " + b, true},
             {b + ", */*;q=0.1", true},
             {"application/*;q=0.2, " + b + ";q=0.3", true},
             {"application/*, " + b + ";q=0.9", false},
             {"APPLICATION/CLOUDEVENTS-BATCH+JSON", true},
             {b + ";q=2", false},  // not a qvalue: the element is ignored
             {"text/html", false}, // neither acceptable: JSON, not 406
         }) {
        CAPTURE(r.accept);
        auto const res = get(c, "/events", r.accept);
        REQUIRE(res.result_int() == 200);
        CHECK(res[http::field::vary] == "Accept");
        CHECK((res[http::field::content_type] == batch_type) == r.batch);
    }
}

TEST_CASE("GET /events needs a token with the read scope") {
    running_server server;
    client c(server.port());
    auto const anonymous = get(c, "/events");
    check_error(anonymous, 401, "unauthorized");
    CHECK(header(anonymous, "WWW-Authenticate").starts_with("Bearer"));

    c.authorization("Bearer " + server.token("user_test", {"write"}));
    check_error(get(c, "/events", batch_type), 403, "forbidden");

    c.authorization("Bearer " + server.token("user_test", {"read"}));
    CHECK(get(c, "/events").result_int() == 200);
}

TEST_CASE("a bus that takes no event: the request succeeds, the event is logged and counted") {
    server_setup setup;
    setup.events.emplace(std::in_place_type<unavailable_bus>);
    running_server server(std::move(setup));
    client c(server.port());
    auto const user = sign_up(c, "ada@example.com");
    server.authorize(c);
    auto const placed = c.post_json("/users/" + id_of(user) + "/orders",
                                    json::value{{"item", "book"}, {"quantity", 1}});
    CHECK(placed.result_int() == 201);
    // The order is stored: a failed event takes nothing back.
    CHECK(c.get("/users/" + id_of(user) + "/orders").result_int() == 200);
    CHECK(server.server().parts().events.target<unavailable_bus>()->attempts == 2);

    // Listing cannot work without the bus: a 503 that says when to retry.
    auto const listed = c.get("/events");
    check_error(listed, 503, "service_unavailable");
    CHECK(header(listed, "Retry-After") == "1");

    std::string metrics;
    apikit::obs::write_prometheus(server.server().metrics(), metrics);
    CHECK(metrics.find("\napikit_events_unpublished_total 2\n") != std::string::npos);

    server.server().parts().log->flush();
    int errors = 0;
    for (auto const& line : server.log().lines()) {
        auto const v = json::parse(line);
        if (v.at("message") != "event not published")
            continue;
        ++errors;
        CHECK(v.at("level") == "error");
        auto const& ctx = v.at("context").as_object();
        CHECK(ctx.at("request_id").as_string().starts_with("req_"));
        CHECK(ctx.at("trace_id").as_string().size() == 32);
        CHECK(ctx.at("event_id").as_string().starts_with("evt_"));
        CHECK(ctx.at("error").is_string());
    }
    CHECK(errors == 2);
}

} // namespace events_test
