#ifndef APIKIT_HTTP_REQUEST_ID_HPP
#define APIKIT_HTTP_REQUEST_ID_HPP

// The request-id middleware. A client's `X-Request-Id` is kept when it is
// 1–128 characters from `A–Z a–z 0–9 - _ . :` (so an id from a proxy or a
// caller ties its logs to ours); anything else, or none, gets a fresh
// `req_` + 22 random base62 characters. The id is echoed in `X-Request-Id`
// on the response, reaches handlers as `request::request_id()`, and is
// stamped on every error envelope. Since a kept id can only hold those
// characters, nothing can be injected through it into the response or the
// log.

#include <apikit/core/random.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit::http {

inline constexpr std::size_t max_request_id_size = 128;

namespace detail {
inline constexpr auto request_id_chars = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_.:"))
        t[c] = true;
    return t;
}();
} // namespace detail

/// True for an id we keep: 1–128 characters from `A–Z a–z 0–9 - _ . :`.
[[nodiscard]] constexpr bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_request_id_size)
        return false;
    // No early exit: a valid id, the usual case, is read whole anyway.
    bool ok = true;
    for (char c : id)
        ok &= detail::request_id_chars[static_cast<unsigned char>(c)];
    return ok;
}

class request_id {
public:
    /// The header read and echoed; `X-Request-Id` unless told otherwise.
    /// Reads and echoes `header`, `X-Request-Id` unless told otherwise; a
    /// name that is not a header field name is a std::invalid_argument.
    explicit request_id(std::string_view header = "X-Request-Id")
        : header_(header)
        , checked_name_(!detail::iequals(header, "content-type")) {
        if (!detail::is_token(header) || detail::is_framing_field(header))
            throw std::invalid_argument("apikit::http::request_id: bad header name");
    }

    /// Every exchange, the server's own 400s and 408s included, gets its id
    /// before any other layer runs.
    void on_begin(exchange& ex) const { assign(ex); }

    /// Echoes the id. The name was checked when this layer was made, and a
    /// valid id is a valid field value: what `response::set` would check
    /// again on every response. An id a layer set by hand goes through it.
    void on_response(exchange& ex) const {
        auto const id = ex.request().request_id();
        if (checked_name_ && is_valid_request_id(id))
            detail::response_access::set_checked(ex.response(), header_, id);
        else
            ex.response().set(header_, id);
    }

private:
    void assign(exchange& ex) const {
        auto& req = ex.request();
        if (auto const v = req.header(header_); v && is_valid_request_id(*v)) {
            req.request_id(*v);
            return;
        }
        // Written in place into the request's id buffer, which keeps its
        // capacity from one request to the next: no allocation per request.
        char id[4 + id_random_length] = {'r', 'e', 'q', '_'};
        write_random_id(id + 4);
        req.request_id_buffer().assign(id, sizeof id);
    }

    std::string header_;
    bool checked_name_; // not Content-Type, which response::set handles apart
};

static_assert(middleware<request_id>,
              "apikit::http::request_id must model apikit::http::middleware");

} // namespace apikit::http

#endif
