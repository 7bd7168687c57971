#ifndef APIKIT_SERVER_OPTIONS_HPP
#define APIKIT_SERVER_OPTIONS_HPP

// The sample server's command line. Parsing is a pure function from the
// arguments to options or a message, so it is tested without starting a
// process; main() prints the message and exits 2.

#include <apikit/core/base64url.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/system/result.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sample {

struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080; ///< 0 asks the kernel for a free port
    unsigned threads = 1;
    /// The key cursors are signed with. Empty: a random key per process, so
    /// a cursor is good only on the instance that issued it. Instances behind
    /// one load balancer share a key with --cursor-key.
    std::string cursor_key;
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
    "\n"
    "  --address IP      address to listen on (default 127.0.0.1)\n"
    "  --port N          port to listen on, 0 for any free port (default 8080)\n"
    "  --threads N       threads serving requests, 1 to 256 (default 1)\n"
    "  --cursor-key KEY  base64url key of at least 32 bytes that signs pagination\n"
    "                    cursors; give every instance the same key so a cursor from\n"
    "                    one is good on all; also read from APIKIT_CURSOR_KEY, which\n"
    "                    unlike a flag is not shown by ps (default: a random key)\n"
    "  --help            print this text and exit\n"
    "\n"
    "Logs one JSON line with the bound address and port when listening, then one\n"
    "JSON access-log line per request; SIGINT or SIGTERM stops it gracefully.\n";

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

/// The key in `text` (base64url, at least 32 bytes). `source` names where
/// it came from in the message; the text itself is a secret and is never
/// repeated.
inline boost::system::result<std::string, usage_error> decode_cursor_key(std::string_view text,
                                                                         std::string_view source) {
    auto key = apikit::base64url::decode(text);
    if (!key)
        return usage_error{std::string(source) + ": not base64url"};
    if (key->size() < min_cursor_key_bytes)
        return usage_error{std::string(source) +
                           ": the key must be at least 32 bytes (43 base64url characters)"};
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
        if (arg != "--address" && arg != "--port" && arg != "--threads" && arg != "--cursor-key")
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
