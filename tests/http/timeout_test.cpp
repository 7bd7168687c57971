// Timeouts, over real connections with short configured timeouts. The tests
// wait on real I/O (a read that the server's timeout ends); none sleeps.

#include "support.hpp"
#include "test_app.hpp"

#include <boost/asio/steady_timer.hpp>

#include <string>

using namespace http_test;

namespace {

auto make_timeout_server(app_probe& probe, http::server_options o) {
    return running_server(o, http::chain{http::request_id{}, make_test_app(probe)});
}

using clock_type = std::chrono::steady_clock;

} // namespace

TEST_CASE("slowloris: a header trickled byte by byte is cut off, others are served meanwhile") {
    app_probe probe;
    auto o = test_options();
    o.header_timeout = 400ms;
    auto server = make_timeout_server(probe, o);

    // The attacker: one header byte every 20 ms, from a timer, for as long as
    // the server takes them; the whole header would need about 10 s.
    asio::io_context ioc;
    tcp::socket attacker(ioc);
    attacker.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    std::string const header =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(400, 'a') + "\r\n\r\n";
    std::size_t sent = 0;
    asio::steady_timer tick(ioc);
    std::function<void()> trickle = [&] {
        tick.expires_after(20ms);
        tick.async_wait([&](boost::system::error_code ec) {
            if (ec || sent == header.size())
                return;
            boost::system::error_code wec;
            asio::write(attacker, asio::buffer(header.data() + sent, 1), wec);
            if (wec)
                return;
            ++sent;
            trickle();
        });
    };
    std::string answer;
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bool answered = false;
    bhttp::async_read(attacker, buf, res, [&](boost::system::error_code ec, std::size_t) {
        answered = !ec;
        tick.cancel();
    });
    auto const start = clock_type::now();
    trickle();

    // Meanwhile a well-behaved client gets its answers, from another thread.
    std::thread good([&] {
        client c(server.port());
        for (int i = 0; i < 20; ++i)
            CHECK(c.get("/healthz").result_int() == 200);
    });
    ioc.run();
    good.join();
    auto const took = clock_type::now() - start;

    REQUIRE(answered);
    CHECK(res.result_int() == 408);
    CHECK(parse_json(res.body()).at("error").at("code") == "request_timeout");
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(sent < header.size());
    CHECK(took >= 400ms);
    CHECK(took < 3s); // the header timeout plus a sweep, not the 10 s the header needed
    CHECK(probe.handled == 20);
}

TEST_CASE("a body that does not arrive in time is a 408") {
    app_probe probe;
    auto o = test_options();
    o.body_timeout = 300ms;
    auto server = make_timeout_server(probe, o);
    client c(server.port());
    auto const start = clock_type::now();
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    auto const res = c.read();
    CHECK(res.result_int() == 408);
    CHECK(clock_type::now() - start >= 300ms);
    CHECK(c.closed_by_server());
}

TEST_CASE("a connection that never sends a byte is closed after the header timeout") {
    app_probe probe;
    auto o = test_options();
    o.header_timeout = 300ms;
    o.idle_timeout = 30s;
    auto server = make_timeout_server(probe, o);
    client c(server.port());
    auto const start = clock_type::now();
    CHECK(c.closed_by_server()); // no 408: there was no request to answer
    auto const took = clock_type::now() - start;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
    app_probe probe;
    auto o = test_options();
    o.idle_timeout = 300ms;
    auto server = make_timeout_server(probe, o);
    client c(server.port());
    CHECK(c.get("/healthz").result_int() == 200);
    auto const start = clock_type::now();
    CHECK(c.closed_by_server());
    auto const took = clock_type::now() - start;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
}

TEST_CASE("a connection idle long enough to give back its buffers serves on") {
    app_probe probe;
    auto o = test_options();
    o.header_timeout = 300ms; // sweeps every 75 ms, trims after one
    o.idle_timeout = 30s;
    auto server = make_timeout_server(probe, o);
    client idle(server.port());
    CHECK(idle.request(bhttp::verb::post, "/size", std::string(100000, 'a'), "text/plain").body() ==
          "100000");
    // Wait, on real I/O, for a stalled request to time out: meanwhile the
    // idle connection's buffers are trimmed.
    client stalled(server.port());
    stalled.send_raw("GET /healthz HTTP/1.1\r\n");
    CHECK(stalled.read().result_int() == 408);
    CHECK(idle.get("/echo?n=still-here").body() == "still-here");
    CHECK(idle.request(bhttp::verb::post, "/size", std::string(5000, 'b'), "text/plain").body() ==
          "5000");
}

TEST_CASE("a connection that waits before its first request gives back its buffers and serves") {
    app_probe probe;
    auto o = test_options();
    o.header_timeout = 2s;
    o.body_timeout = 300ms; // sweeps every 75 ms
    auto server = make_timeout_server(probe, o);
    client early(server.port()); // connects, says nothing yet
    // Wait, on real I/O, for a stalled body to time out: meanwhile the
    // silent connection is trimmed and parked.
    client stalled(server.port());
    stalled.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
    CHECK(stalled.read().result_int() == 408);
    CHECK(early.get("/echo?n=late").body() == "late");
    CHECK(early.get("/echo?n=again").body() == "again");
}

TEST_CASE("a client that stops reading is cut off after the write timeout") {
    app_probe probe;
    auto o = test_options();
    o.write_timeout = 300ms;
    o.header_timeout = 1s;
    auto server = make_timeout_server(probe, o);
    // 64 MiB: more than loopback's socket buffers hold (4 MiB to send, 32
    // MiB to receive, at most), so the server's write stalls.
    client c(server.port());
    c.send_raw("GET /big?mib=64 HTTP/1.1\r\nHost: x\r\n\r\n");
    // Wait, on real I/O, well past the write timeout: a stalled request's
    // 408 comes after the 1 s header timeout.
    client stalled(server.port());
    stalled.send_raw("GET /healthz HTTP/1.1\r\n");
    CHECK(stalled.read().result_int() == 408);
    // Now read: what the kernel had buffered, then the end of the stream,
    // far short of the 64 MiB the handler made.
    std::size_t total = 0;
    std::vector<char> chunk(1 << 20);
    boost::system::error_code ec;
    while (!ec)
        total += c.socket().read_some(asio::buffer(chunk), ec);
    CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
    CHECK(total > 0);
    CHECK(total < 64u * 1024 * 1024);
}
