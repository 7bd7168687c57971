// Writing middleware: one that answers early (an API key check), one that
// waits on something asynchronous (a timer standing in for a Redis round
// trip), one that runs after the handler (a Server-Timing header). The
// program starts a server with them on a free port, calls it, prints what it
// got, and exits 0 when every answer was the expected one.

#include <apikit/core/constant_time.hpp>
#include <apikit/http.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

namespace http = apikit::http;
using namespace std::chrono_literals;

// [sync-middleware]
/// Refuses a request without the right key before any handler runs.
struct api_key_check {
    std::string key;

    http::flow on_request(http::exchange& ex) const {
        auto const given = ex.request().header("X-Api-Key");
        if (given && apikit::constant_time_equal(*given, key))
            return http::flow::next;
        ex.response().error(apikit::errc::unauthorized);
        return http::flow::respond; // the layers before this one still see the 401
    }
};
static_assert(http::middleware<api_key_check>);
// [sync-middleware]

// [async-middleware]
/// Waits for an answer that comes later, while the connection waits too:
/// suspend, return flow::pending, and call the continuation (from any
/// thread) when the answer is in. The chain resumes on the connection's
/// executor.
struct remote_lookup {
    std::chrono::milliseconds delay;

    http::flow on_request(http::exchange& ex) const {
        auto resume = ex.suspend();
        auto timer = std::make_shared<boost::asio::steady_timer>(ex.executor(), delay);
        timer->async_wait(
            [timer, resume = std::move(resume), &ex](boost::system::error_code) mutable {
                ex.response().set("X-Looked-Up", "yes");
                resume(http::flow::next);
            });
        return http::flow::pending;
    }
};
static_assert(http::middleware<remote_lookup>);
// [async-middleware]

// [response-middleware]
/// Runs after the handler, for every response: says how long it took.
struct server_timing {
    void on_response(http::exchange& ex) const {
        auto const us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - ex.start_time())
                            .count();
        ex.response().set("Server-Timing", fmt::format("app;dur={}.{:03}", us / 1000, us % 1000));
    }
};
static_assert(http::middleware<server_timing>);
// [response-middleware]

namespace {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

beast::http::response<beast::http::string_body> call(tcp::socket& s, std::string_view key) {
    beast::http::request<beast::http::empty_body> req(beast::http::verb::get, "/hello", 11);
    req.set(beast::http::field::host, "127.0.0.1");
    if (!key.empty())
        req.set("X-Api-Key", key);
    beast::http::write(s, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(s, buffer, res);
    return res;
}

} // namespace

int main() {
    http::app app;
    app.get("/hello", [](http::request const&, http::response& res) {
        res.json_text(R"({"hello":"world"})");
    });

    // [chain]
    http::server_options opts;
    opts.port = 0;
    opts.handle_signals = false;
    http::server server{opts,
                        http::chain{http::request_id{}, server_timing{}, api_key_check{"s3cret"},
                                    remote_lookup{20ms}, std::move(app)}};
    // [chain]
    if (!server.start())
        return 1;

    boost::asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));

    auto const refused = call(s, "wrong");
    fmt::print("without the key: {} {}; Server-Timing: {}\n", refused.result_int(), refused.body(),
               std::string(refused["Server-Timing"]));
    auto const served = call(s, "s3cret");
    fmt::print("with the key:    {} {}; X-Looked-Up: {}; X-Request-Id: {}\n", served.result_int(),
               served.body(), std::string(served["X-Looked-Up"]),
               std::string(served["X-Request-Id"]));

    server.stop();
    server.wait();
    bool const ok = refused.result_int() == 401 && !refused["Server-Timing"].empty() &&
                    served.result_int() == 200 && served["X-Looked-Up"] == "yes";
    return ok ? 0 : 1;
}
