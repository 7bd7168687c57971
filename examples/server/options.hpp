#ifndef APIKIT_SERVER_OPTIONS_HPP
#define APIKIT_SERVER_OPTIONS_HPP

// The sample server's command line. Parsing is a pure function from the
// arguments to options or a message, so it is tested without starting a
// process; main() prints the message and exits 2.

#include <apikit/core/base64url.hpp>
#include <apikit/obs/level.hpp>
#include <apikit/ratelimit/client_key.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/system/result.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sample {

/// The token bucket that limits each client on the /users routes.
struct rate_limit_spec {
    std::uint64_t capacity = 100;
    std::uint64_t refill_per_second = 10;

    friend bool operator==(rate_limit_spec const&, rate_limit_spec const&) = default;
};

/// The most --rate-limit accepts for either number: beyond it a limit is
/// no limit, and a typo is likelier than intent.
inline constexpr std::uint64_t max_rate_limit_number = 1'000'000'000;

struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080; ///< 0 asks the kernel for a free port
    unsigned threads = 1;
    /// The key cursors are signed with. Empty: a random key per process, so
    /// a cursor is good only on the instance that issued it. Instances behind
    /// one load balancer share a key with --cursor-key.
    std::string cursor_key;
    /// Every /users route is limited per client; std::nullopt: not at all.
    std::optional<rate_limit_spec> rate_limit = rate_limit_spec{};
    /// Where the limiters keep their buckets and the refresh tokens their
    /// families: empty for this process's memory, else a redis:// URL (one
    /// Redis, or any node of a Redis Cluster) shared by every instance, which
    /// then enforce one combined limit and rotate each other's refresh tokens.
    std::string redis_url;
    /// Proxies whose X-Forwarded-For names the client (addresses or networks).
    std::vector<std::string> trusted_proxies;
    /// A PEM file with the private key access tokens are signed with (RSA:
    /// RS256, P-256: ES256, Ed25519: EdDSA). Empty: an RS256 key generated at
    /// start, so tokens die with the process. Instances behind one load
    /// balancer share a key file, and then accept each other's tokens.
    std::string jwt_key_file;
    /// The user with this email (ignoring case) gets the `admin` scope at login.
    std::string admin_email;
    /// The least grave level logged, the access log's lines included.
    apikit::obs::level log_level = apikit::obs::level::info;
    /// false (`--observability off`): no trace context, no RED metrics and
    /// no log line of any request; the server's own lines and /metrics stay.
    /// For measuring what they cost, not for production.
    bool observability = true;
    bool help = false;
};

/// Why the command line was refused, worded for a person.
struct usage_error {
    std::string message;
};

/// The shortest key --cursor-key accepts: an HMAC-SHA256 key of fewer than
/// 32 bytes is weaker than the MAC.
inline constexpr std::size_t min_cursor_key_bytes = 32;

inline constexpr std::string_view usage_text =
    "usage: apikit-server [--address IP] [--port N] [--threads N] [--cursor-key KEY]\n"
    "                     [--rate-limit CAPACITY:REFILL_PER_SECOND|off] [--redis URL]\n"
    "                     [--trusted-proxy CIDR]... [--jwt-key FILE] [--admin-email EMAIL]\n"
    "                     [--log-level LEVEL] [--observability on|off]\n"
    "\n"
    "  --address IP      address to listen on (default 127.0.0.1)\n"
    "  --port N          port to listen on, 0 for any free port (default 8080)\n"
    "  --threads N       threads serving requests, 1 to 256 (default 1)\n"
    "  --cursor-key KEY  key that signs pagination cursors: at least 32 bytes in\n"
    "                    base64 or base64url (openssl rand -base64 32); give every\n"
    "                    instance the same key so a cursor from one is good on all;\n"
    "                    also read from APIKIT_CURSOR_KEY, which unlike a flag is not\n"
    "                    shown by ps (default: a random key per process)\n"
    "  --rate-limit C:R  limit every /users and /events route per client to a token\n"
    "                    bucket of C tokens refilled R per second (default 100:10);\n"
    "                    'off' removes the limit\n"
    "  --redis URL       keep the limiters' buckets, the refresh tokens and the events in\n"
    "                    Redis (redis://[user:pass@]host[:port][/db]): one Redis, or\n"
    "                    any node of a Redis Cluster (database 0), which finds the\n"
    "                    others; every instance sharing it enforces one combined\n"
    "                    limit, rotates the others' refresh tokens and lists their\n"
    "                    events; while Redis is unreachable (or a cluster's node, for\n"
    "                    the keys it holds) requests are let through unlimited (fail\n"
    "                    open), sign-in, refresh and logout and GET /events answer 503,\n"
    "                    and events are not published (logged and counted) (default:\n"
    "                    in this process's memory)\n"
    "  --trusted-proxy CIDR\n"
    "                    believe X-Forwarded-For from this proxy address or network\n"
    "                    when keying clients; may be repeated (default: none)\n"
    "  --jwt-key FILE    PEM private key that signs access tokens: RSA (RS256), P-256\n"
    "                    (ES256) or Ed25519 (EdDSA); give every instance the same file\n"
    "                    so each accepts the others' tokens (default: an RS256 key made\n"
    "                    at start, its kid logged)\n"
    "  --admin-email EMAIL\n"
    "                    the user with this email gets the 'admin' scope at login\n"
    "  --log-level LEVEL trace, debug, info, warn, error or fatal: the least grave level\n"
    "                    written, access-log lines included (default info)\n"
    "  --observability on|off\n"
    "                    off: no trace context, no RED metrics and no log line of any\n"
    "                    request, to measure what they cost (default on)\n"
    "  --help            print this text and exit\n"
    "\n"
    "Standard output holds JSON log lines only: one with the bound address and\n"
    "port when listening (at info), then one access-log line per request (pipe it\n"
    "to jq). GET /metrics answers in the Prometheus text format.\n"
    "SIGINT or SIGTERM stops it gracefully.\n";

namespace detail {

template <class Int>
std::optional<Int> parse_uint(std::string_view text, Int max) {
    Int v{};
    auto const* end = text.data() + text.size();
    auto const [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc{} || p != end || v > max)
        return std::nullopt;
    return v;
}

} // namespace detail

/// `CAPACITY:REFILL_PER_SECOND` (each 1 to 10^9), or `off`.
inline boost::system::result<std::optional<rate_limit_spec>, usage_error>
parse_rate_limit(std::string_view text) {
    if (text == "off")
        return {boost::system::in_place_value, std::nullopt};
    auto const colon = text.find(':');
    auto const capacity =
        detail::parse_uint<std::uint64_t>(text.substr(0, colon), max_rate_limit_number);
    auto const refill =
        colon == std::string_view::npos
            ? std::nullopt
            : detail::parse_uint<std::uint64_t>(text.substr(colon + 1), max_rate_limit_number);
    if (!capacity || !refill || *capacity == 0 || *refill == 0)
        return usage_error{"--rate-limit: '" + std::string(text) +
                           "' is not CAPACITY:REFILL_PER_SECOND (each 1 to 1000000000) or off"};
    return {boost::system::in_place_value, rate_limit_spec{*capacity, *refill}};
}

/// What to run for a key, said with every refusal of one.
inline constexpr std::string_view cursor_key_hint = "make one with: openssl rand -base64 32";

/// The key in `text`: base64 or base64url, padded or not, of at least 32
/// bytes. `source` names where it came from in the message; the text
/// itself is a secret and is never repeated.
inline boost::system::result<std::string, usage_error> decode_cursor_key(std::string_view text,
                                                                         std::string_view source) {
    namespace b64 = apikit::base64url;
    auto key = b64::decode_either_alphabet(text);
    auto refuse = [&](std::string const& why) {
        return usage_error{std::string(source) + ": " + why + "; " + std::string(cursor_key_hint)};
    };
    if (!key && key.error().what != b64::text_error::problem::length)
        return refuse(key.error().message());
    // A text of a length no base64 has is most often one cut short: say so
    // when it is.
    auto const bytes = key ? key->size() : b64::decoded_size(key.error().position);
    if (bytes < min_cursor_key_bytes)
        return refuse("the key must decode to at least " + std::to_string(min_cursor_key_bytes) +
                      " bytes, got " + std::to_string(bytes));
    if (!key)
        return refuse(key.error().message());
    return {boost::system::in_place_value, std::move(*key)};
}

/// Parses `args` (without the program name). `--name value` and
/// `--name=value` are both accepted; a flag given twice takes the last value.
inline boost::system::result<server_options, usage_error>
parse_options(std::span<char const* const> args) {
    server_options o;
    auto fail = [](std::string m) { return usage_error{std::move(m)}; };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::optional<std::string_view> inline_value;
        if (auto const eq = arg.find('='); arg.starts_with("--") && eq != arg.npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        if (arg == "--help" || arg == "-h") {
            if (inline_value)
                return fail("--help takes no value");
            o.help = true;
            continue;
        }
        if (arg != "--address" && arg != "--port" && arg != "--threads" && arg != "--cursor-key" &&
            arg != "--rate-limit" && arg != "--redis" && arg != "--trusted-proxy" &&
            arg != "--jwt-key" && arg != "--admin-email" && arg != "--log-level" &&
            arg != "--observability")
            return fail("unknown argument '" + std::string(args[i]) + "'");
        if (!inline_value && i + 1 == args.size())
            return fail(std::string(arg) + " needs a value");
        std::string_view const value = inline_value ? *inline_value : args[++i];

        if (arg == "--address") {
            boost::system::error_code ec;
            (void)boost::asio::ip::make_address(std::string(value), ec);
            if (ec)
                return fail("--address: '" + std::string(value) + "' is not an IP address");
            o.address = value;
        } else if (arg == "--port") {
            auto const port = detail::parse_uint<std::uint16_t>(value, 65535);
            if (!port)
                return fail("--port: '" + std::string(value) + "' is not a port (0 to 65535)");
            o.port = *port;
        } else if (arg == "--threads") {
            auto const n = detail::parse_uint<unsigned>(value, 256);
            if (!n || *n == 0)
                return fail("--threads: '" + std::string(value) +
                            "' is not a number from 1 to 256");
            o.threads = *n;
        } else if (arg == "--rate-limit") {
            auto spec = parse_rate_limit(value);
            if (!spec)
                return spec.error();
            o.rate_limit = *spec;
        } else if (arg == "--redis") {
            // The URL may hold a password: it is never repeated back.
            if (auto const ep = apikit::redis::parse_url(value); !ep)
                return fail("--redis: not a redis:// URL (" + ep.error().message() + ")");
            o.redis_url = value;
        } else if (arg == "--trusted-proxy") {
            std::string_view const entry[] = {value};
            if (!apikit::ratelimit::trusted_proxies::parse(entry))
                return fail("--trusted-proxy: '" + std::string(value) +
                            "' is not an address or a network such as 10.0.0.0/8");
            o.trusted_proxies.emplace_back(value);
        } else if (arg == "--jwt-key") {
            if (value.empty())
                return fail("--jwt-key: needs the path of a PEM file");
            o.jwt_key_file = value;
        } else if (arg == "--log-level") {
            auto const level = apikit::obs::parse_level(value);
            if (!level)
                return fail("--log-level: '" + std::string(value) +
                            "' is not one of trace, debug, info, warn, error, fatal");
            o.log_level = *level;
        } else if (arg == "--observability") {
            if (value != "on" && value != "off")
                return fail("--observability: '" + std::string(value) + "' is not on or off");
            o.observability = value == "on";
        } else if (arg == "--admin-email") {
            if (value.empty() || value.find('@') == std::string_view::npos)
                return fail("--admin-email: '" + std::string(value) + "' is not an email address");
            o.admin_email = value;
        } else {
            auto key = decode_cursor_key(value, "--cursor-key");
            if (!key)
                return key.error();
            o.cursor_key = std::move(*key);
        }
    }
    return o;
}

} // namespace sample

#endif
