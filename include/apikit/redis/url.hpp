#ifndef APIKIT_REDIS_URL_HPP
#define APIKIT_REDIS_URL_HPP

// Where a Redis server is and how to log in: parsed from
// `redis://[user:password@]host[:port][/db]` with Boost.URL, as the sample
// server's `--redis` flag takes it. Strict: what the URL says is either used
// or refused with an error naming the part that is wrong (a query string is
// not silently ignored).
//
//     redis://127.0.0.1:6379          host and port
//     redis://localhost               port 6379
//     redis://:secret@127.0.0.1/2     AUTH secret, SELECT 2
//     redis://alice:secret@[::1]:7000 AUTH alice secret (a Redis 6 ACL user)
//
// User and password are percent-decoded. The password is a secret: the
// formatter prints it as `***`.

#include <apikit/core/error.hpp>
#include <apikit/redis/error.hpp>

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace apikit::redis {

struct endpoint {
    std::string host = "127.0.0.1"; ///< a name, an IPv4 address, or an IPv6 address without []
    std::uint16_t port = 6379;
    std::string user;     ///< empty: AUTH with the password alone (the default user)
    std::string password; ///< empty: no AUTH
    unsigned database = 0;

    [[nodiscard]] friend bool operator==(endpoint const&, endpoint const&) = default;
};

/// The endpoint a redis:// URL names; see the header's comment.
[[nodiscard]] inline result<endpoint> parse_url(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed)
        return make_error_code(error::url_syntax);
    auto const& u = *parsed;
    if (!boost::urls::grammar::ci_is_equal(u.scheme(), "redis"))
        return make_error_code(error::url_scheme);
    if (u.has_query() || u.has_fragment())
        return make_error_code(error::url_unsupported);

    endpoint ep;
    if (!u.has_authority() || u.encoded_host().empty())
        return make_error_code(error::url_host);
    ep.host = u.host_address();

    if (u.has_port()) {
        auto const p = u.port();
        unsigned v = 0;
        auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || v == 0 || v > 65535)
            return make_error_code(error::url_port);
        ep.port = static_cast<std::uint16_t>(v);
    }

    if (u.has_userinfo()) {
        ep.user = u.user();
        if (u.has_password())
            ep.password = u.password();
        // `user@host` alone: AUTH needs a password, and guessing that the
        // user was meant as one would send a secret where a name was put.
        if (!ep.user.empty() && ep.password.empty())
            return make_error_code(error::url_credentials);
    }

    auto const path = u.encoded_path();
    if (!path.empty() && path != "/") {
        std::string_view db = path;
        db.remove_prefix(1);
        unsigned v = 0;
        auto const [end, ec] = std::from_chars(db.data(), db.data() + db.size(), v);
        if (path.front() != '/' || db.empty() || ec != std::errc{} ||
            end != db.data() + db.size() || db.size() > 9)
            return make_error_code(error::url_database);
        ep.database = v;
    }
    return ep;
}

} // namespace apikit::redis

/// `redis://alice:***@127.0.0.1:6379/2`: the password never printed.
template <>
struct fmt::formatter<apikit::redis::endpoint> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }

    template <class Context>
    auto format(apikit::redis::endpoint const& e, Context& ctx) const {
        auto out = fmt::format_to(ctx.out(), "redis://");
        if (!e.password.empty())
            out = fmt::format_to(out, "{}:***@", e.user);
        if (e.host.find(':') != std::string::npos)
            out = fmt::format_to(out, "[{}]:{}", e.host, e.port);
        else
            out = fmt::format_to(out, "{}:{}", e.host, e.port);
        if (e.database != 0)
            out = fmt::format_to(out, "/{}", e.database);
        return out;
    }
};

#endif
