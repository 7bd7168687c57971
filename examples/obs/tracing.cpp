// W3C Trace Context: reading and writing traceparent and tracestate, the
// tracing middleware that continues a caller's trace (or starts one) and
// answers with the server's own span, and a consumer that continues the
// trace an event carried. The program starts a server on a free port, calls
// it with and without a traceparent, prints what came back, and exits 0
// when every answer was the expected one.

#include <apikit/http.hpp>
#include <apikit/obs/middleware.hpp>
#include <apikit/obs/trace_context.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace http = apikit::http;
namespace obs = apikit::obs;

namespace {

bool parsing() {
    // [parse]
    auto const tp =
        obs::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    if (!tp) // malformed: start a new trace instead (never fail the request)
        return false;
    fmt::print("trace {} parent {} sampled {}\n", tp->trace.hex().view(), tp->parent.hex().view(),
               tp->sampled());
    // Invalid: upper-case hex, an all-zero id, version ff, version 00 with more after it.
    bool const refused =
        !obs::parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") &&
        !obs::parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01") &&
        !obs::parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") &&
        !obs::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x");
    // A later version is read for the fields version 00 knows, and answered in 00.
    auto const future = obs::parse_traceparent(
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like");
    bool const downgraded = future && obs::to_string(*future) ==
                                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    // [parse]
    return refused && downgraded;
}

bool state() {
    // [tracestate]
    // Lenient: a bad member (FOO: upper case) and a duplicate are dropped, the rest kept in order.
    auto s = obs::tracestate::parse("congo=t61rcWkgMzE, FOO=1,rojo=1,congo=2");
    fmt::print("kept {} ({} dropped)\n", s.text(),
               s.dropped()); // congo=t61rcWkgMzE,rojo=1 (2 dropped)
    // The member a service adds or updates goes first.
    bool const put = s.put("rojo", "00f067aa0ba902b7");
    fmt::print("sent {}\n", s.text()); // rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
    // [tracestate]
    return put && s.dropped() == 2 && s.text() == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
}

// [consumer]
/// An event consumer has no HTTP request: it continues the trace of the
/// event's metadata.traceparent (or starts one when there is none).
obs::request_trace trace_of_event(std::string_view traceparent) {
    obs::request_trace t;
    if (auto const caller = obs::parse_traceparent(traceparent))
        t.continue_from(*caller);
    else
        t.start();
    return t;
}
// [consumer]

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

beast::http::response<beast::http::string_body> call(tcp::socket& s, std::string_view traceparent) {
    beast::http::request<beast::http::empty_body> req(beast::http::verb::get, "/orders/7", 11);
    req.set(beast::http::field::host, "127.0.0.1");
    if (!traceparent.empty())
        req.set("traceparent", traceparent);
    beast::http::write(s, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(s, buffer, res);
    return res;
}

} // namespace

int main() {
    bool ok = parsing() && state();

    // [middleware]
    using exchange = http::exchange_with<obs::request_trace>;
    http::basic_app<exchange> app;
    app.get("/orders/:id", [](exchange& ex) {
        auto const& trace = http::slot<obs::request_trace>(ex);
        // What an outgoing call or a published event carries: this trace,
        // with the server's span as the parent.
        std::string const onwards = trace.traceparent();
        // The log context already holds trace_id and span_id.
        ex.response().json(boost::json::object{
            {"order", "7"},
            {"traceparent_onwards", onwards},
            {"logged_trace_id", ex.log_context().find("trace_id").value_or("")},
        });
    });

    http::server_options opts;
    opts.port = 0;
    opts.handle_signals = false;
    http::server server{opts, http::chain{http::request_id{}, obs::tracing{}, std::move(app)}};
    // [middleware]
    if (!server.start())
        return 1;

    boost::asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));

    constexpr std::string_view caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    auto const continued = call(s, caller);
    auto const started = call(s, "");
    server.stop();
    server.wait();

    auto const got = obs::parse_traceparent(std::string_view(continued["traceparent"]));
    auto const fresh = obs::parse_traceparent(std::string_view(started["traceparent"]));
    fmt::print("sent     traceparent: {}\n", caller);
    fmt::print("answered traceparent: {}\n", std::string_view(continued["traceparent"]));
    fmt::print("body: {}\n", continued.body());
    fmt::print("without one:          {}\n", std::string_view(started["traceparent"]));
    // The same trace, the server's own span (never the caller's echoed).
    ok = ok && got && got->trace.hex().view() == caller.substr(3, 32) &&
         got->parent.hex().view() != caller.substr(36, 16) && fresh &&
         fresh->trace.hex().view() != caller.substr(3, 32);

    // An event published by that handler carries `traceparent_onwards`: its
    // consumer's span is a child of the server's span for the request.
    auto const body = boost::json::parse(continued.body()).as_object();
    auto const consumed = trace_of_event(body.at("traceparent_onwards").as_string());
    ok = ok && got && consumed.trace == got->trace && consumed.parent == got->parent &&
         trace_of_event("").parent == std::nullopt;
    return ok ? 0 : 1;
}
