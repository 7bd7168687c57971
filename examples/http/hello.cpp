// The smallest apikit HTTP server: two routes, the request-id and
// access-log middleware, graceful shutdown on SIGINT/SIGTERM.
//
//   apikit-example-http-hello [port]      (default 8080; 0 picks a free port)
//   curl -i localhost:8080/hello/world

#include <apikit/http.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace http = apikit::http;

int main(int argc, char** argv) {
    http::server_options opts;
    if (argc > 1)
        opts.port = static_cast<std::uint16_t>(std::strtoul(argv[1], nullptr, 10));

    // [routes]
    http::app app;
    app.get("/healthz",
            [](http::request const&, http::response& res) { res.json_text(R"({"status":"ok"})"); });
    app.get("/hello/:name", [](http::request const& req, http::response& res) {
        auto const name = req.param("name"); // percent-decoded
        res.json(boost::json::object{{"hello", *name}, {"request_id", req.request_id()}});
    });
    app.post("/echo", [](http::request const& req, http::response& res) {
        auto const body = http::read_json_object(req); // 415 / 400 as an envelope
        if (!body)
            return res.error(body.error());
        res.status(201);
        res.json(*body);
    });
    // [routes]

    // [server]
    http::server server{
        opts, http::chain{http::request_id{}, http::access_log{apikit::fd_sink{}}, std::move(app)}};
    if (auto const started = server.start(); !started) {
        std::cerr << "cannot listen on " << opts.address << ':' << opts.port << ": "
                  << started.error().message() << '\n';
        return 1;
    }
    std::cerr << "listening on " << server.local_endpoint() << '\n';
    server.wait(); // until SIGINT or SIGTERM has drained the server
    // [server]
    return 0;
}
