#ifndef APIKIT_SERVER_PAGES_HPP
#define APIKIT_SERVER_PAGES_HPP

// The list responses, written from each record's cached JSON:
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

#include <apikit/core/json_string.hpp>

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace sample {

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

/// Appends the cursor page of `rows`; `next_cursor` is null on the last page.
template <class Record>
void append_cursor_page(std::string& out, std::span<std::shared_ptr<Record const> const> rows,
                        std::optional<std::string> const& next_cursor) {
    out.append(R"({"data":)");
    detail::append_rows(out, rows);
    out.append(R"(,"next_cursor":)");
    if (next_cursor)
        apikit::append_json_string(out, *next_cursor);
    else
        out.append("null");
    out.append(next_cursor ? R"(,"has_more":true})" : R"(,"has_more":false})");
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
