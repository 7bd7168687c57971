#ifndef APIKIT_HTTP_MESSAGE_HPP
#define APIKIT_HTTP_MESSAGE_HPP

// The Beast types a request is parsed into, and the mapping between Beast's
// verbs and apikit's own api::method (routes know no Beast).

#include <apikit/api/method.hpp>
#include <apikit/http/detail/arena.hpp>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <optional>

namespace apikit::http {

/// Header fields of a request, allocated from its connection's arena.
using request_fields = boost::beast::http::basic_fields<detail::arena_allocator<char>>;
using request_body = boost::beast::http::string_body;
using request_message = boost::beast::http::request<request_body, request_fields>;
using request_parser =
    boost::beast::http::request_parser<request_body, detail::arena_allocator<char>>;

/// The api::method of a Beast verb; `std::nullopt` for the verbs routes
/// cannot name (TRACE, CONNECT, WebDAV's, unknown ones).
constexpr std::optional<api::method> to_method(boost::beast::http::verb v) noexcept {
    using boost::beast::http::verb;
    switch (v) {
    case verb::get:
        return api::method::get;
    case verb::head:
        return api::method::head;
    case verb::post:
        return api::method::post;
    case verb::put:
        return api::method::put;
    case verb::patch:
        return api::method::patch;
    case verb::delete_:
        return api::method::delete_;
    case verb::options:
        return api::method::options;
    default:
        return std::nullopt;
    }
}

constexpr boost::beast::http::verb to_verb(api::method m) noexcept {
    using boost::beast::http::verb;
    switch (m) {
    case api::method::get:
        return verb::get;
    case api::method::head:
        return verb::head;
    case api::method::post:
        return verb::post;
    case api::method::put:
        return verb::put;
    case api::method::patch:
        return verb::patch;
    case api::method::delete_:
        return verb::delete_;
    case api::method::options:
        return verb::options;
    }
    return verb::unknown;
}

} // namespace apikit::http

#endif
