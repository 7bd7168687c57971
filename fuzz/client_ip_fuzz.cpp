// The client key of a request is built from outside input: the socket peer's
// address, X-Forwarded-For (written by clients and proxies) and, at start-up,
// the trusted-proxy flags. Whatever the bytes: no crash, and every key names
// an address that parses again.
#include "fuzz.hpp"

#include <apikit/ratelimit/client_key.hpp>

#include <string>
#include <string_view>

namespace rl = apikit::ratelimit;

namespace {

// A key's address, "203.0.113.7" or "2001:db8::/64", must parse again.
void check_key_address(std::string_view text) {
    auto const slash = text.find('/');
    apikit_fuzz::require(rl::parse_ip(text.substr(0, slash)).has_value(),
                         "a client key's address parses again");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const in = apikit_fuzz::as_text(data, size);
    static auto const proxies = rl::trusted_proxies::parse({"10.0.0.0/8", "fd00::/8", "127.0.0.1"});
    apikit_fuzz::require(proxies.has_value(), "the fixed proxy list parses");

    // As a peer address.
    if (auto const a = rl::parse_ip(in)) {
        auto const text = rl::format_client_ip(*a);
        check_key_address(text);
        // A trusted peer's own key is itself when nothing is forwarded.
        check_key_address(rl::client_ip(*a, "", *proxies));
    }
    // As X-Forwarded-For behind a trusted proxy: a key is always found.
    auto const key = rl::client_ip("10.1.2.3", in, *proxies);
    apikit_fuzz::require(key.has_value(), "a trusted peer with any X-Forwarded-For has a key");
    check_key_address(*key);
    // As a trusted-proxy entry: accepted or refused, never more.
    std::string_view const entry[] = {in};
    if (auto const t = rl::trusted_proxies::parse(entry); t && !t->empty())
        apikit_fuzz::require(rl::client_ip("198.51.100.1", "", *t).has_value(),
                             "a parsed proxy list keys a peer");
    // The limiter key keeps the two kinds apart.
    auto const k = rl::rate_limit_key(in, "203.0.113.7");
    apikit_fuzz::require(in.empty() ? k == "ip:203.0.113.7" : k.starts_with("user:"),
                         "rate_limit_key prefixes users and addresses");
    return 0;
}
