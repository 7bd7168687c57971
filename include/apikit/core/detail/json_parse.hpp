#ifndef APIKIT_CORE_DETAIL_JSON_PARSE_HPP
#define APIKIT_CORE_DETAIL_JSON_PARSE_HPP

// apikit's one strict JSON reader (I-JSON, RFC 7493), for every parser of
// outside input: request bodies (http/json.hpp), JWKS documents, JWTs, event
// envelopes. Boost.JSON's basic_parser with a handler that builds the value
// as boost::json::parser does and counts the members it reports. Boost.JSON
// keeps the last of two members of one name silently, so a walk of the value
// that finds fewer members than were reported has found a duplicate; the text
// is then parsed again with a finder that remembers names, to say which.
// Doubles are read again exactly (Boost.JSON 1.81's reading can be off by
// an ulp or two, and makes Infinity of a number past the range, which is
// refused), so that text read, written and read again is the same value.
// Everything is per call. No Beast, no Asio: a Beast-free area reads its
// documents here (it moved from http/detail/json_body.hpp, which keeps the
// HTTP messages and names these for its callers).

#include <apikit/core/http_grammar.hpp>
#include <apikit/core/json_string.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/error_code.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace apikit::detail {

// The names met in each open object, to find the first that repeats. Used
// only on a body known to hold a duplicate, so it may allocate; a set per
// object keeps it linear however many members a hostile body has.
struct json_duplicate_finder {
    std::vector<std::unordered_set<std::string>> open;
    std::string name; // the name being read, given in parts
    std::optional<std::string> first;
};

// Boost.JSON's own parser handler (its values built on a value_stack), which
// also counts the members the parser reports and, given a finder, tells it
// every name.
struct json_body_handler {
    using error_code = boost::json::error_code;
    using string_view = boost::json::string_view;

    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    boost::json::value_stack st;
    std::size_t members = 0; // over all objects, duplicates included
    bool may_repeat = false; // some object has two members or more
    json_duplicate_finder* finder = nullptr;

    json_body_handler(unsigned char* buffer, std::size_t size) : st({}, buffer, size) {}

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) {
        if (finder)
            finder->open.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t n, error_code&) {
        members += n;
        may_repeat = may_repeat || n > 1;
        if (finder)
            finder->open.pop_back();
        st.push_object(n);
        return true;
    }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t n, error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (finder)
            finder->name.append(s.data(), s.size());
        st.push_chars(s);
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        if (finder) {
            finder->name.append(s.data(), s.size());
            if (!finder->open.back().insert(finder->name).second && !finder->first)
                finder->first = finder->name;
            finder->name.clear();
        }
        st.push_key(s);
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view, error_code&) {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, string_view, error_code&) {
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, string_view text, error_code& ec) {
        // Boost.JSON 1.81's own reading is not always the nearest double
        // (0.5e50 comes out 2 ulps low), so a value written back (shortest
        // form) and read again would drift; and it reads a number past a
        // double's range as ±Infinity, a zero with an exponent past it
        // (0e400) as NaN: values JSON cannot write back. Every double is
        // read again exactly (std::from_chars: the nearest double). Past the
        // range is refused; below the smallest subnormal is the zero it
        // rounds to.
        double exact = 0;
        auto const [end, e] = std::from_chars(text.data(), text.data() + text.size(), exact);
        if (e == std::errc::result_out_of_range && std::isfinite(d) && std::fabs(d) < 1) {
            exact = text.starts_with('-') ? -0.0 : 0.0; // underflow
        } else if (e != std::errc() || end != text.data() + text.size() || !std::isfinite(exact)) {
            ec = boost::json::error::exponent_overflow;
            return false;
        }
        st.push_double(exact);
        return true;
    }
    bool on_bool(bool b, error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }
};

// How many members the objects in `v` hold, at every depth. The recursion is
// as deep as the value, which the parser kept within its limit.
[[nodiscard]] inline std::size_t json_members(boost::json::value const& v) noexcept {
    std::size_t n = 0;
    if (auto const* o = v.if_object()) {
        n = o->size();
        for (auto const& m : *o)
            n += json_members(m.value());
    } else if (auto const* a = v.if_array()) {
        for (auto const& e : *a)
            n += json_members(e);
    }
    return n;
}

// True unless `s` holds a byte that is not part of well-formed UTF-8.
[[nodiscard]] inline bool is_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t const n =
            static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_sequence_size(s, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

// True when a string in the JSON text `s` holds a `\u` escape of a surrogate
// that is not half of a pair (a high one followed by the escape of a low
// one). Only for the message of a body already refused.
[[nodiscard]] inline bool has_lone_surrogate(std::string_view s) noexcept {
    auto const unit = [s](std::size_t i) -> long { // the `\uXXXX` at i, or -1
        if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u')
            return -1;
        long u = 0;
        for (std::size_t k = i + 2; k < i + 6; ++k) {
            int const d = grammar::hex_value(s[k]);
            if (d < 0)
                return -1;
            u = u * 16 + d;
        }
        return u;
    };
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"') {
            quoted = !quoted;
        } else if (quoted && s[i] == '\\') {
            long const u = unit(i);
            if (u >= 0xdc00 && u <= 0xdfff)
                return true;
            if (u >= 0xd800 && u <= 0xdbff) {
                long const low = unit(i + 6);
                if (low < 0xdc00 || low > 0xdfff)
                    return true;
                i += 6;
            }
            ++i; // the escaped character
        }
    }
    return false;
}

// One parse of `body` under the depth limit. `repeats`: a member was
// dropped because its name came twice in one object.
struct json_parsed {
    boost::json::value value;
    bool repeats = false;
};

[[nodiscard]] inline json_parsed parse_json_text(std::string_view body, boost::json::storage_ptr sp,
                                                 std::size_t max_depth,
                                                 json_duplicate_finder* finder,
                                                 boost::system::error_code& ec) {
    boost::json::parse_options options;
    options.max_depth = max_depth;
    unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE]; // as boost::json::parse does
    boost::json::basic_parser<json_body_handler> p(options, temp, sizeof temp);
    auto& h = p.handler();
    h.st.reset(std::move(sp));
    h.finder = finder;
    auto const n = p.write_some(false, body.data(), body.size(), ec);
    if (!ec && n < body.size())
        ec = boost::json::error::extra_data;
    if (ec)
        return {};
    json_parsed out{h.st.release()};
    out.repeats = h.may_repeat && json_members(out.value) != h.members;
    return out;
}

} // namespace apikit::detail

#endif
