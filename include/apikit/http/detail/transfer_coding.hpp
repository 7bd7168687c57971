#ifndef APIKIT_HTTP_DETAIL_TRANSFER_CODING_HPP
#define APIKIT_HTTP_DETAIL_TRANSFER_CODING_HPP

// Transfer-Encoding as the server reads it (RFC 9112 §6.1, §6.3, §7).
// apikit implements one transfer coding, `chunked`; Beast's parser frames a
// body as chunked when a field's last coding is `chunked` and ignores every
// other coding, so `gzip, chunked` would reach a handler as if it were plain
// chunked. The connection therefore judges the codings itself, once the
// header is complete and before any of the body is read:
//
//   a Transfer-Encoding in an HTTP/1.0 request    400 (§6.1: faulty framing)
//   Transfer-Encoding with Content-Length         400 (§6.3; Beast refuses most)
//   a list element that is not a coding           400 (`"chunked"`, `chunked;`)
//   any coding but a bare `chunked`, anywhere     501 not_implemented (§6.1):
//     gzip, x-unknown, identity, chunked;a=b
//   `chunked` more than once, or no coding        400 (§7: once, and last)
//
// in that order, over every Transfer-Encoding field of the request taken as
// one list (§5.3), with coding names compared case-insensitively. Anything
// else is exactly one `chunked`, which Beast has framed. Every one of these
// answers closes the connection.
//
// Beast refuses a Transfer-Encoding field that follows one ending in
// `chunked` as it reads it, before storing it, and leaves it at the front of
// the unparsed bytes; refused_transfer_encoding reads it there, so that
// `chunked` then `gzip` in two fields is the 501 that `chunked, gzip` is.
//
// Only requests that carry a Transfer-Encoding field get here: the common
// request pays nothing. Pure functions of their arguments, no allocation.

#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>

#include <boost/beast/http/field.hpp>

#include <optional>
#include <string_view>

namespace apikit::http::detail {

/// The server's refusal of a request's framing: the errc, and the message
/// the envelope carries instead of the errc's default when not empty.
struct framing_refusal {
    constexpr framing_refusal(errc e, std::string_view m = {}) noexcept : code(e), message(m) {}
    errc code;
    std::string_view message;
};

/// The codings of a request's Transfer-Encoding fields, added field by field.
class transfer_codings {
public:
    /// Adds the codings of one field value.
    constexpr void add(std::string_view field_value) noexcept {
        using namespace std::string_view_literals;
        for (auto const element : grammar::list_elements(field_value)) {
            auto const semi = element.find(';');
            auto const name = grammar::trim_ows(element.substr(0, semi));
            bool valid = grammar::is_token(name);
            if (semi != std::string_view::npos) {
                // §10.1.4 of RFC 9110: a ';' is followed by a parameter.
                unsigned params = 0;
                for (auto const p : grammar::parameters(element.substr(semi))) {
                    valid = valid && grammar::is_valid_parameter(p);
                    ++params;
                }
                valid = valid && params != 0;
            }
            if (!valid)
                malformed_ = true;
            else if (semi == std::string_view::npos && grammar::iequals(name, "chunked"sv))
                ++chunked_;
            else
                unknown_ = true; // chunked takes no parameter
        }
    }

    /// std::nullopt when the list is exactly one `chunked`; else the refusal.
    [[nodiscard]] constexpr std::optional<framing_refusal> verdict() const noexcept {
        if (malformed_)
            return framing_refusal(errc::malformed_request,
                                   "Transfer-Encoding is not a list of transfer codings");
        if (unknown_)
            return framing_refusal(errc::not_implemented,
                                   "Only the chunked transfer coding is implemented");
        if (chunked_ == 0)
            return framing_refusal(errc::malformed_request,
                                   "Transfer-Encoding names no transfer coding");
        if (chunked_ > 1)
            return framing_refusal(errc::malformed_request,
                                   "Transfer-Encoding applies chunked more than once");
        return std::nullopt;
    }

private:
    unsigned chunked_ = 0;
    bool unknown_ = false;
    bool malformed_ = false;
};

// The rules that come before the codings, for a request of `version` that
// has a Transfer-Encoding field.
[[nodiscard]] inline std::optional<framing_refusal>
transfer_encoding_framing(unsigned version, bool content_length) noexcept {
    if (version < 11)
        return framing_refusal(errc::malformed_request,
                               "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    if (content_length)
        return framing_refusal(errc::malformed_request);
    return std::nullopt;
}

template <class Header>
[[nodiscard]] transfer_codings codings_of(Header const& h) noexcept {
    transfer_codings codings;
    for (auto const& f : h)
        if (f.name() == boost::beast::http::field::transfer_encoding)
            codings.add(std::string_view(f.value().data(), f.value().size()));
    return codings;
}

/// The answer to a complete header `h` that has a Transfer-Encoding field;
/// std::nullopt when its body is chunked and nothing else. `chunked` is
/// whether Beast frames the body as chunked: a list the rules accept but
/// Beast does not frame so is refused rather than read another way.
template <class Header>
[[nodiscard]] std::optional<framing_refusal>
check_transfer_encoding(Header const& h, bool content_length, bool chunked) noexcept {
    if (auto const r = transfer_encoding_framing(h.version(), content_length))
        return r;
    if (auto const r = codings_of(h).verdict())
        return r;
    if (!chunked)
        return framing_refusal(errc::malformed_request);
    return std::nullopt;
}

/// The value of the Transfer-Encoding field at the front of `unparsed`, up
/// to its line's end; std::nullopt when the front is not such a field, or
/// the field is folded (obs-fold, which §5.2 lets a server refuse).
[[nodiscard]] constexpr std::optional<std::string_view>
leading_transfer_encoding(std::string_view unparsed) noexcept {
    using namespace std::string_view_literals;
    constexpr auto name = "transfer-encoding:"sv;
    if (unparsed.size() < name.size() || !grammar::iequals(unparsed.substr(0, name.size()), name))
        return std::nullopt;
    unparsed.remove_prefix(name.size());
    auto const end = unparsed.find("\r\n"sv);
    if (end == std::string_view::npos || end + 2 >= unparsed.size() || unparsed[end + 2] == ' ' ||
        unparsed[end + 2] == '\t')
        return std::nullopt;
    return unparsed.substr(0, end);
}

/// The answer to a header Beast refused with bad_transfer_encoding as it
/// read a field: `partial` holds the fields before that one, `unparsed`
/// starts with it. Always a refusal: 501 when the codings so far, the
/// refused field's included, name one apikit does not implement.
template <class Header>
[[nodiscard]] framing_refusal refused_transfer_encoding(Header const& partial,
                                                        std::string_view unparsed) noexcept {
    bool content_length = false;
    for (auto const& f : partial)
        content_length |= f.name() == boost::beast::http::field::content_length;
    if (auto const r = transfer_encoding_framing(partial.version(), content_length))
        return *r;
    auto const refused = leading_transfer_encoding(unparsed);
    if (!refused)
        return framing_refusal(errc::malformed_request);
    auto codings = codings_of(partial);
    codings.add(*refused);
    if (auto const r = codings.verdict())
        return *r;
    // `chunked` then a field with no coding: chunked was final, but Beast
    // refused the header before its end.
    return framing_refusal(errc::malformed_request);
}

} // namespace apikit::http::detail

#endif
