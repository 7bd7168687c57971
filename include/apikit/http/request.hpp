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
#include <apikit/http/message.hpp>

#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

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
    std::string_view query_string() const noexcept { return url_.encoded_query(); }
    /// The query parameters, percent-decoded as they are read.
    boost::urls::params_view query() const noexcept { return url_.params(); }
    /// The first value of query parameter `key`, percent-decoded; a key with
    /// no `=` has the empty value.
    std::optional<std::string> query(std::string_view key) const {
        auto const params = url_.params();
        auto const it = params.find(key);
        if (it == params.end())
            return std::nullopt;
        return (*it).value;
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
    api::path_params const& params() const noexcept { return params_; }
    /// Path parameter `name` as a `T` (std::string_view, std::string or an
    /// integer): a value that is not a canonical `T` is errc::not_found.
    template <class T = std::string_view>
    apikit::result<T> param(std::string_view name) const {
        return params_.get<T>(name);
    }
    /// The pattern of the matched route (`/users/:id`), empty before routing.
    std::string_view route() const noexcept { return route_; }
    /// Records the route a router matched.
    void route(std::string_view pattern, api::path_params const& params) {
        route_ = pattern;
        params_ = params;
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
    /// this false and the request a 400.
    bool bind(request_message const& msg) {
        msg_ = &msg;
        method_ = to_method(msg.method());
        auto parsed = boost::urls::parse_uri_reference(msg.target());
        if (!parsed) {
            url_ = boost::urls::url_view();
            path_ = raw_path(msg.target()); // for the log
            return false;
        }
        url_ = *parsed;
        path_ = url_.encoded_path();
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
        path_ = raw_path(msg.target());
    }

    void clear() noexcept {
        msg_ = &empty_message();
        method_.reset();
        url_ = boost::urls::url_view();
        path_ = {};
        route_ = {};
        params_ = {};
        request_id_.clear();
    }

private:
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
    boost::urls::url_view url_;
    std::string_view path_;
    std::string_view route_;
    api::path_params params_;
    std::string request_id_;
};

} // namespace apikit::http

#endif
