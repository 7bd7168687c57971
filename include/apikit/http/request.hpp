#ifndef APIKIT_HTTP_REQUEST_HPP
#define APIKIT_HTTP_REQUEST_HPP

// What a handler sees of a request: a view over the message its connection
// parsed (method, target, header fields, body), the target split by Boost.URL
// into path and query, the path parameters the route matched, and the
// request id. Nothing is copied; the view is valid until the response is
// sent.

#include <apikit/api/method.hpp>
#include <apikit/api/router.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/http/message.hpp>

#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace apikit::http {

class request {
public:
    request() = default;
    request(request const&) = delete;
    request& operator=(request const&) = delete;

    /// The method, or `std::nullopt` for one routes cannot name (TRACE, …).
    std::optional<api::method> method() const noexcept { return method_; }
    /// The method as sent: `GET`, `PROPFIND`, …
    std::string_view method_string() const noexcept { return msg_->method_string(); }
    /// The request-target as sent: `/users?limit=20`.
    std::string_view target() const noexcept { return msg_->target(); }
    /// The path of the target, still percent-encoded: `/users`.
    std::string_view path() const noexcept { return path_; }
    /// The query of the target without the `?`, still percent-encoded.
    std::string_view query_string() const noexcept { return query_; }
    /// The target as a Boost.URL view, parsed on first use.
    boost::urls::url_view const& url() const {
        if (!url_parsed_) {
            url_parsed_ = true;
            if (auto parsed = boost::urls::parse_uri_reference(target()))
                url_ = *parsed;
        }
        return url_;
    }
    /// The query parameters, percent-decoded as they are read.
    boost::urls::params_view query() const { return url().params(); }
    /// The first value of query parameter `key`, percent-decoded (`+` is a
    /// space, as in query()); a key with no `=` has the empty value. Read
    /// straight from the target, without Boost.URL: handlers call it on
    /// every request.
    std::optional<std::string> query(std::string_view key) const {
        if (!has_query_)
            return std::nullopt;
        constexpr auto form = grammar::plus_means::space;
        std::string_view rest = query_;
        for (;;) {
            auto const amp = rest.find('&');
            auto const param = rest.substr(0, amp);
            auto const eq = param.find('=');
            if (grammar::percent_decoded_equals(param.substr(0, eq), key, form)) {
                std::string value;
                if (eq != std::string_view::npos &&
                    !grammar::append_percent_decoded(value, param.substr(eq + 1), form))
                    return std::nullopt; // not after bind(), which checked every escape
                return value;
            }
            if (amp == std::string_view::npos)
                return std::nullopt;
            rest.remove_prefix(amp + 1);
        }
    }

    /// The value of the first header field `name`, if present.
    std::optional<std::string_view> header(std::string_view name) const {
        auto const it = msg_->find(name);
        if (it == msg_->end())
            return std::nullopt;
        return it->value();
    }
    std::optional<std::string_view> header(boost::beast::http::field f) const {
        auto const it = msg_->find(f);
        if (it == msg_->end())
            return std::nullopt;
        return it->value();
    }

    std::string_view body() const noexcept { return msg_->body(); }

    /// The path parameters of the matched route, percent-decoded.
    api::path_params const& params() const noexcept {
        static api::path_params const none;
        return has_params_ ? params_ : none;
    }
    /// Path parameter `name` as a `T` (std::string_view, std::string or an
    /// integer): a value that is not a canonical `T` is errc::not_found.
    template <class T = std::string_view>
    apikit::result<T> param(std::string_view name) const {
        return params().template get<T>(name);
    }
    /// The pattern of the matched route (`/users/:id`), empty before routing.
    std::string_view route() const noexcept { return route_; }
    /// Records the route a router matched.
    void route(std::string_view pattern, api::path_params const& params) {
        route_ = pattern;
        params_ = params;
        has_params_ = true;
    }

    /// The request's id, set by the request-id middleware.
    std::string_view request_id() const noexcept { return request_id_; }
    void request_id(std::string_view id) { request_id_.assign(id); }
    /// The id's storage, to write an id in place.
    std::string& request_id_buffer() noexcept { return request_id_; }

    /// The Beast message, for what this view does not show.
    request_message const& message() const noexcept { return *msg_; }

    bool keep_alive() const noexcept { return msg_->keep_alive(); }

    /// Binds the view to a freshly parsed message. A target that is not a
    /// valid URI reference (RFC 3986: bad percent-encoding, a space, …) makes
    /// this false and the request a 400. An origin-form target (`/path?q`,
    /// nearly every request) is checked here character by character and
    /// parsed by Boost.URL only if a handler reads its query.
    bool bind(request_message const& msg) {
        msg_ = &msg;
        method_ = to_method(msg.method());
        url_parsed_ = false;
        std::string_view const t = msg.target();
        if (!t.empty() && t.front() == '/') {
            auto const q = t.find('?');
            path_ = t.substr(0, q);
            has_query_ = q != std::string_view::npos;
            query_ = has_query_ ? t.substr(q + 1) : std::string_view{};
            return is_origin_form(t);
        }
        url_parsed_ = true;
        auto parsed = boost::urls::parse_uri_reference(t);
        if (!parsed) {
            url_ = boost::urls::url_view();
            path_ = raw_path(t); // for the log
            query_ = {};
            has_query_ = false;
            return false;
        }
        url_ = *parsed;
        path_ = url_.encoded_path();
        has_query_ = url_.has_query();
        query_ = url_.encoded_query();
        if (path_.empty())
            path_ = "/"; // absolute-form without a path: `http://host`
        return true;
    }

    /// Binds the view to a message whose header is incomplete or broken, so
    /// that the server's own error responses can still be logged.
    void bind_partial(request_message const& msg) noexcept {
        msg_ = &msg;
        method_ = to_method(msg.method());
        url_ = boost::urls::url_view();
        url_parsed_ = true;
        path_ = raw_path(msg.target());
        query_ = {};
        has_query_ = false;
    }

    void clear() noexcept {
        msg_ = &empty_message();
        method_.reset();
        url_ = boost::urls::url_view();
        url_parsed_ = true;
        path_ = {};
        query_ = {};
        has_query_ = false;
        route_ = {};
        has_params_ = false;
        request_id_.clear();
    }

private:
    // RFC 3986 origin-form: a path and an optional query of pchar, '/' and
    // '?', with every '%' starting a two-digit escape.
    static bool is_origin_form(std::string_view t) noexcept {
        static constexpr auto allowed = [] {
            std::array<bool, 256> a{};
            for (unsigned char c :
                 std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789-._~!$&'()*+,;=:@/?"))
                a[c] = true;
            return a;
        }();
        for (std::size_t i = 0; i < t.size(); ++i) {
            auto const c = static_cast<unsigned char>(t[i]);
            if (c == '%') {
                if (i + 2 >= t.size() || grammar::hex_value(t[i + 1]) < 0 ||
                    grammar::hex_value(t[i + 2]) < 0)
                    return false;
                i += 2;
            } else if (!allowed[c]) {
                return false;
            }
        }
        return true;
    }

    static std::string_view raw_path(std::string_view target) noexcept {
        return target.substr(0, target.find('?'));
    }

    static request_message const& empty_message() {
        static detail::header_arena arena{0};
        static request_message const m{std::piecewise_construct, std::make_tuple(),
                                       std::make_tuple(detail::arena_allocator<char>(arena))};
        return m;
    }

    request_message const* msg_ = &empty_message();
    std::optional<api::method> method_;
    mutable boost::urls::url_view url_;
    mutable bool url_parsed_ = true;
    bool has_params_ = false;
    bool has_query_ = false;
    std::string_view path_;
    std::string_view query_;
    std::string_view route_;
    api::path_params params_;
    std::string request_id_;
};

} // namespace apikit::http

#endif
