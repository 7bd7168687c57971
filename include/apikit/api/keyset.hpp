#ifndef APIKIT_API_KEYSET_HPP
#define APIKIT_API_KEYSET_HPP

// Keyset pagination. Rows are totally ordered by a key that is unique: a sort
// key with a unique tie-breaker, (created_at, id) say, or the id alone. A
// page is "the first `limit` rows after position p", where p is the key of
// the last row the client has seen, carried in the cursor. Because the next
// page is found by comparing keys, not by counting rows, rows inserted or
// deleted between two requests never make a page skip or repeat a row: every
// row that exists throughout the walk is served exactly once, in order, and
// a deleted cursor row still marks its place.
//
// What is here:
//   keyset_key        the concept a key type models (ordered, JSON both ways)
//   id_position       a key of the id alone: cursor {"id":123}
//   keyset_position   a sort key and an id: cursor {"key":…,"id":…}
//   keyset_query      after (optional key), limit, sort order
//   keyset_page       the algorithm over an ordered container (std::map,
//                     std::set, …) or a sorted range, for in-memory stores;
//                     a SQL store expresses the same query as
//                     `WHERE (key, id) > ($1, $2) ORDER BY key, id LIMIT n`
//   encode_cursor, parse_cursor   key ⇄ cursor text through a cursor_codec,
//                     bound to the listing's cursor_scope

#include <apikit/api/cursor.hpp>
#include <apikit/api/error.hpp>

#include <boost/assert.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <compare>
#include <concepts>
#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::api {

enum class sort_order : bool { ascending, descending };

/// A key for keyset pagination: totally ordered, copyable, and convertible
/// to and from JSON (the cursor carries it). Uniqueness among rows is a
/// requirement no type can state: the ordering must never call two rows equal.
template <class K>
concept keyset_key = std::totally_ordered<K> && std::copy_constructible<K> &&
    boost::json::has_value_from<K>::value && boost::json::has_value_to<K>::value;

/// The position of a row ordered by its unique id alone: `{"id":123}`.
template <class Id>
struct id_position {
    Id id;

    friend auto operator<=>(id_position const&, id_position const&) = default;
};

/// The position of a row ordered by a sort key, ties broken by its unique
/// id: `{"key":1705312800123,"id":"user_…"}`. Compared key first, then id.
template <class Sort, class Id>
struct keyset_position {
    Sort key;
    Id id;

    friend auto operator<=>(keyset_position const&, keyset_position const&) = default;
};

template <class Id>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, id_position<Id> const& p) {
    auto& o = jv.emplace_object();
    o.emplace("id", boost::json::value_from(p.id, o.storage()));
}

template <class Sort, class Id>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                keyset_position<Sort, Id> const& p) {
    auto& o = jv.emplace_object();
    o.reserve(2);
    o.emplace("key", boost::json::value_from(p.key, o.storage()));
    o.emplace("id", boost::json::value_from(p.id, o.storage()));
}

namespace detail {

// The member `name` of `jv`, which must be an object of exactly `size` members.
[[nodiscard]] inline boost::json::value const*
exact_member(boost::json::value const& jv, std::size_t size, std::string_view name) {
    auto const* o = jv.if_object();
    if (o == nullptr || o->size() != size)
        return nullptr;
    return o->if_contains(name);
}

[[nodiscard]] inline boost::system::error_code bad_position() {
    return boost::json::make_error_code(boost::json::error::not_object);
}

} // namespace detail

// Strict: exactly the members written above, each of the right type. An
// unsigned cursor is client text, and a lenient reader would take positions
// no server ever wrote.
template <class Id>
[[nodiscard]] boost::system::result<id_position<Id>>
tag_invoke(boost::json::try_value_to_tag<id_position<Id>>, boost::json::value const& jv) {
    auto const* id = detail::exact_member(jv, 1, "id");
    if (id == nullptr)
        return detail::bad_position();
    auto r = boost::json::try_value_to<Id>(*id);
    if (!r)
        return r.error();
    return id_position<Id>{std::move(*r)};
}

template <class Sort, class Id>
[[nodiscard]] boost::system::result<keyset_position<Sort, Id>>
tag_invoke(boost::json::try_value_to_tag<keyset_position<Sort, Id>>, boost::json::value const& jv) {
    auto const* key = detail::exact_member(jv, 2, "key");
    auto const* id = detail::exact_member(jv, 2, "id");
    if (key == nullptr || id == nullptr)
        return detail::bad_position();
    auto k = boost::json::try_value_to<Sort>(*key);
    if (!k)
        return k.error();
    auto i = boost::json::try_value_to<Id>(*id);
    if (!i)
        return i.error();
    return keyset_position<Sort, Id>{std::move(*k), std::move(*i)};
}

/// What to fetch: the `limit` rows after `after` (from the start when it is
/// empty) in `order`. `limit` must be at least 1 (parse_limit sees to that).
template <class Key>
struct keyset_query {
    static_assert(keyset_key<Key>,
                  "apikit::api::keyset_query's Key must model apikit::api::keyset_key");

    std::optional<Key> after;
    std::size_t limit = 20;
    sort_order order = sort_order::ascending;
};

namespace detail {

// Visits up to `limit` elements of [first, last) and returns the key of the
// last one visited when more remain after it: the next page's `after`.
template <class Key, class It, class KeyOf, class Visit>
[[nodiscard]] std::optional<Key> keyset_take(It first, It last, std::size_t limit,
                                             KeyOf const& key_of, Visit& visit) {
    BOOST_ASSERT_MSG(limit > 0, "a keyset page holds at least one row");
    std::size_t n = 0;
    It last_visited = first;
    for (; first != last && n < limit; ++first, ++n) {
        std::invoke(visit, *first);
        last_visited = first;
    }
    if (first == last || n == 0)
        return std::nullopt;
    return Key(std::invoke(key_of, *last_visited));
}

template <class C>
concept ordered_by_key = requires(C const& c, typename C::key_type const& k) {
    typename C::key_type;
    typename C::value_type;
    { c.lower_bound(k) } -> std::same_as<typename C::const_iterator>;
    { c.upper_bound(k) } -> std::same_as<typename C::const_iterator>;
    requires std::bidirectional_iterator<typename C::const_iterator>;
};

} // namespace detail

/// One page from an ordered associative container keyed by the keyset key
/// (`std::map<Key, Row>`, `std::set<Key>`, `boost::container::flat_map`, …):
/// calls `visit(element)` for each row of the page, in `q.order`, and returns
/// the `after` of the next page, or std::nullopt when this page is the last.
/// The rows after `q.after` are found with the container's own lower_bound or
/// upper_bound, so a page costs O(log n + limit) whatever its depth.
template <detail::ordered_by_key Container, class Visit>
requires keyset_key<typename Container::key_type>
[[nodiscard]] std::optional<typename Container::key_type>
keyset_page(Container const& rows, keyset_query<typename Container::key_type> const& q,
            Visit&& visit) {
    using key_type = typename Container::key_type;
    auto const key_of = [](typename Container::value_type const& v) -> key_type const& {
        if constexpr (std::is_same_v<typename Container::value_type, key_type>)
            return v;
        else
            return v.first;
    };
    if (q.order == sort_order::ascending) {
        auto const first = q.after ? rows.upper_bound(*q.after) : rows.begin();
        return detail::keyset_take<key_type>(first, rows.end(), q.limit, key_of, visit);
    }
    // Descending: the rows strictly before `after`, nearest first.
    auto const stop = q.after ? rows.lower_bound(*q.after) : rows.end();
    return detail::keyset_take<key_type>(std::make_reverse_iterator(stop), rows.rend(), q.limit,
                                         key_of, visit);
}

namespace detail {
template <class Range, class Proj>
using projected_key_t = std::remove_cvref_t<
    std::invoke_result_t<Proj const&, std::ranges::range_reference_t<Range const>>>;
} // namespace detail

/// One page from a range sorted ascending by `proj(element)`, a unique key
/// (a std::vector kept sorted, say): the same contract as above, with the
/// key of an element given by `proj`. O(log n + limit) on a random-access range.
template <std::ranges::bidirectional_range Range, class Proj, class Visit>
requires std::ranges::common_range<Range const> && keyset_key<detail::projected_key_t<Range, Proj>>
[[nodiscard]] std::optional<detail::projected_key_t<Range, Proj>>
keyset_page(Range const& rows, keyset_query<detail::projected_key_t<Range, Proj>> const& q,
            Proj proj, Visit&& visit) {
    using key_type = detail::projected_key_t<Range, Proj>;
    if (q.order == sort_order::ascending) {
        auto const first =
            q.after ? std::ranges::upper_bound(rows, *q.after, {}, proj) : std::ranges::begin(rows);
        return detail::keyset_take<key_type>(first, std::ranges::end(rows), q.limit, proj, visit);
    }
    auto const stop =
        q.after ? std::ranges::lower_bound(rows, *q.after, {}, proj) : std::ranges::end(rows);
    return detail::keyset_take<key_type>(std::make_reverse_iterator(stop),
                                         std::make_reverse_iterator(std::ranges::begin(rows)),
                                         q.limit, proj, visit);
}

/// The cursor text for the position `after` in the listing `scope`.
template <class Key, class Codec>
[[nodiscard]] std::string encode_cursor(Codec const& codec, cursor_scope const& scope,
                                        Key const& after) {
    static_assert(keyset_key<Key>,
                  "apikit::api::encode_cursor's Key must model apikit::api::keyset_key");
    static_assert(cursor_codec<Codec>,
                  "apikit::api::encode_cursor's Codec must model apikit::api::cursor_codec");
    return codec.encode(scope, boost::json::value_from(after));
}

/// The position a `cursor` query parameter names in the listing `scope`:
/// std::nullopt when the parameter is absent (the first page); a 400
/// `invalid_cursor` api_error, with details naming the field `cursor`, when
/// its text is not a cursor this codec made for a `Key` in this same scope
/// (an empty `?cursor=` included, and a cursor of another listing or filter).
template <class Key, class Codec>
[[nodiscard]] api_result<std::optional<Key>>
parse_cursor(Codec const& codec, cursor_scope const& scope, std::optional<std::string_view> text) {
    static_assert(keyset_key<Key>,
                  "apikit::api::parse_cursor's Key must model apikit::api::keyset_key");
    static_assert(cursor_codec<Codec>,
                  "apikit::api::parse_cursor's Codec must model apikit::api::cursor_codec");
    if (!text)
        return std::optional<Key>();
    auto const invalid = [] {
        return api_error(errc::invalid_cursor, {},
                         {{"cursor", "is not a cursor this listing issued"}});
    };
    auto position = codec.decode(scope, *text);
    if (!position)
        return invalid();
    auto key = boost::json::try_value_to<Key>(*position);
    if (!key)
        return invalid();
    return std::optional<Key>(std::move(*key));
}

} // namespace apikit::api

#endif
