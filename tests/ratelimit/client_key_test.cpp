#include <apikit/ratelimit/client_key.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace apikit::ratelimit;

namespace {

trusted_proxies proxies() {
    return trusted_proxies::parse({"10.0.0.0/8", "127.0.0.1", "fd00::/8"}).value();
}

std::string ip(std::string_view peer, std::string_view xff) {
    return client_ip(peer, xff, proxies()).value();
}

} // namespace

TEST_CASE("client_ip: a direct client is its peer address, whatever it claims") {
    CHECK(ip("203.0.113.7", "") == "203.0.113.7");
    CHECK(ip("203.0.113.7", "198.51.100.1") == "203.0.113.7");
    CHECK(client_ip("203.0.113.7", "198.51.100.1", trusted_proxies{}).value() == "203.0.113.7");
    CHECK(client_ip("127.0.0.1", "198.51.100.1", trusted_proxies{}).value() == "127.0.0.1");
}

TEST_CASE("client_ip: behind trusted proxies, the first untrusted hop from the right") {
    CHECK(ip("10.0.0.2", "198.51.100.1") == "198.51.100.1");
    CHECK(ip("10.0.0.2", "198.51.100.1, 10.1.2.3") == "198.51.100.1");
    CHECK(ip("10.0.0.2", "198.51.100.1,10.1.2.3,127.0.0.1") == "198.51.100.1");
    // What the client wrote itself, left of its own address, is ignored.
    CHECK(ip("10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.1") == "198.51.100.1");
    CHECK(ip("10.0.0.2", "10.9.9.9, 198.51.100.1, 10.1.2.3") == "198.51.100.1");
    // Optional white space, ports and brackets.
    CHECK(ip("10.0.0.2", "  198.51.100.1:4711 \t") == "198.51.100.1");
    CHECK(ip("10.0.0.2", "[2001:db8:1:2::77]:443") == "2001:db8:1:2::/64");
    CHECK(ip("[fd00::1]:8080", "203.0.113.9") == "203.0.113.9");
}

TEST_CASE("client_ip: all hops trusted is the leftmost, no header is the proxy itself") {
    CHECK(ip("10.0.0.2", "10.5.5.5, 10.1.2.3") == "10.5.5.5");
    CHECK(ip("10.0.0.2", "") == "10.0.0.2");
    CHECK(ip("10.0.0.2", " , ") == "10.0.0.2");
}

TEST_CASE("client_ip: a malformed hop stops at the trusted proxy that relayed it") {
    CHECK(ip("10.0.0.2", "198.51.100.1, garbage") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "198.51.100.1, unknown, 10.1.2.3") == "10.1.2.3");
    CHECK(ip("10.0.0.2", "198.51.100.01") == "10.0.0.2"); // leading zero: not RFC 3986
    CHECK(ip("10.0.0.2", "198.51.100.1:99999") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "198.51.100.1:") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "[2001:db8::1") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "[2001:db8::1]x") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "fe80::1%eth0") == "10.0.0.2");
    CHECK(ip("10.0.0.2", "_hidden") == "10.0.0.2");
}

TEST_CASE("client_ip: IPv6 is keyed by its /64, IPv4-mapped as IPv4") {
    CHECK(ip("2001:db8:aaaa:bbbb:1:2:3:4", "") == "2001:db8:aaaa:bbbb::/64");
    CHECK(ip("2001:db8:aaaa:bbbb:ffff::9", "") == "2001:db8:aaaa:bbbb::/64");
    CHECK(ip("::ffff:203.0.113.7", "") == "203.0.113.7");
    CHECK(client_ip("2001:db8::1", "", proxies(), {.ipv6_prefix = 128}).value() == "2001:db8::1");
    CHECK(client_ip("2001:db8::1", "", proxies(), {.ipv6_prefix = 48}).value() == "2001:db8::/48");
}

TEST_CASE("client_ip: a peer that is not an address is an error") {
    CHECK(client_ip("", "", proxies()).error() == apikit::errc::malformed_request);
    CHECK(client_ip("localhost", "", proxies()).error() == apikit::errc::malformed_request);
    CHECK(client_ip("1.2.3", "", proxies()).error() == apikit::errc::malformed_request);
}

TEST_CASE("trusted_proxies: networks are parsed strictly") {
    auto const t = proxies();
    CHECK(t.contains(parse_ip("10.255.0.1").value()));
    CHECK_FALSE(t.contains(parse_ip("11.0.0.1").value()));
    CHECK(t.contains(parse_ip("127.0.0.1").value()));
    CHECK_FALSE(t.contains(parse_ip("127.0.0.2").value()));
    CHECK(t.contains(parse_ip("fd12::1").value()));
    CHECK(t.contains(parse_ip("::ffff:10.0.0.1").value())); // mapped IPv4 is IPv4
    CHECK(trusted_proxies::parse({"0.0.0.0/0"}).value().contains(parse_ip("8.8.8.8").value()));
    CHECK(trusted_proxies::parse({"::/0"}).value().contains(parse_ip("2001:db8::1").value()));
    for (auto bad : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129",
                     "nonsense", "", "10.0.0.0/8/8", "fd00::1/8"}) {
        CAPTURE(bad);
        CHECK(trusted_proxies::parse({std::string_view(bad)}).error() ==
              apikit::errc::validation_error);
    }
}

TEST_CASE("rate_limit_key: a user id when authenticated, else the address") {
    CHECK(rate_limit_key("user_123", "203.0.113.7") == "user:user_123");
    CHECK(rate_limit_key("", "203.0.113.7") == "ip:203.0.113.7");
    CHECK(rate_limit_key("", "2001:db8::/64") == "ip:2001:db8::/64");
}
