#ifndef APIKIT_API_ROUTER_HPP
#define APIKIT_API_ROUTER_HPP

// REST resource routes: `/users`, `/users/:id`, `/users/:id/orders`, each
// with a handler per method. A path names a resource; the method picks the
// handler. So an unknown path is errc::not_found (404), and a known path
// without a handler for the method is errc::method_not_allowed (405), which
// carries the methods the resource allows for the `Allow` header.
//
// Patterns. Segments are literals or `:name` parameters:
//   - a literal is made of RFC 3986 pchar characters (letters, digits and
//     `-._~!$&'()*+,;=:@`), without `%`, not `.` or `..`, and not starting
//     with `:`;
//   - a parameter name is `[A-Za-z_][A-Za-z0-9_]*`, unique in its pattern;
//   - `/` alone is the root; otherwise no empty segment and no trailing `/`.
// Registration throws std::invalid_argument for a pattern that breaks these
// rules, a method registered twice for one pattern, or two parameter names at
// one position (`/users/:id` and `/users/:uid/orders`): which name would the
// handler read? A literal and a parameter at one position are fine: the
// literal wins (`/users/me` before `/users/:id`), and matching falls back to
// the parameter when the rest of the path does not match under the literal.
//
// Matching (thread-safe, no allocation unless a parameter is percent-encoded):
//   - the path is the request target's path; a query (`?…`) or fragment is
//     cut off, so passing the whole target is fine;
//   - one trailing `/` is ignored: `/users/` is `/users`;
//   - comparison is case-sensitive, and an empty segment (`/users//1`)
//     matches nothing;
//   - percent-encoding is decoded per segment, after splitting: `/users/a%2Fb`
//     has the one segment `a/b`, and `%75sers` matches the literal `users`;
//     parameter values are handed out decoded. A malformed escape (`%zz`,
//     `%4`) makes the path errc::malformed_request (400).
//   - HEAD is served by the GET handler where no HEAD handler is registered,
//     and is in the allowed set wherever GET is. OPTIONS is not implied: the
//     HTTP layer answers it from `allowed` unless a handler is registered.
// A match refers to the router and to the path: both must outlive it.

#include <apikit/api/error.hpp>
#include <apikit/api/method.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::api {

/// The most `:name` parameters in one pattern.
inline constexpr std::size_t max_path_params = 8;
/// The most segments in one pattern.
inline constexpr std::size_t max_route_segments = 32;

namespace detail {

[[nodiscard]] constexpr bool is_pchar_literal(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

[[nodiscard]] constexpr bool is_param_name(std::string_view s) noexcept {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (char const c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    return true;
}

} // namespace detail

/// The parameters of a matched route, in pattern order, percent-decoded.
class path_params {
public:
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    [[nodiscard]] std::string_view name(std::size_t i) const noexcept { return entries_[i].name; }
    [[nodiscard]] std::string_view value(std::size_t i) const noexcept {
        auto const& e = entries_[i];
        return e.decoded ? std::string_view(decoded_).substr(e.offset, e.size) : e.raw;
    }

    /// The decoded value of `name`; std::nullopt when the route has no such parameter.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < size_; ++i)
            if (entries_[i].name == name)
                return value(i);
        return std::nullopt;
    }

    /// The value of `name` as a `T`: std::string_view (a view of the decoded
    /// value), std::string, or an integer type. An integer must be written
    /// canonically (`42`, `-7`; not `+42`, `042`, `-0`, or out of range), so
    /// one resource has one path; otherwise the answer is errc::not_found, as
    /// for a path with no such resource. A `name` the route does not have is
    /// a bug in the handler: errc::internal_error.
    template <class T>
    [[nodiscard]] apikit::result<T> get(std::string_view name) const {
        auto const v = find(name);
        if (!v)
            return make_error_code(errc::internal_error);
        if constexpr (std::is_same_v<T, std::string_view>) {
            return *v;
        } else if constexpr (std::is_same_v<T, std::string>) {
            return std::string(*v);
        } else {
            static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>,
                          "path_params::get<T>: T is std::string_view, std::string or an integer");
            T out{};
            auto const r = std::from_chars(v->data(), v->data() + v->size(), out);
            if (r.ec != std::errc() || r.ptr != v->data() + v->size())
                return make_error_code(errc::not_found);
            // Canonical form: printing the value back gives the same text.
            char buf[24];
            auto const w = std::to_chars(buf, buf + sizeof buf, out);
            if (std::string_view(buf, static_cast<std::size_t>(w.ptr - buf)) != *v)
                return make_error_code(errc::not_found);
            return out;
        }
    }

private:
    template <class>
    friend class router;

    struct entry {
        std::string_view name;
        std::string_view raw; // into the matched path
        std::uint32_t offset = 0, size = 0;
        bool decoded = false; // the value is decoded_[offset, offset + size)
    };

    void push(std::string_view name, std::string_view raw) noexcept {
        entries_[size_++] = {name, raw, 0, 0, false};
    }

    // False for a malformed escape, which locate() has already refused.
    [[nodiscard]] bool decode() {
        for (std::size_t i = 0; i < size_; ++i) {
            auto& e = entries_[i];
            if (e.raw.find('%') == e.raw.npos)
                continue;
            e.offset = static_cast<std::uint32_t>(decoded_.size());
            if (!grammar::append_percent_decoded(decoded_, e.raw, grammar::plus_means::plus))
                return false;
            e.size = static_cast<std::uint32_t>(decoded_.size() - e.offset);
            e.decoded = true;
        }
        return true;
    }

    std::array<entry, max_path_params> entries_{};
    std::size_t size_ = 0;
    std::string decoded_; // empty unless a value was percent-encoded
};

/// A successful match: the handler for the method, the path parameters, the
/// route's pattern (`/users/:id`, for logs and per-route metrics) and the
/// methods the resource allows.
template <class Handler>
class route_match {
public:
    [[nodiscard]] Handler const& handler() const noexcept { return *handler_; }
    [[nodiscard]] path_params const& params() const noexcept { return params_; }
    [[nodiscard]] std::string_view pattern() const noexcept { return pattern_; }
    [[nodiscard]] method_set allowed() const noexcept { return allowed_; }

private:
    template <class>
    friend class router;

    Handler const* handler_ = nullptr;
    path_params params_;
    std::string_view pattern_;
    method_set allowed_;
};

/// A failed match: errc::not_found, errc::method_not_allowed (with the
/// methods the resource does allow, never empty) or errc::malformed_request.
struct routing_error {
    errc code;
    method_set allowed;

    /// The error response: its status and code come from `code`.
    [[nodiscard]] api_error to_api_error() const { return api_error(code); }
};

[[noreturn]] inline void throw_exception_from_error(routing_error const& e,
                                                    boost::source_location const& loc) {
    boost::throw_with_location(boost::system::system_error(make_error_code(e.code)), loc);
}

template <class Handler>
class router {
    static_assert(std::move_constructible<Handler>,
                  "apikit::api::router's Handler must model std::move_constructible");

public:
    using handler_type = Handler;
    using match_result = boost::system::result<route_match<Handler>, routing_error>;

    router() { nodes_.emplace_back(); }

    /// Registers `handler` for `m` on `pattern`. Throws std::invalid_argument
    /// for a malformed pattern, a duplicate or an ambiguous registration (see
    /// above). Registration is set-up: it must not race with match().
    router& add(method m, std::string_view pattern, Handler handler) {
        auto const fail = [&](char const* why) {
            throw std::invalid_argument(std::string("apikit::api::router: ") + why + ": " +
                                        std::string(pattern));
        };
        // Everything is checked before anything is inserted, so a throw
        // leaves the router as it was.
        auto const segments = split_pattern(pattern, fail);
        std::uint32_t at = 0;
        bool existing = true; // `at` is a node already in the tree
        for (auto const seg : segments) {
            auto const& nd = nodes_[at];
            if (seg.front() == ':') {
                if (nd.param != npos && nd.param_name != seg.substr(1))
                    fail("two parameter names at one position");
                at = nd.param;
            } else {
                at = find_literal(nd, seg);
            }
            if (at == npos) {
                existing = false;
                break;
            }
        }
        if (existing && nodes_[at].handlers[static_cast<std::size_t>(m)] != npos)
            fail("the method is already registered for this pattern");

        handlers_.reserve(handlers_.size() + 1); // nothing below throws once it is done
        at = 0;
        for (auto const seg : segments)
            at = seg.front() == ':' ? param_child(at, seg.substr(1)) : literal_child(at, seg);
        auto& target = nodes_[at];
        target.handlers[static_cast<std::size_t>(m)] = static_cast<std::uint32_t>(handlers_.size());
        handlers_.push_back(std::move(handler));
        target.pattern.assign(pattern);
        target.allowed.insert(m);
        if (m == method::get)
            target.allowed.insert(method::head);
        depth_ = std::max(depth_, segments.size());
        return *this;
    }

    /// The handler for `m` on `path` with its parameters, or the routing error.
    [[nodiscard]] match_result match(method m, std::string_view path) const {
        route_match<Handler> out;
        auto const found = locate(path, out.params_);
        if (!found)
            return found.error();
        auto const& nd = nodes_[*found];
        auto h = nd.handlers[static_cast<std::size_t>(m)];
        if (h == npos && m == method::head)
            h = nd.handlers[static_cast<std::size_t>(method::get)];
        if (h == npos)
            return routing_error{errc::method_not_allowed, nd.allowed};
        if (!out.params_.decode())
            return routing_error{errc::malformed_request, {}};
        out.handler_ = &handlers_[h];
        out.pattern_ = nd.pattern;
        out.allowed_ = nd.allowed;
        return out;
    }

    /// The methods `path` allows: empty when no resource has that path. For
    /// a method outside api::method, or OPTIONS, answered by the HTTP layer.
    [[nodiscard]] method_set allowed(std::string_view path) const {
        path_params scratch;
        auto const found = locate(path, scratch);
        return found ? nodes_[*found].allowed : method_set{};
    }

private:
    static constexpr std::uint32_t npos = 0xffffffff;

    struct node {
        std::vector<std::pair<std::string, std::uint32_t>> literals;
        std::uint32_t param = npos; // the `:name` child
        std::string param_name;
        std::array<std::uint32_t, method_count> handlers;
        method_set allowed; // empty: no route ends here
        std::string pattern;

        node() { handlers.fill(npos); }
    };

    struct pattern_segments {
        std::array<std::string_view, max_route_segments> items;
        std::size_t count = 0;

        std::string_view const* begin() const noexcept { return items.data(); }
        std::string_view const* end() const noexcept { return items.data() + count; }
        std::size_t size() const noexcept { return count; }
    };

    // The segments of a pattern, each checked against the rules above.
    template <class Fail>
    [[nodiscard]] static pattern_segments split_pattern(std::string_view pattern,
                                                        Fail const& fail) {
        if (pattern.empty() || pattern.front() != '/')
            fail("a pattern starts with '/'");
        pattern_segments out;
        std::size_t n_params = 0;
        // "/" is the root, no segments; any other pattern is "/seg/seg/…".
        for (auto rest = pattern.substr(1); pattern.size() > 1;) {
            auto const slash = rest.find('/');
            auto const seg = rest.substr(0, slash);
            if (seg.empty())
                fail("empty segment or trailing '/'");
            if (out.count == max_route_segments)
                fail("too many segments");
            if (seg.front() == ':') {
                auto const name = seg.substr(1);
                if (!detail::is_param_name(name))
                    fail("a parameter name is [A-Za-z_][A-Za-z0-9_]*");
                if (++n_params > max_path_params)
                    fail("too many parameters");
                for (auto const other : out)
                    if (other == seg)
                        fail("a parameter name appears twice");
            } else {
                for (char const c : seg)
                    if (!detail::is_pchar_literal(c))
                        fail("a literal segment has a character outside RFC 3986 pchar");
                if (seg == "." || seg == "..")
                    fail("a dot segment");
            }
            out.items[out.count++] = seg;
            if (slash == rest.npos)
                break;
            rest = rest.substr(slash + 1);
        }
        return out;
    }

    [[nodiscard]] static std::uint32_t find_literal(node const& nd, std::string_view seg) noexcept {
        for (auto const& [lit, child] : nd.literals)
            if (lit == seg)
                return child;
        return npos;
    }

    [[nodiscard]] std::uint32_t literal_child(std::uint32_t at, std::string_view seg) {
        if (auto const child = find_literal(nodes_[at], seg); child != npos)
            return child;
        auto const child = new_node();
        nodes_[at].literals.emplace_back(std::string(seg), child);
        return child;
    }

    [[nodiscard]] std::uint32_t param_child(std::uint32_t at, std::string_view name) {
        if (nodes_[at].param != npos)
            return nodes_[at].param;
        auto const child = new_node();
        nodes_[at].param = child;
        nodes_[at].param_name.assign(name);
        return child;
    }

    [[nodiscard]] std::uint32_t new_node() {
        nodes_.emplace_back();
        return static_cast<std::uint32_t>(nodes_.size() - 1);
    }

    // The node of the resource `path` names, its parameters pushed to `params`.
    [[nodiscard]] boost::system::result<std::uint32_t, routing_error>
    locate(std::string_view path, path_params& params) const {
        routing_error const not_found{errc::not_found, {}};
        // A plain loop: find_first_of calls memchr once per character.
        for (std::size_t i = 0; i < path.size(); ++i) {
            if (path[i] == '?' || path[i] == '#') {
                path = path.substr(0, i);
                break;
            }
        }
        if (path.empty() || path.front() != '/')
            return not_found;
        if (!grammar::has_valid_percent_escapes(path))
            return routing_error{errc::malformed_request, {}};
        if (path.size() > 1 && path.back() == '/' && path[path.size() - 2] != '/')
            path.remove_suffix(1);
        // Split first: a path deeper than every route is rejected before any
        // comparison, and the walk below indexes segments.
        std::array<std::string_view, max_route_segments> segments;
        std::size_t n = 0;
        if (path.size() > 1) {
            auto rest = path.substr(1);
            for (;;) {
                if (n == depth_)
                    return not_found;
                auto const slash = rest.find('/');
                segments[n++] = rest.substr(0, slash);
                if (slash == rest.npos)
                    break;
                rest = rest.substr(slash + 1);
            }
        }
        auto const found = walk(0, std::span(segments.data(), n), params);
        if (found == npos)
            return not_found;
        return found;
    }

    // Depth-first, literal before parameter. A node sits at one depth of the
    // tree, so it is tried at most once per match: the walk is O(nodes) at
    // worst, and O(segments) when no literal and parameter share a position.
    [[nodiscard]] std::uint32_t walk(std::uint32_t at, std::span<std::string_view const> rest,
                                     path_params& params) const {
        auto const& nd = nodes_[at];
        if (rest.empty())
            return nd.allowed.empty() ? npos : at;
        auto const seg = rest.front();
        if (seg.empty())
            return npos;
        bool const encoded = seg.find('%') != seg.npos;
        for (auto const& [lit, child] : nd.literals) {
            if (encoded ? grammar::percent_decoded_equals(seg, lit, grammar::plus_means::plus)
                        : lit == seg) {
                if (auto const r = walk(child, rest.subspan(1), params); r != npos)
                    return r;
                break; // literals are distinct: no other one matches
            }
        }
        if (nd.param != npos) {
            auto const mark = params.size_;
            params.push(nd.param_name, seg);
            if (auto const r = walk(nd.param, rest.subspan(1), params); r != npos)
                return r;
            params.size_ = mark;
        }
        return npos;
    }

    std::vector<node> nodes_;
    std::vector<Handler> handlers_;
    std::size_t depth_ = 0; // the most segments of any pattern
};

} // namespace apikit::api

#endif
