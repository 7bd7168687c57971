// Structured logging: one writer and one sink (a file here) shared by the
// access log and the logger; a handler whose lines carry the request's
// context (request id, trace id, what it added) without passing it around;
// levels changed at run time; secrets redacted. The program starts a server
// on a free port, calls it, reads the log file back, prints it, and exits 0
// when every line is what the comments say.

#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/http.hpp>
#include <apikit/http/access_log.hpp>
#include <apikit/obs.hpp>
#include <apikit/obs/middleware.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace http = apikit::http;
namespace obs = apikit::obs;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = boost::asio::ip::tcp;

namespace {

std::vector<json::object> read_lines(std::filesystem::path const& path) {
    std::vector<json::object> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        fmt::print("{}\n", line);
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        if (ec || !v.is_object())
            return {}; // not a JSON object: the check below fails
        out.push_back(std::move(v.as_object()));
    }
    return out;
}

} // namespace

int main() {
    auto const path = std::filesystem::temp_directory_path() /
                      fmt::format("apikit-example-logging-{}.log", ::getpid());
    std::filesystem::remove(path);

    // [setup]
    // One writer for the whole process: the access log and the logger append
    // to it, its flusher thread writes batches to the sink.
    auto sink = apikit::file_sink::open(path); // or apikit::fd_sink{}: stdout
    if (!sink) {
        fmt::print(stderr, "cannot open {}: {}\n", path.string(), sink.error().message());
        return 1;
    }
    using writer_t = apikit::log_writer<apikit::file_sink>;
    auto const writer = std::make_shared<writer_t>(std::move(*sink));
    // The minimum level from configuration (--log-level): lines below it cost
    // a load and a compare.
    obs::basic_logger<apikit::file_sink> log(writer, obs::parse_level("info").value());
    // [setup]

    // [handler]
    using exchange = http::exchange_with<obs::request_trace>;
    http::basic_app<exchange> app;
    app.post("/orders", [&log](exchange& ex) {
        // Set once: in every later line of this request, the access log's too.
        ex.log_context().set("order_id", "order_7");
        log.info(ex, "Order placed", {{"duration_ms", 234}});
        log.debug(ex, "Basket read"); // below the minimum: not written
        // A secret's value never reaches the log, whatever the key's case.
        log.warn(ex, "Payment retried", {{"Card_Token", "tok_4242"}, {"attempt", 2}});
        ex.response().status(201);
    });
    http::server_options opts;
    opts.port = 0;
    opts.handle_signals = false;
    // tracing puts trace_id and span_id in the request's log context.
    http::server server{opts,
                        http::chain{http::request_id{}, obs::tracing{},
                                    http::access_log<apikit::file_sink>(writer), std::move(app)}};
    // [handler]
    if (!server.start())
        return 1;

    boost::asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
    beast::http::request<beast::http::empty_body> req(beast::http::verb::post, "/orders", 11);
    req.set(beast::http::field::host, "127.0.0.1");
    req.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    beast::http::write(s, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(s, buffer, res);
    server.stop();
    server.wait();

    // [levels]
    log.min_level(obs::level::debug); // at run time, from any thread
    log.debug("Cache warmed", {{"entries", 1024}, {"hit_ratio", 0.93}});
    // [levels]

    // [drops]
    writer->flush(); // the flusher would write it within 100 ms anyway
    // Lines the writer dropped because its sink fell behind: never a
    // request kept waiting. Export it as a metric.
    auto const dropped = writer->dropped_lines();
    // [drops]

    auto const lines = read_lines(path);
    std::filesystem::remove(path);
    bool ok = res.result_int() == 201 && dropped == 0 && lines.size() == 4;
    if (ok) {
        // Three lines of the request: the handler's two and the access log's,
        // each with the request id, the caller's trace and the order.
        for (std::size_t i = 0; i < 3; ++i) {
            auto const& ctx = lines[i].at("context").as_object();
            ok = ok && ctx.at("request_id") == res["X-Request-Id"] &&
                 ctx.at("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736" &&
                 ctx.contains("span_id") && ctx.at("order_id") == "order_7";
        }
        ok = ok && lines[0].at("message") == "Order placed" && lines[0].at("level") == "info" &&
             lines[0].at("context").at("duration_ms") == 234 && lines[1].at("level") == "warn" &&
             lines[1].at("context").at("Card_Token") == "[REDACTED]" &&
             lines[2].at("message") == "request" && lines[2].at("context").at("status") == 201 &&
             lines[3].at("level") == "debug" && lines[3].at("context").at("entries") == 1024;
    }
    fmt::print("{}\n", ok ? "ok" : "NOT as shown");
    return ok ? 0 : 1;
}
