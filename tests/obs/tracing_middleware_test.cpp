// obs::tracing over real HTTP: a valid traceparent continues the caller's
// trace, a missing, invalid or duplicated one starts a new trace and the
// request is served all the same; every response names the request's trace
// and the server's own span (never the caller's), the server's own 400s
// included; the log context carries the ids the response names; tracestate
// follows a valid traceparent only.

#include "../http/support.hpp"

#include <apikit/obs/middleware.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace http_test;
namespace obs = apikit::obs;

namespace {

using trace_exchange = http::exchange_with<obs::request_trace>;

constexpr std::string_view tr_caller = "00-12345678901234567890123456789012-1234567890123456-01";
constexpr std::string_view tr_caller_trace = "12345678901234567890123456789012";
constexpr std::string_view tr_caller_span = "1234567890123456";

/// Answers what the handler saw: the slot and the log context.
http::basic_app<trace_exchange> tracing_app() {
    http::basic_app<trace_exchange> app;
    app.get("/seen", [](trace_exchange& ex) {
        auto const& t = http::slot<obs::request_trace>(ex);
        auto const& log = ex.log_context();
        json::object o;
        o["trace"] = t.trace.hex().view();
        o["span"] = t.span.hex().view();
        o["parent"] = t.parent ? json::value(t.parent->hex().view()) : json::value(nullptr);
        o["state"] = t.state.text();
        o["log_trace_id"] = log.find("trace_id").value_or("(none)");
        o["log_span_id"] = log.find("span_id").value_or("(none)");
        ex.response().json(o);
    });
    return app;
}

auto tracing_server() {
    return running_server(test_options(),
                          http::chain{http::request_id{}, obs::tracing{}, tracing_app()});
}

/// GET /seen with these fields, in order (a name may come twice).
response tr_get(client& c, std::vector<std::pair<std::string, std::string>> const& fields) {
    apikit_test::http_request req(bhttp::verb::get, "/seen", 11);
    for (auto const& [name, value] : fields)
        req.insert(name, value);
    return c.request(std::move(req));
}

/// The response's one traceparent, parsed.
obs::traceparent tr_response_parent(response const& r) {
    int count = 0;
    for (auto const& f : r)
        count += f.name_string() == "traceparent";
    REQUIRE(count == 1);
    auto const tp = obs::parse_traceparent(r["traceparent"]);
    REQUIRE(tp.has_value());
    CHECK(tp->version == 0);
    CHECK(r["traceparent"].size() == obs::traceparent_size);
    return *tp;
}

/// The response names the trace and span the handler and the log saw.
json::object tr_seen(response const& r) {
    REQUIRE(r.result_int() == 200);
    auto const seen = parse_json(r.body()).as_object();
    auto const tp = tr_response_parent(r);
    CHECK(seen.at("trace").as_string() == tp.trace.hex().view());
    CHECK(seen.at("span").as_string() == tp.parent.hex().view());
    // The log context holds JSON text: the ids as JSON strings.
    CHECK(seen.at("log_trace_id").as_string() == "\"" + tp.trace.hex().to_string() + "\"");
    CHECK(seen.at("log_span_id").as_string() == "\"" + tp.parent.hex().to_string() + "\"");
    return seen;
}

} // namespace

TEST_CASE("tracing: a valid traceparent continues the caller's trace with a span of the server's") {
    auto server = tracing_server();
    client c(server.port());
    for (auto const* name : {"traceparent", "TraceParent", "TRACEPARENT"}) {
        CAPTURE(name);
        auto const r = tr_get(c, {{name, std::string(tr_caller)}});
        auto const seen = tr_seen(r);
        auto const tp = tr_response_parent(r);
        CHECK(tp.trace.hex().view() == tr_caller_trace);
        CHECK(tp.parent.hex().view() != tr_caller_span); // never the caller's span echoed
        CHECK(seen.at("parent").as_string() == tr_caller_span);
        CHECK(tp.flags == obs::sampled_flag);
    }
    // Not sampled by the caller: not sampled onwards.
    auto const r =
        tr_get(c, {{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"}});
    CHECK(tr_response_parent(r).flags == 0);
    // A future version is continued, and answered in version 00.
    auto const future = tr_get(
        c,
        {{"traceparent",
          "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like"}});
    CHECK(tr_response_parent(future).trace.hex().view() == tr_caller_trace);
}

TEST_CASE("tracing: each request of a trace gets a span of its own") {
    auto server = tracing_server();
    client c(server.port());
    std::vector<std::string> spans;
    for (int i = 0; i < 3; ++i) {
        auto const tp = tr_response_parent(tr_get(c, {{"traceparent", std::string(tr_caller)}}));
        CHECK(tp.trace.hex().view() == tr_caller_trace);
        spans.push_back(tp.parent.hex().to_string());
    }
    CHECK(spans[0] != spans[1]);
    CHECK(spans[1] != spans[2]);
    CHECK(spans[0] != spans[2]);
}

TEST_CASE(
    "tracing: a missing, invalid or duplicated traceparent starts a new trace and is served") {
    auto server = tracing_server();
    client c(server.port());
    std::vector<std::vector<std::pair<std::string, std::string>>> const requests = {
        {},
        {{"traceparent", "00-00000000000000000000000000000000-1234567890123456-01"}},
        {{"traceparent", "00-12345678901234567890123456789012-0000000000000000-01"}},
        {{"traceparent", "ff-12345678901234567890123456789012-1234567890123456-01"}},
        {{"traceparent", "00-12345678901234567890123456789012-1234567890123456-01-extra"}},
        {{"traceparent", "00-12345678901234567890123456789012-1234567890123456-01."}},
        {{"traceparent", "garbage"}},
        {{"trace-parent", std::string(tr_caller)}},
        {{"traceparent", "00-12345678901234567890123456789011-1234567890123456-01"},
         {"traceparent", std::string(tr_caller)}},
        {{"traceparent", std::string(tr_caller)}, {"traceparent", std::string(tr_caller)}},
    };
    std::vector<std::string> traces;
    for (auto const& fields : requests) {
        CAPTURE(fields.size());
        CAPTURE((fields.empty() ? std::string("(none)") : fields.front().second));
        auto const r = tr_get(c, fields);
        auto const seen = tr_seen(r);
        auto const tp = tr_response_parent(r);
        CHECK(tp.trace.hex().view() != tr_caller_trace);
        CHECK(tp.trace.hex().view() != "12345678901234567890123456789011");
        CHECK(seen.at("parent").is_null());
        CHECK(tp.sampled()); // a new trace is sampled by default
        traces.push_back(tp.trace.hex().to_string());
    }
    // Each starts a trace of its own.
    std::sort(traces.begin(), traces.end());
    CHECK(std::adjacent_find(traces.begin(), traces.end()) == traces.end());
}

TEST_CASE("tracing: tracestate is read with a valid traceparent only, every field as one list") {
    auto server = tracing_server();
    client c(server.port());
    auto const joined = tr_get(c, {{"traceparent", std::string(tr_caller)},
                                   {"tracestate", "foo=1,bar=2"},
                                   {"TraceState", "rojo=1, congo=2"},
                                   {"tracestate", "baz=3,foo=9,BAD=x"}});
    CHECK(tr_seen(joined).at("state").as_string() == "foo=1,bar=2,rojo=1,congo=2,baz=3");
    CHECK(joined["tracestate"] == "foo=1,bar=2,rojo=1,congo=2,baz=3");

    // Without a valid traceparent the spec forbids reading it: not kept, not sent.
    for (auto const& parent : {std::string("garbage"), std::string()}) {
        std::vector<std::pair<std::string, std::string>> fields;
        if (!parent.empty())
            fields.emplace_back("traceparent", parent);
        fields.emplace_back("tracestate", "foo=1");
        auto const r = tr_get(c, fields);
        CHECK(tr_seen(r).at("state").as_string() == "");
        CHECK(r.find("tracestate") == r.end());
    }
    // The field's name in any case, and no other name (suite: tracestate header name).
    auto const upper =
        tr_get(c, {{"traceparent", std::string(tr_caller)}, {"TRACESTATE", "foo=1"}});
    CHECK(upper["tracestate"] == "foo=1");
    for (auto const* name : {"trace-state", "trace.state"}) {
        auto const r = tr_get(c, {{"traceparent", std::string(tr_caller)}, {name, "foo=1"}});
        CHECK(r.find("tracestate") == r.end());
    }
    // A traceparent with no tracestate: none sent back.
    auto const bare = tr_get(c, {{"traceparent", std::string(tr_caller)}});
    CHECK(bare.find("tracestate") == bare.end());
}

TEST_CASE("tracing: the server's own 400 carries a traceparent, continued when one was valid") {
    auto server = tracing_server();
    {
        client c(server.port());
        c.send_raw("GET /seen%zz HTTP/1.1\r\nHost: x\r\ntraceparent: " + std::string(tr_caller) +
                   "\r\n\r\n");
        auto const r = c.read();
        CHECK(r.result_int() == 400);
        auto const tp = tr_response_parent(r);
        CHECK(tp.trace.hex().view() == tr_caller_trace);
        CHECK(tp.parent.hex().view() != tr_caller_span);
    }
    {
        // Framing the server cannot read at all: a new trace.
        client c(server.port());
        c.send_raw("GET /seen HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
        auto const r = c.read();
        CHECK(r.result_int() == 400);
        auto const tp = tr_response_parent(r);
        CHECK(tp.trace.hex().view() != tr_caller_trace);
    }
}

TEST_CASE("tracing: new traces are unsampled when the options say so, a caller's choice is kept") {
    obs::tracing_options o;
    o.sample_new_traces = false;
    running_server server(test_options(),
                          http::chain{http::request_id{}, obs::tracing{o}, tracing_app()});
    client c(server.port());
    CHECK_FALSE(tr_response_parent(tr_get(c, {})).sampled());
    CHECK(tr_response_parent(tr_get(c, {{"traceparent", std::string(tr_caller)}})).sampled());
}

namespace {
/// Answers every request itself with a 401, before the handler.
struct tr_refuse_all {
    http::flow on_request(http::exchange& ex) const {
        ex.response().error(apikit::errc::unauthorized);
        return http::flow::respond;
    }
};
} // namespace

TEST_CASE("tracing: a response a later layer gave early carries the traceparent too") {
    running_server server(test_options(), http::chain{http::request_id{}, obs::tracing{},
                                                      tr_refuse_all{}, tracing_app()});
    client c(server.port());
    auto const r = tr_get(c, {{"traceparent", std::string(tr_caller)}});
    CHECK(r.result_int() == 401);
    CHECK(tr_response_parent(r).trace.hex().view() == tr_caller_trace);
}

TEST_CASE("tracing: a traceparent a handler set itself is replaced: one per response") {
    http::basic_app<trace_exchange> app;
    app.get("/own", [](trace_exchange& ex) {
        ex.response().set("TraceParent", tr_caller);
        ex.response().text("own");
    });
    running_server server(test_options(),
                          http::chain{http::request_id{}, obs::tracing{}, std::move(app)});
    client c(server.port());
    apikit_test::http_request req(bhttp::verb::get, "/own", 11);
    auto const r = c.request(std::move(req));
    CHECK(r.result_int() == 200);
    int count = 0;
    for (auto const& f : r)
        count += apikit::grammar::iequals(f.name_string(), "traceparent");
    CHECK(count == 1);
    auto const tp = tr_response_parent(r);
    CHECK(tp.trace.hex().view() != tr_caller_trace); // a new trace: the request had none
    CHECK(tp.parent.hex().view() != tr_caller_span);
}
