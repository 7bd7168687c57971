#ifndef APIKIT_SERVER_PAGES_HPP
#define APIKIT_SERVER_PAGES_HPP

// The listings' pages: what a listing request asks for, and the response.
//
// Every listing takes the same query, read once by parse_page_args: a
// cursor page (`?limit=&cursor=`, the preferred kind and the default) or an
// offset page (`?page=&per_page=`, chosen by either parameter); both at once
// is a 422 rather than one silently ignored. A cursor is good only in the
// listing (and for the filter) that issued it: each listing names its
// api::cursor_scope, which the cursor is signed with.
//
// The responses are written from each record's cached JSON:
//
//   {"data":[…],"next_cursor":"…","has_more":true}     api::cursor_page
//   {"data":[…],"total":5,"page":1,"per_page":20}       api::offset_page
//
// The shapes are apikit's (<apikit/api/cursor_page.hpp>,
// <apikit/api/offset_page.hpp>), and the bytes are exactly what
// `serialize(value_from(api::cursor_page<user>{…}))` gives — a test holds
// the two together. Only the route is faster: the rows are copied as ready
// bytes into the response's reused buffer instead of being converted to a
// boost::json::value and serialized again on every request.

#include "model.hpp"

#include <apikit/api/cursor.hpp>
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/offset_page.hpp>
#include <apikit/api/signed_cursor.hpp>
#include <apikit/core/json_string.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sample {

/// A listing request's pagination parameters, each its decoded value or
/// std::nullopt when the query does not have it.
struct page_query {
    std::optional<std::string_view> limit, cursor, page, per_page;
};

/// `?limit=&cursor=`: up to `limit` rows after `after` (from the newest when
/// it is empty).
struct cursor_args {
    std::size_t limit = 20;
    std::optional<position> after;
};

/// What a listing request asks for: a cursor page or an offset page.
using page_args = std::variant<cursor_args, apikit::api::offset_query>;

/// Reads `q` for the listing whose cursors are signed by `cursors` in
/// `scope`. A bad `limit`, `page` or `per_page` is a 422 naming it; a cursor
/// that is not this listing's, for this filter, a 400 invalid_cursor; a
/// cursor parameter (`cursor`, `limit`) with an offset one (`page`,
/// `per_page`) a 422 naming the cursor parameter.
[[nodiscard]] inline apikit::api::api_result<page_args>
parse_page_args(page_query const& q, apikit::api::signed_cursor const& cursors,
                apikit::api::cursor_scope const& scope) {
    namespace api = apikit::api;
    if (q.page || q.per_page) {
        // A client that sends both is confused about which kind of page it
        // walks, and hears so rather than having one kind ignored.
        for (auto const& [name, text] :
             {std::pair{"cursor", q.cursor}, std::pair{"limit", q.limit}})
            if (text)
                return api::api_error::validation(name, "cannot be combined with page or per_page");
        auto offset = api::parse_offset_query(q.page, q.per_page);
        if (!offset)
            return offset.error();
        return page_args(*offset);
    }
    auto limit = api::parse_limit(q.limit);
    if (!limit)
        return limit.error();
    auto after = api::parse_cursor<position>(cursors, scope, q.cursor);
    if (!after)
        return after.error();
    return page_args(cursor_args{*limit, std::move(*after)});
}

namespace detail {

template <class Record>
void append_rows(std::string& out, std::span<std::shared_ptr<Record const> const> rows) {
    std::size_t bytes = 2;
    for (auto const& r : rows)
        bytes += r->json.size() + 1;
    out.reserve(out.size() + bytes + 128);
    out.push_back('[');
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i != 0)
            out.push_back(',');
        out.append(rows[i]->json);
    }
    out.push_back(']');
}

inline void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

} // namespace detail

/// Appends what follows a cursor page's `data`: `,"next_cursor":…,"has_more":…}`,
/// `next_cursor` null on the last page. Every cursor listing ends so.
inline void append_cursor_page_end(std::string& out,
                                   std::optional<std::string> const& next_cursor) {
    out.append(R"(,"next_cursor":)");
    if (next_cursor)
        apikit::append_json_string(out, *next_cursor);
    else
        out.append("null");
    out.append(next_cursor ? R"(,"has_more":true})" : R"(,"has_more":false})");
}

/// Appends the cursor page of `rows`; `next_cursor` is null on the last page.
template <class Record>
void append_cursor_page(std::string& out, std::span<std::shared_ptr<Record const> const> rows,
                        std::optional<std::string> const& next_cursor) {
    out.append(R"({"data":)");
    detail::append_rows(out, rows);
    append_cursor_page_end(out, next_cursor);
}

/// Appends the offset page of `rows`.
template <class Record>
void append_offset_page(std::string& out, std::span<std::shared_ptr<Record const> const> rows,
                        std::uint64_t total, std::uint64_t page, std::uint64_t per_page) {
    out.append(R"({"data":)");
    detail::append_rows(out, rows);
    out.append(R"(,"total":)");
    detail::append_uint(out, total);
    out.append(R"(,"page":)");
    detail::append_uint(out, page);
    out.append(R"(,"per_page":)");
    detail::append_uint(out, per_page);
    out.push_back('}');
}

} // namespace sample

#endif
