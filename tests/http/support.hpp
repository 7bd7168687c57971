#ifndef APIKIT_TESTS_HTTP_SUPPORT_HPP
#define APIKIT_TESTS_HTTP_SUPPORT_HPP

// What the HTTP tests share: a server on an ephemeral loopback port, the
// tests' blocking client (support/http_client.hpp: raw bytes for hostile
// input, or Beast messages; a server that never answers fails a test
// instead of hanging it), and an exchange outside any server (for unit
// tests of middleware).

#include "support/http_client.hpp"

#include <apikit/api/error_format.hpp>
#include <apikit/http.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
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

using response = apikit_test::http_response;
using client = apikit_test::http_client;

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
    // What a server of the default format would send: apikit's envelope.
    [[nodiscard]] std::size_t error_body_size(http::exchange const& ex) override {
        auto e = *ex.response().error();
        e.request_id.assign(ex.request().request_id());
        return apikit::api::render(e).size();
    }

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
