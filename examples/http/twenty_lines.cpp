// A whole apikit HTTP server, quoted by docs/http.md ("A server in twenty
// lines"): one route, the request-id and access-log middleware, graceful
// shutdown on SIGINT or SIGTERM. `twenty_lines [port]`: 8080 by default, 0
// for a free one.
#include <apikit/http.hpp>

#include <cstdlib>
#include <iostream>

namespace http = apikit::http;

int main(int argc, char** argv) {
    http::app app;
    app.get("/hello/:name", [](http::request const& req, http::response& res) {
        res.json(boost::json::object{{"hello", *req.param("name")}});
    });

    http::server_options opts; // 127.0.0.1, one thread
    opts.port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
    http::server server{
        opts, http::chain{http::request_id{}, http::access_log{apikit::fd_sink{}}, std::move(app)}};
    if (auto const started = server.start(); !started) {
        std::cerr << "cannot listen: " << started.error().message() << '\n';
        return 1;
    }
    std::cerr << "listening on " << server.local_endpoint() << '\n';
    server.wait(); // until SIGINT or SIGTERM has drained every request
}
