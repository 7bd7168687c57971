#ifndef APIKIT_RATELIMIT_CLIENT_KEY_HPP
#define APIKIT_RATELIMIT_CLIENT_KEY_HPP

// Whom a request is limited as: its user id when it is authenticated, else its
// client's IP address. The address is the TCP peer's, unless the peer is a
// proxy the server was configured to trust: then X-Forwarded-For is read from
// the right (each proxy appends the address it received the request from),
// skipping trusted proxies, and the first address that is not one is the
// client. Anything left of it was written by the client and is never
// believed; a client that talks to the server directly cannot set its key.
//
// A malformed hop (garbage, "unknown", an obfuscated RFC 7239 name) ends the
// walk at the trusted proxy to its right, whose address becomes the key:
// requests nobody can attribute share one limit rather than escape it.
//
// IPv6 clients are keyed by their /64 by default: one subscriber usually
// holds a whole /64 and could otherwise rotate through 2^64 keys. IPv4-mapped
// IPv6 addresses (::ffff:a.b.c.d) are keyed as the IPv4 address.
//
// Parsing is Boost.URL's (RFC 3986 grammar: no leading zeros in IPv4, no zone
// ids); a hop may carry a port ("203.0.113.7:4711", "[2001:db8::1]:443").

#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::ratelimit {

/// An IP address as 16 bytes; an IPv4 address is held IPv4-mapped.
struct ip_address {
    std::array<unsigned char, 16> bytes{};

    [[nodiscard]] bool is_v4() const noexcept {
        static constexpr std::array<unsigned char, 12> prefix{0, 0, 0, 0, 0,    0,
                                                              0, 0, 0, 0, 0xff, 0xff};
        return std::equal(prefix.begin(), prefix.end(), bytes.begin());
    }

    friend bool operator==(ip_address const&, ip_address const&) = default;
};

namespace detail {

[[nodiscard]] inline bool parse_port(std::string_view s) noexcept {
    if (s.empty() || s.size() > 5)
        return false;
    unsigned port = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    return ec == std::errc{} && end == s.data() + s.size() && port <= 65535;
}

[[nodiscard]] inline bool parse_v6(std::string_view s, ip_address& out) noexcept {
    auto const r = boost::urls::parse_ipv6_address(s);
    if (!r)
        return false;
    out.bytes = r->to_bytes();
    return true;
}

[[nodiscard]] inline bool parse_v4(std::string_view s, ip_address& out) noexcept {
    auto const r = boost::urls::parse_ipv4_address(s);
    if (!r)
        return false;
    out.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    auto const b = r->to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin() + 12);
    return true;
}

inline void mask(ip_address& a, unsigned prefix) noexcept {
    for (unsigned i = 0; i < 16; ++i) {
        unsigned const bits = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
        a.bytes[i] &= static_cast<unsigned char>(0xff00u >> bits);
    }
}

} // namespace detail

/// Parses an address as it appears in a socket peer or a forwarding header:
/// IPv4, IPv6, either with a port (IPv6 then in brackets).
[[nodiscard]] inline result<ip_address> parse_ip(std::string_view s) noexcept {
    ip_address a;
    if (!s.empty() && s.front() == '[') {
        auto const close = s.find(']');
        if (close == std::string_view::npos)
            return errc::malformed_request;
        auto const rest = s.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !detail::parse_port(rest.substr(1))))
            return errc::malformed_request;
        if (!detail::parse_v6(s.substr(1, close - 1), a))
            return errc::malformed_request;
        return a;
    }
    auto const colons = std::count(s.begin(), s.end(), ':');
    if (colons == 1) {
        auto const c = s.find(':');
        if (!detail::parse_port(s.substr(c + 1)) || !detail::parse_v4(s.substr(0, c), a))
            return errc::malformed_request;
        return a;
    }
    if (colons > 1 ? detail::parse_v6(s, a) : detail::parse_v4(s, a))
        return a;
    return errc::malformed_request;
}

/// The proxies whose X-Forwarded-For is believed: addresses and networks.
class trusted_proxies {
public:
    /// None: X-Forwarded-For is never read.
    trusted_proxies() = default;

    /// Parses "10.0.0.0/8", "127.0.0.1", "fd00::/8", "::1". A network with
    /// bits set past its prefix ("10.0.0.1/8") is refused as a likely typo:
    /// `errc::validation_error`, as is anything else that is not an address.
    [[nodiscard]] static result<trusted_proxies> parse(std::span<std::string_view const> entries) {
        trusted_proxies t;
        for (auto e : entries) {
            auto const slash = e.find('/');
            auto const addr = grammar::trim_ows(e.substr(0, slash));
            ip_address a;
            bool const v6 = addr.find(':') != std::string_view::npos;
            if (!(v6 ? detail::parse_v6(addr, a) : detail::parse_v4(addr, a)))
                return errc::validation_error;
            unsigned prefix = 128;
            if (slash != std::string_view::npos) {
                auto const len = e.substr(slash + 1);
                unsigned bits = 0;
                auto const [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
                if (len.empty() || ec != std::errc{} || end != len.data() + len.size() ||
                    bits > (v6 ? 128u : 32u))
                    return errc::validation_error;
                prefix = v6 ? bits : 96 + bits;
            }
            auto masked = a;
            detail::mask(masked, prefix);
            if (masked != a)
                return errc::validation_error;
            t.networks_.push_back({a, prefix});
        }
        return t;
    }

    [[nodiscard]] static result<trusted_proxies>
    parse(std::initializer_list<std::string_view> entries) {
        return parse(std::span<std::string_view const>(entries.begin(), entries.size()));
    }

    [[nodiscard]] bool contains(ip_address const& a) const noexcept {
        for (auto const& n : networks_) {
            auto m = a;
            detail::mask(m, n.prefix);
            if (m == n.base)
                return true;
        }
        return false;
    }

    [[nodiscard]] bool empty() const noexcept { return networks_.empty(); }

private:
    struct network {
        ip_address base;
        unsigned prefix; // over the 128-bit form
    };
    std::vector<network> networks_;
};

struct client_ip_options {
    /// IPv6 clients are keyed by this many leading bits (64: one subscriber).
    unsigned ipv6_prefix = 64;
};

/// The key text of an address: dotted IPv4, or the canonical IPv6 text of the
/// address masked to `ipv6_prefix` bits, with "/prefix" when it is below 128.
[[nodiscard]] inline std::string format_client_ip(ip_address a, client_ip_options const& o = {}) {
    if (a.is_v4()) {
        std::array<unsigned char, 4> b;
        std::copy(a.bytes.begin() + 12, a.bytes.end(), b.begin());
        return boost::urls::ipv4_address(b).to_string();
    }
    auto const prefix = std::min(o.ipv6_prefix, 128u);
    detail::mask(a, prefix);
    auto s = boost::urls::ipv6_address(a.bytes).to_string();
    if (prefix < 128) {
        s += '/';
        s += std::to_string(prefix);
    }
    return s;
}

/// The client address of a request that came from `peer` (the socket's
/// remote address) carrying `x_forwarded_for` (all its X-Forwarded-For
/// fields joined by commas, or empty). `errc::malformed_request` only if
/// `peer` is not an address.
[[nodiscard]] inline result<std::string> client_ip(std::string_view peer,
                                                   std::string_view x_forwarded_for,
                                                   trusted_proxies const& trusted,
                                                   client_ip_options const& o = {});

/// The same from a peer address already parsed, as a server holds it.
[[nodiscard]] inline std::string client_ip(ip_address peer, std::string_view x_forwarded_for,
                                           trusted_proxies const& trusted,
                                           client_ip_options const& o = {}) {
    ip_address client = peer;
    if (!trusted.contains(client))
        return format_client_ip(client, o);
    auto rest = x_forwarded_for;
    while (!rest.empty()) {
        auto const comma = rest.rfind(',');
        auto const hop =
            grammar::trim_ows(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        if (hop.empty())
            continue; // "a, , b": an empty list member carries nothing
        auto const a = parse_ip(hop);
        if (!a)
            break; // unattributable: keyed as the trusted hop that relayed it
        client = *a;
        if (!trusted.contains(client))
            break;
    }
    return format_client_ip(client, o);
}

inline result<std::string> client_ip(std::string_view peer, std::string_view x_forwarded_for,
                                     trusted_proxies const& trusted, client_ip_options const& o) {
    auto const p = parse_ip(grammar::trim_ows(peer));
    if (!p)
        return p.error();
    return client_ip(*p, x_forwarded_for, trusted, o);
}

/// The limiter key of a request: "user:<id>" when it is authenticated, else
/// "ip:<address>". The prefixes keep a user named "10.0.0.1" apart from that
/// address.
[[nodiscard]] inline std::string rate_limit_key(std::string_view user_id,
                                                std::string_view client_address) {
    std::string k;
    if (!user_id.empty()) {
        k.reserve(5 + user_id.size());
        k.append("user:").append(user_id);
    } else {
        k.reserve(3 + client_address.size());
        k.append("ip:").append(client_address);
    }
    return k;
}

} // namespace apikit::ratelimit

#endif
