#ifndef APIKIT_API_CURSOR_PAGE_HPP
#define APIKIT_API_CURSOR_PAGE_HPP

// A cursor page, the preferred list response:
//
//   {"data":[…],"next_cursor":"eyJpZCI6MTIzfQ==","has_more":true}
//   {"data":[…],"next_cursor":null,"has_more":false}      (the last page)
//
// `has_more` is not stored: it is "there is a next cursor", so the two can
// never disagree. `data` holds any T that Boost.JSON converts (a tag_invoke
// of the user's own type, a boost::json::value, a string …).

#include <apikit/api/error.hpp>
#include <apikit/api/query_param.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::api {

template <class T>
struct cursor_page {
    std::vector<T> data;
    /// The cursor of the next page; std::nullopt on the last page.
    std::optional<std::string> next_cursor;

    bool has_more() const noexcept { return next_cursor.has_value(); }
};

template <class T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, cursor_page<T> const& page) {
    static_assert(
        boost::json::has_value_from<T>::value,
        "cursor_page<T> needs a Boost.JSON conversion of T (a tag_invoke for value_from)");
    auto& o = jv.emplace_object();
    o.reserve(3);
    o.emplace("data", boost::json::value_from(page.data, o.storage()));
    if (page.next_cursor)
        o.emplace("next_cursor", *page.next_cursor);
    else
        o.emplace("next_cursor", nullptr);
    o.emplace("has_more", page.has_more());
}

/// The `limit` query parameter (1 to 100, default 20) from its decoded text,
/// or std::nullopt when absent; see limit_param.
[[nodiscard]] inline api_result<std::size_t> parse_limit(std::optional<std::string_view> text) {
    auto r = limit_param.parse(text);
    if (!r)
        return r.error();
    return static_cast<std::size_t>(*r);
}

} // namespace apikit::api

#endif
