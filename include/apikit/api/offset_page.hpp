#ifndef APIKIT_API_OFFSET_PAGE_HPP
#define APIKIT_API_OFFSET_PAGE_HPP

// An offset page, the simple list response:
//
//   {"data":[…],"total":1234,"page":2,"per_page":20}
//
// Simple, and problematic at scale: the store must skip `offset` rows to
// serve a page, and a row inserted or deleted before the offset shifts every
// later page by one, so a client walking the pages skips or repeats a row.
// Prefer cursor pages (<apikit/api/cursor_page.hpp>) for anything that grows.

#include <apikit/api/error.hpp>
#include <apikit/api/query_param.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::api {

/// A validated `page` (from 1) and `per_page` (1 to 100).
struct offset_query {
    std::uint64_t page = 1;
    std::uint64_t per_page = 20;

    /// The rows before this page. parse_offset_query guarantees it fits a
    /// signed 64-bit integer (a SQL OFFSET), whatever the client asked.
    [[nodiscard]] constexpr std::uint64_t offset() const noexcept { return (page - 1) * per_page; }
};

/// The `page` and `per_page` query parameters from their decoded text (each
/// std::nullopt when absent). Every bad parameter is reported at once in one
/// 422 `validation_error`, a detail per field; a page whose offset would not
/// fit a signed 64-bit integer is a bad `page`.
[[nodiscard]] inline api_result<offset_query>
parse_offset_query(std::optional<std::string_view> page, std::optional<std::string_view> per_page) {
    auto p = page_param.parse(page);
    auto pp = per_page_param.parse(per_page);
    std::vector<field_error> details;
    if (!p)
        details.push_back(p.error().details.front());
    if (!pp)
        details.push_back(pp.error().details.front());
    if (p && pp && *p - 1 > integer_param::unbounded / *pp)
        details.push_back({std::string(page_param.name()), "is too large"});
    if (!details.empty())
        return api_error::validation(std::move(details));
    return offset_query{*p, *pp};
}

template <class T>
struct offset_page {
    std::vector<T> data;
    std::uint64_t total = 0;
    std::uint64_t page = 1;
    std::uint64_t per_page = 20;
};

template <class T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, offset_page<T> const& page) {
    static_assert(
        boost::json::has_value_from<T>::value,
        "offset_page<T> needs a Boost.JSON conversion of T (a tag_invoke for value_from)");
    auto& o = jv.emplace_object();
    o.reserve(4);
    o.emplace("data", boost::json::value_from(page.data, o.storage()));
    o.emplace("total", page.total);
    o.emplace("page", page.page);
    o.emplace("per_page", page.per_page);
}

} // namespace apikit::api

#endif
