#ifndef APIKIT_TESTS_SERVER_CLIENT_HPP
#define APIKIT_TESTS_SERVER_CLIENT_HPP

// A plain Beast client for the integration tests: one keep-alive connection
// to a loopback port, a request in, a response out. Each call blocks, but
// runs its I/O asynchronously under a 10 s deadline, so a server that never
// answers fails a test rather than hanging it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace test_client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using response = http::response<http::string_body>;

class client {
public:
    explicit client(std::uint16_t port) : socket_(ioc_) {
        run([&](auto done) {
            socket_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), done);
        });
    }

    response send(http::request<http::string_body> req) {
        req.version(11);
        if (req[http::field::host].empty())
            req.set(http::field::host, "127.0.0.1");
        req.prepare_payload();
        run([&](auto done) { http::async_write(socket_, req, done); });
        return read(req.method() == http::verb::head);
    }

    /// Reads one response (for tests that wrote a request themselves); the
    /// response to a HEAD has a Content-Length but no body.
    response read(bool to_head = false) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(to_head);
        run([&](auto done) { http::async_read(socket_, buffer_, parser, done); });
        return parser.release();
    }

    /// Writes raw bytes (for tests that send a request in pieces).
    void write(std::string_view bytes) {
        run([&](auto done) { asio::async_write(socket_, asio::buffer(bytes), done); });
    }

    response request(http::verb method, std::string_view target, std::string body = {},
                     std::string_view content_type = "application/json") {
        http::request<http::string_body> req(method, target, 11);
        if (!body.empty() || method == http::verb::post) {
            req.set(http::field::content_type, content_type);
            req.body() = std::move(body);
        }
        return send(std::move(req));
    }

    response get(std::string_view target) { return request(http::verb::get, target); }

    response post(std::string_view target, std::string body) {
        return request(http::verb::post, target, std::move(body));
    }

    response post_json(std::string_view target, json::value const& body) {
        return post(target, json::serialize(body));
    }

    /// Closes the connection, as a client does after `Connection: close`.
    void close() {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

private:
    // Runs one asynchronous operation to its end, or for 10 s at most: then
    // the socket is closed and the test fails with an exception rather than
    // hanging.
    template <class Start>
    void run(Start start) {
        boost::system::error_code result = asio::error::timed_out;
        bool finished = false;
        start([&](boost::system::error_code ec, auto&&...) {
            result = ec;
            finished = true;
        });
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds(10));
        if (!finished) {
            socket_.close();
            ioc_.restart();
            ioc_.run(); // lets the cancelled operation complete
        }
        if (result)
            throw boost::system::system_error(result);
    }

    asio::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

/// The response's body as JSON; throws (failing the test) when it is not.
inline json::value body_json(response const& res) {
    return json::parse(res.body());
}

} // namespace test_client

#endif
