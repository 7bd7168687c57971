#ifndef APIKIT_CORE_LOG_CONTEXT_HPP
#define APIKIT_CORE_LOG_CONTEXT_HPP

// The structured fields of one request's log lines: a flat set of keys and
// JSON values, kept in the order each key was first set, and already
// rendered as the members of a JSON object, so that a log line copies them
// with one memcpy:
//
//     ctx.set("user_id", "user_42");     // "user_id":"user_42"
//     ctx.set("order_id", order.id);
//     ctx.set("duration_ms", 234);
//     ctx.members();                      //
//     "user_id":"user_42","order_id":"order_7","duration_ms":234
//
// Setting a key again replaces its value where it stands. The HTTP exchange
// owns one and clears it per request (`http::exchange::log_context()`), so
// what a layer or handler sets (the trace id, the user, an order) is in the
// access log's line and in every later line logged for that request;
// clear() keeps the memory, so a connection's requests allocate nothing once
// the first has grown it.
//
// Secrets: a value set under a secret key (`is_secret_key`: Authorization,
// cookies, passwords, tokens, API keys, credentials…) is written as
// "[REDACTED]", whatever it was; keys and string values are JSON-escaped
// (ill-formed UTF-8 becomes U+FFFD), so members() is always valid JSON.
//
// A key known when the program is compiled is best set as a `log_key`,
// checked then (it needs no escaping and is no secret's), and a value known
// to need no escaping (hex ids) as `log_value::plain`: a per-request field
// then costs copies, not scans:
//
//     static constexpr log_key trace_key{"trace_id"};
//     ctx.set(trace_key, log_value::plain(trace.hex().view()));
//
// Name a log_key as a constexpr variable, as above: clang 14 crashes
// (a code-generation fault, fixed in later versions) on a function that
// builds two log_key temporaries in its arguments, `set(log_key{"a"}, …)`
// twice, unless the function is a template.
//
// Threads: none of its own; one request's context is used by the thread
// serving that request. Copy it to log from elsewhere.

#include <apikit/core/http_grammar.hpp>
#include <apikit/core/json_string.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace apikit {

namespace detail {
// The letters a needle of is_secret_key starts with, in either case.
inline constexpr auto secret_starts = [] {
    std::array<bool, 256> t{};
    for (char c : {'a', 'c', 'p', 's', 't'})
        t[static_cast<unsigned char>(c)] = t[static_cast<unsigned char>(c - 'a' + 'A')] = true;
    return t;
}();
} // namespace detail

/// True when a value logged under `key` must not be written: the key,
/// compared without case, contains `authorization` (and so
/// `proxy-authorization`), `cookie` (`set-cookie`), `password`, `passwd`,
/// `secret`, `token`, `api_key`, `api-key`, `apikey`, `credential`,
/// `private_key` or `private-key`. Errs on the side of hiding:
/// `token_count` is redacted too.
[[nodiscard]] constexpr bool is_secret_key(std::string_view key) noexcept {
    // It runs for every field set, so it reads the key once: at each
    // position, only the needles starting with that letter are compared.
    auto const at = [&](std::size_t i, std::string_view needle) {
        if (key.size() - i < needle.size())
            return false;
        for (std::size_t k = 0; k < needle.size(); ++k)
            if (grammar::ascii_lower(key[i + k]) != needle[k])
                return false;
        return true;
    };
    for (std::size_t i = 0; i < key.size(); ++i) {
        if (!detail::secret_starts[static_cast<unsigned char>(key[i])])
            continue;
        switch (grammar::ascii_lower(key[i])) {
        case 'a':
            if (at(i, "authorization") || at(i, "api_key") || at(i, "api-key") || at(i, "apikey"))
                return true;
            break;
        case 'c':
            if (at(i, "cookie") || at(i, "credential"))
                return true;
            break;
        case 'p':
            if (at(i, "password") || at(i, "passwd") || at(i, "private_key") ||
                at(i, "private-key"))
                return true;
            break;
        case 's':
            if (at(i, "secret"))
                return true;
            break;
        case 't':
            if (at(i, "token"))
                return true;
            break;
        default:
            break;
        }
    }
    return false;
}

/// One value of a log field, as a log line writes it. Implicit from the
/// types a field holds, so `{"order_id", id}` and `{"duration_ms", 234}` are
/// fields. A string is held by view: it must outlive the call it is passed to.
class log_value {
public:
    enum class kind : std::uint8_t { string, signed_int, unsigned_int, floating, boolean, null };

    log_value(std::string_view s) noexcept : kind_(kind::string), s_(s) {}
    log_value(char const* s) noexcept : kind_(kind::string), s_(s) {}
    log_value(std::string const& s) noexcept : kind_(kind::string), s_(s) {}
    log_value(std::nullptr_t) noexcept : kind_(kind::null) {}
    template <class T>
    requires std::same_as<T, bool> log_value(T b)
    noexcept : kind_(kind::boolean), b_(b) {}
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) log_value(T v)
    noexcept : kind_(std::is_signed_v<T> ? kind::signed_int : kind::unsigned_int) {
        if constexpr (std::is_signed_v<T>)
            i_ = v;
        else
            u_ = v;
    }
    template <std::floating_point T>
    log_value(T v) noexcept : kind_(kind::floating)
                            , d_(static_cast<double>(v)) {}

    /// A string that needs no JSON escaping: printable ASCII other than
    /// `"` and `\` (hex, an id of letters and digits). It is written as is
    /// between quotes, with no scan: the caller's promise, which a debug
    /// build checks. Its type() is `string`.
    [[nodiscard]] static log_value plain(std::string_view s) noexcept {
        assert(std::all_of(s.begin(), s.end(), [](char c) { return is_plain_char(c); }));
        log_value v(s);
        v.plain_ = true;
        return v;
    }

    /// True for a character a JSON string holds as is: printable ASCII
    /// other than `"` and `\`.
    [[nodiscard]] static constexpr bool is_plain_char(char c) noexcept {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }

    [[nodiscard]] kind type() const noexcept { return kind_; }

    /// The most characters write() writes.
    [[nodiscard]] std::size_t max_size() const noexcept {
        if (kind_ != kind::string)
            return max_scalar_size;
        return plain_ ? s_.size() + 2 : json_string_max_size(s_.size());
    }

    /// Writes the value as JSON to `o`, which has room for max_size(), and
    /// returns the end. A double that is not finite is null: JSON has no NaN.
    [[nodiscard]] char* write(char* o) const noexcept {
        switch (kind_) {
        case kind::string:
            if (plain_) {
                *o++ = '"';
                o = put(o, s_);
                *o++ = '"';
                return o;
            }
            return write_json_string(o, s_);
        case kind::signed_int:
            return std::to_chars(o, o + max_scalar_size, i_).ptr;
        case kind::unsigned_int:
            return std::to_chars(o, o + max_scalar_size, u_).ptr;
        case kind::floating:
            if (std::isfinite(d_))
                return std::to_chars(o, o + max_scalar_size, d_).ptr;
            return put(o, "null");
        case kind::boolean:
            return put(o, b_ ? "true" : "false");
        case kind::null:
            break;
        }
        return put(o, "null");
    }

private:
    // A double's shortest round trip is at most 24 characters; a 64-bit
    // integer 20.
    static constexpr std::size_t max_scalar_size = 32;

    static char* put(char* o, std::string_view s) noexcept {
        std::memcpy(o, s.data(), s.size());
        return o + s.size();
    }

    kind kind_;
    bool plain_ = false; // a string that needs no escaping
    std::string_view s_;
    union {
        std::int64_t i_;
        std::uint64_t u_;
        double d_;
        bool b_;
    };
};

/// What a secret's value is written as.
inline constexpr std::string_view redacted_value = R"("[REDACTED]")";

/// A log field's key written in the program: checked when it is compiled,
/// so that setting it neither escapes it nor asks is_secret_key. A key that
/// needs JSON escaping (a control character, a non-ASCII byte, `"`, `\`)
/// or names a secret does not compile: a secret's key is set as a
/// std::string_view, whose value is redacted.
class log_key {
public:
    template <std::size_t N>
    explicit consteval log_key(char const (&key)[N]) : key_(key, N - 1) {
        // A throw in a consteval constructor is a compile error.
        if (!std::all_of(key_.begin(), key_.end(), log_value::is_plain_char))
            throw "apikit::log_key: the key must need no JSON escaping";
        if (is_secret_key(key_))
            throw "apikit::log_key: a secret's key is redacted at run time: set it as a string";
    }

    [[nodiscard]] constexpr std::string_view view() const noexcept { return key_; }

private:
    std::string_view key_;
};

/// The most characters `write_log_member(o, key, value)` writes.
[[nodiscard]] inline std::size_t log_member_max_size(std::string_view key,
                                                     log_value const& value) noexcept {
    return json_string_max_size(key.size()) + 1 + std::max(value.max_size(), redacted_value.size());
}

/// Writes `value` to `o`, which has room for log_member_max_size(), or
/// "[REDACTED]" when `key` is a secret's, and returns the end.
[[nodiscard]] inline char* write_log_value(char* o, std::string_view key,
                                           log_value const& value) noexcept {
    if (is_secret_key(key)) {
        std::memcpy(o, redacted_value.data(), redacted_value.size());
        return o + redacted_value.size();
    }
    return value.write(o);
}

/// Writes `"key":value` to `o`, which has room for log_member_max_size(),
/// the value redacted under a secret key, and returns the end: the one
/// rendering of a field that log_context and the logger share.
[[nodiscard]] inline char* write_log_member(char* o, std::string_view key,
                                            log_value const& value) noexcept {
    o = write_json_string(o, key);
    *o++ = ':';
    return write_log_value(o, key, value);
}

class log_context {
public:
    /// One member as members() holds it.
    struct member {
        std::string_view key;   ///< as it was set, not escaped
        std::string_view json;  ///< `"key":value`, as members() writes it
        std::string_view value; ///< the value's JSON text
    };

    log_context() = default;

    /// Sets `key` to `value` (a string, a number, a bool or nullptr): the
    /// member is appended, or replaced where it stands when the key is set.
    void set(std::string_view key, log_value const& value) {
        bool const secret = is_secret_key(key);
        set_member(key, json_string_max_size(key.size()), secret, value,
                   [key](char* o) { return write_json_string(o, key); });
    }

    /// set() for a key checked when the program was compiled: no escaping,
    /// never a secret.
    void set(log_key key, log_value const& value) {
        auto const k = key.view();
        set_member(k, k.size() + 2, false, value, [k](char* o) {
            *o++ = '"';
            std::memcpy(o, k.data(), k.size());
            o += k.size();
            *o++ = '"';
            return o;
        });
    }

    /// Removes `key` and its value, if set.
    void erase(std::string_view key) noexcept {
        auto const i = index_of(key);
        if (i == npos)
            return;
        auto const& e = entries_[i];
        // The member and the comma that separates it from a neighbour.
        std::size_t at = e.at, len = e.len;
        if (i + 1 < entries_.size())
            ++len;
        else if (i > 0)
            --at, ++len;
        text_.erase(at, len);
        keys_.erase(e.key_at, e.key_len);
        auto const key_len = e.key_len;
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        for (std::size_t k = i; k < entries_.size(); ++k) {
            entries_[k].at -= static_cast<std::uint32_t>(len);
            entries_[k].key_at -= key_len;
        }
    }

    /// The JSON text of `key`'s value (`"user_42"`, `234`), if set.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view key) const noexcept {
        auto const i = index_of(key);
        if (i == npos)
            return std::nullopt;
        return (*this)[i].value;
    }

    /// Forgets every member; keeps the memory, for the next request.
    void clear() noexcept {
        text_.clear();
        keys_.clear();
        entries_.clear();
    }

    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

    /// The members, in the order their keys were first set, as a JSON
    /// object's members without the braces: `"k":v,"k2":v2`; empty when
    /// there are none.
    [[nodiscard]] std::string_view members() const noexcept { return text_; }

    /// The `i`th member, i < size().
    [[nodiscard]] member operator[](std::size_t i) const noexcept {
        // Offsets the context wrote itself: no bounds to check.
        auto const& e = entries_[i];
        char const* const json = text_.data() + e.at;
        return {{keys_.data() + e.key_at, e.key_len},
                {json, e.len},
                {json + e.value_at, e.len - e.value_at}};
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Where a member is: its unescaped key in keys_, its text in text_.
    struct entry {
        std::uint32_t key_at;
        std::uint32_t key_len;
        std::uint32_t at;
        std::uint32_t len;
        std::uint32_t value_at; // in the member: its escaped key's size and the ':'
    };

    // Renders `"key":value` (the value redacted when `secret`) and puts it:
    // `write_key` writes the key's JSON string, of at most `key_most`
    // characters.
    template <class WriteKey>
    void set_member(std::string_view key, std::size_t key_most, bool secret, log_value const& value,
                    WriteKey write_key) {
        char stack[256];
        auto const most = key_most + 1 + std::max(value.max_size(), redacted_value.size());
        std::string heap;
        char* buf = stack;
        if (most > sizeof stack) {
            heap.resize(most);
            buf = heap.data();
        }
        char* value_at = write_key(buf);
        *value_at++ = ':';
        char* end;
        if (secret) {
            std::memcpy(value_at, redacted_value.data(), redacted_value.size());
            end = value_at + redacted_value.size();
        } else {
            end = value.write(value_at);
        }
        put(key, {buf, static_cast<std::size_t>(end - buf)},
            static_cast<std::uint32_t>(value_at - buf));
    }

    [[nodiscard]] std::size_t index_of(std::string_view key) const noexcept {
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            auto const& e = entries_[i];
            if (e.key_len == key.size() &&
                (key.empty() || std::memcmp(keys_.data() + e.key_at, key.data(), key.size()) == 0))
                return i;
        }
        return npos;
    }

    void put(std::string_view key, std::string_view json, std::uint32_t value_at) {
        auto const i = index_of(key);
        if (i == npos) {
            if (!text_.empty())
                text_.push_back(',');
            entries_.push_back({static_cast<std::uint32_t>(keys_.size()),
                                static_cast<std::uint32_t>(key.size()),
                                static_cast<std::uint32_t>(text_.size()),
                                static_cast<std::uint32_t>(json.size()), value_at});
            keys_.append(key);
            text_.append(json);
            return;
        }
        auto& e = entries_[i];
        text_.replace(e.at, e.len, json);
        auto const grown = static_cast<std::uint32_t>(json.size()) - e.len; // modulo 2^32
        e.len = static_cast<std::uint32_t>(json.size());
        e.value_at = value_at;
        for (std::size_t k = i + 1; k < entries_.size(); ++k)
            entries_[k].at += grown;
    }

    std::string text_; // the members, as members() returns them
    std::string keys_; // the keys, unescaped, one after another
    std::vector<entry> entries_;
};

} // namespace apikit

#endif
