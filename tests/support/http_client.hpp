#ifndef APIKIT_TESTS_SUPPORT_HTTP_CLIENT_HPP
#define APIKIT_TESTS_SUPPORT_HTTP_CLIENT_HPP

// The one blocking HTTP client of the tests: one keep-alive connection to a
// loopback port, that sends Beast requests or raw bytes (for hostile input
// and pipelining) and reads Beast responses. Every call blocks, but runs its
// I/O asynchronously on the client's own io_context under a 10 s deadline:
// a server that never answers fails the test (the socket is closed and the
// call throws) rather than hanging it. A client is used from one thread at a
// time; tests that need concurrency make one client per thread.

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
#include <utility>

namespace apikit_test {

namespace beast_http = boost::beast::http;
using http_response = beast_http::response<beast_http::string_body>;
using http_request = beast_http::request<beast_http::string_body>;

class http_client {
    using tcp = boost::asio::ip::tcp;

public:
    /// Connects to 127.0.0.1:`port`.
    explicit http_client(std::uint16_t port) : socket_(ioc_) {
        run_or_throw([&](auto done) {
            socket_.async_connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
                                  done);
        });
    }

    http_client(http_client const&) = delete;
    http_client& operator=(http_client const&) = delete;

    /// Sends bytes as they are: a request in pieces, several pipelined, or
    /// one no conforming client would send.
    void send_raw(std::string_view bytes) {
        run_or_throw([&](auto done) {
            boost::asio::async_write(socket_, boost::asio::buffer(bytes), done);
        });
    }

    /// Sends `Authorization: <value>` with every request that has none of
    /// its own (`Bearer <token>`, as a signed-in client does); empty: none.
    void authorization(std::string value) { authorization_ = std::move(value); }

    /// Sends `req`, with Host, Authorization (if set) and framing filled in;
    /// the response is for read().
    void send(http_request req) {
        if (req[beast_http::field::host].empty())
            req.set(beast_http::field::host, "127.0.0.1");
        if (!authorization_.empty() && req[beast_http::field::authorization].empty())
            req.set(beast_http::field::authorization, authorization_);
        req.prepare_payload();
        run_or_throw([&](auto done) { beast_http::async_write(socket_, req, done); });
    }

    /// Reads one response.
    http_response read() { return read_response(false); }

    /// Reads one response to a HEAD request: a header with a Content-Length
    /// and no body.
    http_response read_head() { return read_response(true); }

    /// Sends `req` and reads its response.
    http_response request(http_request req) {
        bool const head = req.method() == beast_http::verb::head;
        send(std::move(req));
        return read_response(head);
    }

    /// Sends a request with `body` (a POST always has a Content-Type, even
    /// with an empty body) and reads its response.
    http_response request(beast_http::verb method, std::string_view target, std::string body = {},
                          std::string_view content_type = "application/json") {
        http_request req(method, target, 11);
        if (!body.empty() || method == beast_http::verb::post) {
            req.set(beast_http::field::content_type, content_type);
            req.body() = std::move(body);
        }
        return request(std::move(req));
    }

    http_response get(std::string_view target) { return request(beast_http::verb::get, target); }

    http_response post(std::string_view target, std::string body) {
        return request(beast_http::verb::post, target, std::move(body));
    }

    http_response post_json(std::string_view target, boost::json::value const& body) {
        return post(target, boost::json::serialize(body));
    }

    /// True when the server has closed the connection: a read finds the end
    /// of the stream (or a reset) with no byte before it. The client then
    /// closes its end, as a client does, which ends the server's lingering.
    bool closed_by_server() {
        if (buffer_.size() != 0)
            return false;
        auto const into = buffer_.prepare(1);
        std::size_t got = 0;
        auto const ec = run([&](auto done) {
            socket_.async_read_some(
                into, [&got, done](boost::system::error_code e, std::size_t n) mutable {
                    got = n;
                    done(e);
                });
        });
        buffer_.commit(got); // a byte that came is kept for the next read
        bool const closed = got == 0 && (ec == boost::asio::error::eof ||
                                         ec == boost::asio::error::connection_reset);
        if (closed)
            close();
        return closed;
    }

    /// Closes the connection, as a client does after `Connection: close`.
    void close() {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    /// The socket, for tests that read raw bytes themselves.
    boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }

private:
    std::string authorization_;

    http_response read_response(bool to_head) {
        beast_http::response_parser<beast_http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(to_head);
        run_or_throw([&](auto done) { beast_http::async_read(socket_, buffer_, parser, done); });
        return parser.release();
    }

    // Runs one asynchronous operation to its end, or for 10 s at most: then
    // the socket is closed, which completes the operation with an error.
    // Returns its error, asio::error::timed_out after the deadline.
    template <class Start>
    boost::system::error_code run(Start start) {
        boost::system::error_code result = boost::asio::error::timed_out;
        bool finished = false;
        start([&](boost::system::error_code ec, auto&&...) {
            result = ec;
            finished = true;
        });
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds(10));
        if (!finished) {
            boost::system::error_code ignored;
            socket_.close(ignored);
            ioc_.restart();
            ioc_.run(); // lets the cancelled operation complete
            result = boost::asio::error::timed_out;
        }
        return result;
    }

    template <class Start>
    void run_or_throw(Start start) {
        if (auto const ec = run(std::move(start)))
            throw boost::system::system_error(ec);
    }

    boost::asio::io_context ioc_;
    tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

/// The response's body as JSON; throws (failing the test) when it is not.
inline boost::json::value body_json(http_response const& res) {
    return boost::json::parse(res.body());
}

} // namespace apikit_test

#endif
