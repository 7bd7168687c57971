#ifndef APIKIT_TESTS_HTTP_SUPPORT_HPP
#define APIKIT_TESTS_HTTP_SUPPORT_HPP

// What the HTTP tests share: a server on an ephemeral loopback port, a
// blocking client that speaks raw bytes (for hostile input) or Beast
// messages, and an exchange outside any server (for unit tests of
// middleware). Client reads give up after 10 s (SO_RCVTIMEO), so a server
// that never answers fails a test instead of hanging it.

#include <apikit/http.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace http_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
namespace http = apikit::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

/// Options for a test server: an ephemeral loopback port, no signal
/// handling (the test process owns its signals), short timeouts.
inline http::server_options test_options() {
    http::server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.threads = 2;
    o.handle_signals = false;
    o.header_timeout = 2s;
    o.body_timeout = 2s;
    o.idle_timeout = 5s;
    o.write_timeout = 2s;
    o.shutdown_grace = 5s;
    return o;
}

/// A server started on construction, stopped and joined on destruction.
template <class Handler>
class running_server {
public:
    running_server(http::server_options o, Handler h) : server_(std::move(o), std::move(h)) {
        auto const r = server_.start();
        REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
    }
    std::uint16_t port() const { return server_.port(); }
    http::server<Handler>& get() { return server_; }

private:
    http::server<Handler> server_;
};

template <class Handler>
running_server(http::server_options, Handler) -> running_server<Handler>;

using response = bhttp::response<bhttp::string_body>;

/// One blocking connection to the server.
class client {
public:
    explicit client(std::uint16_t port) : socket_(ioc_) {
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        timeval tv{10, 0};
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }

    /// Sends bytes as they are.
    void send_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

    /// Sends a Beast request, with Host and framing filled in.
    void send(bhttp::request<bhttp::string_body> req) {
        if (req[bhttp::field::host].empty())
            req.set(bhttp::field::host, "127.0.0.1");
        req.prepare_payload();
        bhttp::write(socket_, req);
    }

    /// Reads one response.
    response read() {
        bhttp::response_parser<bhttp::string_body> p;
        p.body_limit(64 * 1024 * 1024);
        bhttp::read(socket_, buffer_, p);
        return p.release();
    }

    /// Reads one response to a HEAD request (a header and no body).
    response read_head() {
        bhttp::response_parser<bhttp::string_body> p;
        p.skip(true);
        bhttp::read(socket_, buffer_, p);
        return p.release();
    }

    response request(bhttp::verb method, std::string_view target, std::string body = {},
                     std::string_view content_type = "application/json") {
        bhttp::request<bhttp::string_body> req(method, target, 11);
        if (!body.empty()) {
            req.set(bhttp::field::content_type, content_type);
            req.body() = std::move(body);
        }
        send(std::move(req));
        return read();
    }

    response get(std::string_view target) { return request(bhttp::verb::get, target); }

    /// True when the server has closed the connection: a read finds the end
    /// of the stream (or a reset) with no byte before it. The client then
    /// closes its end, as a client does, which ends the server's lingering.
    bool closed_by_server() {
        if (buffer_.size() != 0)
            return false;
        char c;
        boost::system::error_code ec;
        auto const n = socket_.read_some(asio::buffer(&c, 1), ec);
        bool const closed =
            n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
        if (closed)
            socket_.close(ec);
        return closed;
    }

    tcp::socket& socket() noexcept { return socket_; }

private:
    asio::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

inline json::value parse_json(std::string_view s) {
    boost::system::error_code ec;
    auto v = json::parse(s, ec);
    REQUIRE_MESSAGE(!ec, "not JSON: " << s);
    return v;
}

/// The envelope's error object, checked for the shape every envelope has.
inline json::object error_of(response const& res) {
    CHECK(res[bhttp::field::content_type] == "application/json");
    auto const v = parse_json(res.body());
    REQUIRE(v.is_object());
    auto const* e = v.as_object().if_contains("error");
    REQUIRE(e);
    REQUIRE(e->is_object());
    auto const& o = e->as_object();
    CHECK(o.at("code").is_string());
    CHECK(o.at("message").is_string());
    CHECK(o.contains("request_id"));
    return o;
}

/// An exchange outside any server, for unit tests of middleware and
/// handlers: it owns the parsed message and counts resumptions. `Exchange`
/// is the exchange type of the chain under test (one with slots, for a
/// chain whose middleware provide some).
template <class Exchange = http::exchange>
class basic_exchange_harness final : public http::detail::exchange_owner {
public:
    basic_exchange_harness() : ex_(ioc_.get_executor(), *this) {}

    /// Parses `raw` (a whole request) and binds the exchange to it; a
    /// target that is no URI reference is bound partially, unless `strict`.
    void load(std::string_view raw, bool strict = true, tcp::endpoint remote = {}) {
        ex_.request().clear();
        parser_.emplace(std::piecewise_construct, std::make_tuple(),
                        std::make_tuple(http::detail::arena_allocator<char>(arena_)));
        boost::system::error_code ec;
        parser_->eager(true);
        parser_->put(asio::buffer(raw.data(), raw.size()), ec);
        REQUIRE_MESSAGE(!ec, ec.message());
        REQUIRE(parser_->is_done());
        ex_.reset(std::chrono::steady_clock::now(), remote);
        bool const bound = ex_.request().bind(parser_->get());
        REQUIRE((bound || !strict));
    }

    Exchange& ex() { return ex_; }
    http::request& req() { return ex_.request(); }
    http::response& res() { return ex_.response(); }
    asio::io_context& ioc() { return ioc_; }
    int resumed() const { return resumed_; }

    std::shared_ptr<void> keep_alive() override { return keep_; }
    void exchange_resumed() override { ++resumed_; }

private:
    asio::io_context ioc_;
    http::detail::header_arena arena_{4096};
    std::optional<http::request_parser> parser_;
    Exchange ex_;
    std::shared_ptr<int> keep_ = std::make_shared<int>(0);
    int resumed_ = 0;
};

using exchange_harness = basic_exchange_harness<>;

} // namespace http_test

#endif
