// apikit-bench-plain-beast: the reference of the server benchmark.
//
// A plain Boost.Beast keep-alive server written the way Beast's own
// example/http/server/async is: per request one http::async_read into a fresh
// request and one http::async_write of a freshly built response, a 30 s read
// timeout, one thread, nothing tuned. Every figure of bench/run is a ratio to
// this server, so it must stay exactly that: the cost of "just use Beast".
//
//   apikit-bench-plain-beast --port <port> --route <target> <file> [--route ...]
//
// Each <file> holds one raw HTTP response (status line, headers, body)
// captured from the sample server. At start-up it is parsed into a
// beast::http::response and serialized again; the server refuses to start
// unless that gives back the file byte for byte, so it answers each route with
// the very same bytes as the sample server. It listens on 127.0.0.1 only and
// runs until killed.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using response = http::response<http::string_body>;

struct route {
    std::string target;
    response canned;
};

[[noreturn]] void usage() {
    std::fputs("usage: apikit-bench-plain-beast --port <port> --route <target> <file> "
               "[--route <target> <file>]...\n",
               stderr);
    std::exit(2);
}

[[noreturn]] void fail_start(std::string const& what) {
    std::fprintf(stderr, "apikit-bench-plain-beast: %s\n", what.c_str());
    std::exit(1);
}

void fail(beast::error_code ec, char const* what) {
    std::fprintf(stderr, "apikit-bench-plain-beast: %s: %s\n", what, ec.message().c_str());
}

std::string read_file(char const* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open())
        fail_start(std::string("cannot open ") + path);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        fail_start(std::string("cannot read ") + path);
    return bytes;
}

std::string serialize(response const& res) {
    std::ostringstream out;
    out << res;
    return std::move(out).str();
}

// Rebuilds the captured response as a Beast message: status, reason, every
// header field as spelled and in order, and the body.
response load_response(char const* path) {
    std::string const raw = read_file(path);
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.header_limit(std::uint32_t(raw.size()) + 1);
    parser.body_limit(raw.size() + 1);
    beast::error_code ec;
    std::size_t const used = parser.put(net::buffer(raw), ec);
    if (!ec && !parser.is_done())
        parser.put_eof(ec);
    if (ec)
        fail_start(std::string(path) + ": not a complete HTTP response: " + ec.message());
    if (used != raw.size())
        fail_start(std::string(path) + ": bytes after the end of the response");
    response res = parser.release();
    // The self-check: what this server will write must be the capture itself.
    if (serialize(res) != raw)
        fail_start(std::string(path) + ": Beast does not serialize it back to the same bytes");
    return res;
}

// As the example's handle_request: a response built anew for every request.
response handle_request(std::vector<route> const& routes, http::request<http::string_body>&& req) {
    if (req.method() == http::verb::get) {
        for (route const& r : routes)
            if (req.target() == r.target)
                return r.canned;
    }
    response res{http::status::not_found, req.version()};
    res.set(http::field::server, BOOST_BEAST_VERSION_STRING);
    res.set(http::field::content_type, "text/html");
    res.keep_alive(req.keep_alive());
    res.body() = "The resource '" + std::string(req.target()) + "' was not found.";
    res.prepare_payload();
    return res;
}

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket&& socket, std::shared_ptr<std::vector<route> const> routes)
        : stream_(std::move(socket))
        , routes_(std::move(routes)) {}

    void run() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&session::do_read, shared_from_this()));
    }

private:
    // [per_request]
    void do_read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, req_,
                         beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream)
            return do_close();
        if (ec)
            return fail(ec, "read");
        bool const keep_alive = req_.keep_alive();
        res_ = std::make_shared<response>(handle_request(*routes_, std::move(req_)));
        http::async_write(
            stream_, *res_,
            beast::bind_front_handler(&session::on_write, shared_from_this(), keep_alive));
    }

    void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
        if (ec)
            return fail(ec, "write");
        res_.reset();
        if (!keep_alive)
            return do_close();
        do_read();
    }
    // [per_request]

    void do_close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::shared_ptr<std::vector<route> const> routes_;
    http::request<http::string_body> req_;
    std::shared_ptr<response> res_;
};

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(net::io_context& ioc, tcp::endpoint endpoint,
             std::shared_ptr<std::vector<route> const> routes)
        : ioc_(ioc)
        , acceptor_(net::make_strand(ioc))
        , routes_(std::move(routes)) {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(net::socket_base::max_listen_connections);
    }

    void run() { do_accept(); }

private:
    void do_accept() {
        acceptor_.async_accept(net::make_strand(ioc_),
                               beast::bind_front_handler(&listener::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec)
            fail(ec, "accept");
        else
            std::make_shared<session>(std::move(socket), routes_)->run();
        do_accept();
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    std::shared_ptr<std::vector<route> const> routes_;
};

} // namespace

int main(int argc, char** argv) {
    long port = -1;
    auto routes = std::make_shared<std::vector<route>>();
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            char* end = nullptr;
            port = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || port < 1 || port > 65535)
                usage();
        } else if (arg == "--route" && i + 2 < argc) {
            std::string target = argv[++i];
            if (target.empty() || target.front() != '/')
                usage();
            routes->push_back({std::move(target), load_response(argv[++i])});
        } else {
            usage();
        }
    }
    if (port < 0 || routes->empty())
        usage();

    try {
        net::io_context ioc{1};
        std::make_shared<listener>(
            ioc, tcp::endpoint{net::ip::address_v4::loopback(), static_cast<unsigned short>(port)},
            std::move(routes))
            ->run();
        ioc.run();
    } catch (std::exception const& e) {
        fail_start(e.what());
    }
}
