#ifndef APIKIT_AUTH_DETAIL_JWT_PARSE_HPP
#define APIKIT_AUTH_DETAIL_JWT_PARSE_HPP

// The pieces of jwt.hpp's decode: a segment's strict base64url into a
// reused buffer, the last header remembered per thread, and a segment's JSON
// read straight into a jose_header or a claims by one handler, fed by one of
// two readers.
//
// Speed. decode runs on every request that carries a token, in front of an
// HS256 check that costs 0.3-0.4 µs, so it builds no JSON tree: building one
// and copying out of it cost ~1 µs for a 160-byte payload here, reading
// straight into the fields ~0.3 µs (about half of that the allocations the
// claims' own strings and vectors make). The first reader, read_simple_json,
// takes in one pass the shape nearly every token has (printable-ASCII
// strings without escapes, integers, arrays of strings); anything else goes
// to Boost.JSON's basic_parser (which validates UTF-8, escapes and numbers)
// from the start, and only that parser refuses bad JSON. Both feed the same
// handler, so the type rules and the checks below are written once; a test
// and the fuzz target check that both readers agree. Only a claim apikit
// does not know is built as a boost::json::value (a value_stack), into
// `claims::extra`.
//
// Duplicates. A token whose `exp` or `alg` appears twice means two things
// to two parsers (Boost.JSON keeps the last, others the first), so a repeated
// name is refused at any depth (RFC 7515 §4 and RFC 7519 §4 allow it): at
// the top by a bit per known name and a lookup in `extra`, inside an
// unknown claim by counting the members the parser reported against those
// the built value kept (http/detail/json_body.hpp's json_members, as the
// JSON request bodies do).
//
// Types are claims.hpp's rules (detail/claims_json.hpp): the handler stops
// the parse at the first value of the wrong type, and decode says malformed.

#include <apikit/auth/claims.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/http/detail/json_body.hpp> // json_members

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace apikit::auth::detail {

// JSON in a token nests no deeper than this; a claim of a user type may nest.
inline constexpr std::size_t max_token_json_depth = 16;

// The strict base64url of a JWS segment (RFC 7515 §2: no padding, the
// URL-safe alphabet only, unused bits zero) into `out`, replacing what it
// held. False for any other spelling.
[[nodiscard]] inline bool decode_segment(std::string_view text, std::string& out) {
    out.clear();
    if (text.size() % 4 == 1)
        return false;
    return base64url::detail::decode_unpadded(out, text, base64url::detail::reverse, true);
}

// A per-thread buffer a segment is decoded into: it keeps its capacity from
// one token to the next.
[[nodiscard]] inline std::string& segment_buffer() {
    thread_local std::string buffer;
    return buffer;
}

// The same for a signature the verifier checks and drops.
[[nodiscard]] inline std::string& signature_buffer() {
    thread_local std::string buffer;
    return buffer;
}

// The last header segment this thread decoded, and what it said. The tokens
// a server sees share a few headers — one per key — so decode compares the
// segment's text with the last one (about 40 to 80 bytes) before it decodes
// and parses it again. Only a header that decoded is kept.
struct header_memo {
    std::string segment;
    jose_header header;
    bool valid = false;
};

[[nodiscard]] inline header_memo& last_header() {
    thread_local header_memo memo;
    return memo;
}

// The basic_parser handler of a header (`header` set) or a payload
// (`payload` set). Depth 1 is the document's object; a member's value at
// depth 1 is a scalar, at depth 2 and more inside an array or an object.
class token_json_handler {
public:
    using error_code = boost::json::error_code;
    using string_view = boost::json::string_view;

    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    // The header's members apikit reads; `alg` is left as text for decode.
    struct header_fields {
        std::string alg, typ, kid;
        bool has_alg = false;
    };

    explicit token_json_handler(header_fields* h, claims* c) noexcept : header_(h), claims_(c) {}

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }

    bool on_object_begin(error_code& ec) {
        if (depth_ == 0) {
            depth_ = 1;
            return true;
        }
        return begin_other(ec);
    }
    bool on_object_end(std::size_t n, error_code&) {
        if (--depth_ == 0)
            return true;
        st_.push_object(n);
        nested_members_ += n;
        return depth_ > 1 || finish_other();
    }
    bool on_array_begin(error_code& ec) {
        if (depth_ == 0)
            return fail(ec);
        if (depth_ == 1 && (slot_ == slot::aud || slot_ == slot::scope)) {
            in_list_ = true;
            ++depth_;
            return true;
        }
        return begin_other(ec);
    }
    bool on_array_end(std::size_t n, error_code&) {
        --depth_;
        if (in_list_) {
            in_list_ = false;
            return true;
        }
        st_.push_array(n);
        return depth_ > 1 || finish_other();
    }

    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (depth_ > 1) {
            st_.push_chars(s);
            return true;
        }
        if (!key_in_parts_)
            key_.clear();
        key_in_parts_ = true;
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code& ec) {
        if (depth_ > 1) {
            st_.push_key(s);
            return true;
        }
        std::string_view name(s.data(), s.size());
        if (key_in_parts_) {
            key_.append(name);
            name = key_;
            key_in_parts_ = false;
        }
        slot_ = classify(name);
        if (slot_ == slot::other && name.data() != key_.data())
            key_.assign(name); // finish_other names the member
        if (slot_ == slot::crit)
            return fail(ec); // RFC 7515 §4.1.11: an extension apikit does not implement
        if (slot_ != slot::other) {
            auto const bit = 1u << static_cast<unsigned>(slot_);
            if (seen_ & bit)
                return fail(ec);
            seen_ |= bit;
        }
        return true;
    }

    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (depth_ > 1 && !in_list_)
            st_.push_chars(s);
        else
            text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code& ec) {
        if (depth_ == 0)
            return fail(ec); // the document is not an object
        if (depth_ > 1 && !in_list_) {
            st_.push_string(s);
            return true;
        }
        std::string_view v(s.data(), s.size());
        if (!text_.empty()) {
            text_.append(s.data(), s.size());
            v = text_;
        }
        bool const ok = take_string(v);
        text_.clear();
        return ok || fail(ec);
    }

    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view, error_code& ec) { return take_scalar(i, ec); }
    bool on_uint64(std::uint64_t u, string_view, error_code& ec) { return take_scalar(u, ec); }
    bool on_double(double d, string_view, error_code& ec) {
        if (!std::isfinite(d)) // past a double's range: JSON could not write it back
            return fail(ec);
        return take_scalar(d, ec);
    }
    bool on_bool(bool b, error_code& ec) { return take_scalar(b, ec); }
    bool on_null(error_code& ec) { return take_scalar(nullptr, ec); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    // An object or array inside the document: only a member apikit keeps as
    // JSON (`other`) may hold one; it starts that member at depth 1.
    bool begin_other(error_code& ec) {
        if (slot_ != slot::other)
            return fail(ec);
        if (depth_ == 1)
            start_other();
        ++depth_;
        return true;
    }

    enum class slot : unsigned char {
        iss,
        sub,
        aud,
        exp,
        nbf,
        iat,
        jti,
        scope, // claims
        alg,
        typ,
        kid,
        crit, // header
        other,
    };

    [[nodiscard]] slot classify(std::string_view name) const noexcept {
        if (header_ != nullptr) {
            if (name == "alg")
                return slot::alg;
            if (name == "typ")
                return slot::typ;
            if (name == "kid")
                return slot::kid;
            if (name == "crit")
                return slot::crit;
            return slot::other;
        }
        auto const c = registered_claim(name);
        return c == claim_name::other ? slot::other : static_cast<slot>(c);
    }

    static bool fail(error_code& ec) {
        ec = boost::json::error::syntax;
        return false;
    }

    bool take_string(std::string_view v) {
        if (in_list_) {
            auto& list = slot_ == slot::aud ? claims_->aud : claims_->scope;
            if (list.empty())
                list.reserve(4);
            list.emplace_back(v);
            return true;
        }
        switch (slot_) {
        case slot::iss:
            claims_->iss = v;
            break;
        case slot::sub:
            claims_->sub = v;
            break;
        case slot::jti:
            claims_->jti = v;
            break;
        case slot::aud:
            claims_->aud.emplace_back(v);
            break;
        case slot::scope:
            split_scope(v, claims_->scope);
            break;
        case slot::alg:
            header_->alg = v;
            header_->has_alg = true;
            break;
        case slot::typ:
            header_->typ = v;
            break;
        case slot::kid:
            header_->kid = v;
            break;
        case slot::other:
            start_other();
            st_.push_string(boost::json::string_view(v.data(), v.size()));
            return finish_other();
        default:
            return false;
        }
        return true;
    }

    // A number, a bool or null.
    template <class T>
    bool take_scalar(T x, error_code& ec) {
        if (depth_ == 0 || in_list_)
            return fail(ec);
        if (depth_ > 1 || slot_ == slot::other) {
            if (depth_ == 1)
                start_other();
            push(x);
            return depth_ > 1 || finish_other() || fail(ec);
        }
        std::optional<std::int64_t>* date = nullptr;
        auto rounding = date_rounding::up;
        switch (slot_) {
        case slot::exp:
            date = &claims_->exp;
            rounding = date_rounding::down;
            break;
        case slot::nbf:
            date = &claims_->nbf;
            break;
        case slot::iat:
            date = &claims_->iat;
            break;
        default:
            return fail(ec);
        }
        if constexpr (std::is_same_v<T, std::int64_t>)
            *date = x; // the usual case, without a value to hold it
        else
            *date = numeric_date(boost::json::value(x), rounding);
        return date->has_value() || fail(ec);
    }

    void push(std::int64_t i) { st_.push_int64(i); }
    void push(std::uint64_t u) { st_.push_uint64(u); }
    void push(double d) { st_.push_double(d); }
    void push(bool b) { st_.push_bool(b); }
    void push(std::nullptr_t) { st_.push_null(); }

    void start_other() {
        st_.reset();
        nested_members_ = 0;
    }

    // The value of an unknown member is complete: into `extra` (a header's
    // are only checked for repeats, then dropped).
    bool finish_other() {
        auto v = st_.release();
        if (nested_members_ != 0 && http::detail::json_members(v) != nested_members_)
            return false;
        auto& into = claims_ != nullptr ? claims_->extra : header_extra_;
        if (into.contains(key_))
            return false;
        into.emplace(key_, std::move(v));
        return true;
    }

    header_fields* header_;
    claims* claims_;
    boost::json::value_stack st_;
    boost::json::object header_extra_;
    std::string key_;  // the name of the unknown top-level member being read
    std::string text_; // a top-level string given in parts
    std::size_t nested_members_ = 0;
    unsigned depth_ = 0;
    unsigned seen_ = 0; // a bit per known member already read
    slot slot_ = slot::other;
    bool in_list_ = false;      // inside `aud` or `scope` as an array
    bool key_in_parts_ = false; // key_ holds the first parts of a name
};

static_assert(static_cast<int>(claim_name::scope) == 7 && static_cast<int>(claim_name::iss) == 0,
              "token_json_handler's slots begin with claims.hpp's claim names, in order");

// The bytes a string holds as they are: printable ASCII but '"' and '\\'.
inline constexpr auto plain_json_char = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x7f; ++c)
        t[c] = c != '"' && c != '\\';
    return t;
}();

// The first byte from `p` that a string does not hold as it is, or `end`:
// eight bytes at a time while none of them is one (SWAR: a word has a byte
// below 0x20, at or above 0x7f, or equal to '"' or '\\' exactly when one
// of these masks is non-zero), then a byte at a time.
[[nodiscard]] inline char const* skip_plain_json(char const* p, char const* end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto const zero_byte = [](std::uint64_t y) { return (y - ones) & ~y & highs; };
    while (end - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, sizeof x);
        if (zero_byte(x ^ (ones * '"')) | zero_byte(x ^ (ones * '\\')) |
            zero_byte(x ^ (ones * 0x7f)) | ((x - ones * 0x20) & ~x & highs) | (x & highs))
            break;
        p += 8;
    }
    while (p != end && plain_json_char[static_cast<unsigned char>(*p)])
        ++p;
    return p;
}

// What the fast reader made of a text: it fed the handler the whole
// document, or the handler refused a member, or the text is not of the
// shape it reads (then Boost.JSON's parser reads it, from the start).
enum class simple_json : unsigned char { read, refused, unhandled };

// The shape nearly every token has, read in one pass without Boost.JSON's
// parser: one object of members whose values are strings of printable ASCII
// without escapes, integers of at most 18 digits, or arrays of such strings.
// It feeds `h` the events basic_parser would, so the type rules and the
// repeat checks stay the handler's; anything else (an escape, a non-ASCII
// byte, a fraction, true/false/null, a nested object, a syntax error) is
// `unhandled` and goes to the full parser, which alone refuses bad JSON.
[[nodiscard]] inline simple_json read_simple_json(std::string_view text, token_json_handler& h) {
    using enum simple_json;
    char const* p = text.data();
    char const* const end = p + text.size();
    boost::json::error_code ec;
    auto const ws = [&] {
        while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            ++p;
    };
    auto const at = [&](char c) { return p != end && *p == c; };
    // A string at p (on its quote) of bytes 0x20-0x7e but '\\'; p after it.
    auto const string = [&](boost::json::string_view& out) {
        char const* const start = ++p;
        p = skip_plain_json(p, end);
        if (!at('"'))
            return false;
        out = {start, static_cast<std::size_t>(p - start)};
        ++p;
        return true;
    };
    // An integer at p: -?(0|[1-9][0-9]*) of at most 18 digits, not -0, not
    // followed by a fraction or an exponent.
    auto const integer = [&](std::int64_t& out) {
        bool const negative = at('-');
        if (negative)
            ++p;
        char const* const digits = p;
        std::uint64_t v = 0; // 19 digits fit, so the 19th is read and then refused
        while (p != end && *p >= '0' && *p <= '9' && p - digits < 19)
            v = v * 10 + static_cast<unsigned>(*p++ - '0');
        auto const n = p - digits;
        if (n == 0 || n > 18 || (n > 1 && *digits == '0') || (negative && v == 0) || at('.') ||
            at('e') || at('E'))
            return false;
        out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
        return true;
    };

    (void)h.on_document_begin(ec);
    ws();
    if (!at('{'))
        return unhandled;
    ++p;
    (void)h.on_object_begin(ec);
    std::size_t members = 0;
    ws();
    if (at('}'))
        ++p;
    else
        for (;;) {
            boost::json::string_view key, value;
            if (!at('"') || !string(key))
                return unhandled;
            ws();
            if (!at(':'))
                return unhandled;
            ++p;
            ws();
            if (!h.on_key(key, key.size(), ec))
                return refused;
            std::int64_t number = 0;
            if (at('"')) {
                if (!string(value))
                    return unhandled;
                if (!h.on_string(value, value.size(), ec))
                    return refused;
            } else if (at('[')) {
                ++p;
                if (!h.on_array_begin(ec))
                    return refused;
                std::size_t n = 0;
                ws();
                if (at(']'))
                    ++p;
                else
                    for (;; ++n) {
                        if (!at('"') || !string(value))
                            return unhandled;
                        if (!h.on_string(value, value.size(), ec))
                            return refused;
                        ws();
                        if (at(']')) {
                            ++p;
                            ++n;
                            break;
                        }
                        if (!at(','))
                            return unhandled;
                        ++p;
                        ws();
                    }
                if (!h.on_array_end(n, ec))
                    return refused;
            } else if (at('-') || (p != end && *p >= '0' && *p <= '9')) {
                if (!integer(number))
                    return unhandled;
                if (!h.on_int64(number, {}, ec))
                    return refused;
            } else {
                return unhandled;
            }
            ++members;
            ws();
            if (at('}')) {
                ++p;
                break;
            }
            if (!at(','))
                return unhandled;
            ++p;
            ws();
        }
    ws();
    if (p != end)
        return unhandled;
    if (!h.on_object_end(members, ec))
        return refused;
    (void)h.on_document_end(ec);
    return read;
}

// Parses `text`, a JSON object, into `h` (a header) or `c` (a payload).
// False when it is not JSON, not an object, repeats a name, or holds a
// member of the wrong type. `fast`: false skips read_simple_json (the
// tests and the fuzz target compare both ways).
[[nodiscard]] inline bool parse_token_json(std::string_view text,
                                           token_json_handler::header_fields* h, claims* c,
                                           bool fast = true) {
    if (fast) {
        token_json_handler handler(h, c);
        switch (read_simple_json(text, handler)) {
        case simple_json::read:
            return true;
        case simple_json::refused:
            return false;
        case simple_json::unhandled:
            break;
        }
    }
    if (h != nullptr)
        *h = {};
    if (c != nullptr)
        *c = {};
    boost::json::parse_options options;
    options.max_depth = max_token_json_depth;
    boost::json::basic_parser<token_json_handler> p(options, h, c);
    boost::json::error_code ec;
    auto const n = p.write_some(false, text.data(), text.size(), ec);
    return !ec && n == text.size();
}

} // namespace apikit::auth::detail

#endif
