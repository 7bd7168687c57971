// Cursor pagination with keyset positions and a signed cursor, and offset
// pagination. Quoted by docs/api.md.
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/offset_page.hpp>
#include <apikit/api/signed_cursor.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace api = apikit::api;

// [row]
struct user {
    std::string id;
    std::int64_t created_at; // milliseconds since the epoch
};

// Boost.JSON's customization point: cursor_page<user> serializes through it.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, user const& u) {
    jv = {{"id", u.id}, {"created_at", u.created_at}};
}

// Newest first by created_at, ties broken by the unique id.
using user_key = api::keyset_position<std::int64_t, std::string>;
// [row]

// [list]
// GET /users?limit=&cursor= over an in-memory table. limit and cursor are
// the query parameters' decoded values, std::nullopt when absent.
template <api::cursor_codec Codec>
api::api_result<api::cursor_page<user>>
list_users(std::map<user_key, user> const& table, Codec const& codec,
           std::optional<std::string_view> limit, std::optional<std::string_view> cursor) {
    // The listing's cursors are good here alone: another listing's, or this
    // one's under another filter, are a 400 like a forged one.
    api::cursor_scope const scope("users");
    auto const n = api::parse_limit(limit); // 422 naming limit when bad
    if (!n)
        return n.error();
    auto const after = api::parse_cursor<user_key>(codec, scope, cursor); // 400 invalid_cursor
    if (!after)
        return after.error();

    api::cursor_page<user> page;
    auto const next = api::keyset_page(table, {*after, *n, api::sort_order::descending},
                                       [&](auto const& row) { page.data.push_back(row.second); });
    if (next)
        page.next_cursor = api::encode_cursor(codec, scope, *next);
    return page;
}
// [list]

int main() {
    std::map<user_key, user> table;
    for (int i = 0; i < 5; ++i) {
        user u{"user_" + std::to_string(i), 1'705'312'800'000 + i / 2}; // created_at ties
        table.emplace(user_key{u.created_at, u.id}, u);
    }

    // [offset]
    auto const q = api::parse_offset_query("2", "2").value(); // ?page=2&per_page=2
    api::offset_page<user> page{{}, table.size(), q.page, q.per_page};
    auto row = table.rbegin(); // newest first
    // Skipping offset() rows is the cost offset pages pay at scale.
    std::advance(row,
                 static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(q.offset(), table.size())));
    for (; row != table.rend() && page.data.size() < q.per_page; ++row)
        page.data.push_back(row->second);
    fmt::print("{}\n", boost::json::serialize(boost::json::value_from(page)));
    // [offset]

    // [walk]
    api::signed_cursor const codec(std::string(32, 'k')); // a real key: 32 random bytes
    std::optional<std::string> cursor;
    do {
        auto const page = list_users(table, codec, "2", cursor).value();
        fmt::print("{}\n", boost::json::serialize(boost::json::value_from(page)));
        cursor = page.next_cursor;
        // Between two requests another client deletes a row already served:
        // an offset would now skip one, the cursor skips and repeats nothing.
        table.erase(std::prev(table.end()));
    } while (cursor);
    // [walk]

    // [scope]
    // A cursor of Ada's orders is good on Ada's orders alone.
    api::cursor_scope const adas_orders("orders", "user_ada"); // GET /users/user_ada/orders
    api::cursor_scope const bobs_orders("orders", "user_bob"); // GET /users/user_bob/orders
    api::cursor_scope const all_users("users");                // GET /users
    auto const text = api::encode_cursor(codec, adas_orders, user_key{1705312800000, "order_1"});
    for (auto const* scope : {&adas_orders, &bobs_orders, &all_users}) {
        auto const after = api::parse_cursor<user_key>(codec, *scope, std::string_view(text));
        fmt::print("{} ", after ? "ok" : after.error().code_name()); // a 400 where it is foreign
    }
    fmt::print("\n"); // ok invalid_cursor invalid_cursor
    // [scope]

    // [json-cursor]
    api::json_cursor const plain;
    api::cursor_scope const users("users");
    fmt::print("{}\n", api::encode_cursor(plain, users, api::id_position<std::int64_t>{123}));
    // NTp1c2Vyczt7ImlkIjoxMjN9, base64url of 5:users;{"id":123}
    // [json-cursor]

    // [bad-input]
    for (auto [limit, cursor] : {std::pair<char const*, char const*>{"20", "AQB7ImtleSI6MX0"},
                                 std::pair<char const*, char const*>{"500", nullptr}}) {
        auto const r = list_users(table, codec, limit,
                                  cursor ? std::optional<std::string_view>(cursor) : std::nullopt);
        auto error = r.error(); // 400 invalid_cursor; 422 validation_error naming limit
        error.request_id = "req_4UM1pQy0r8hV3kX9cTn2Lb";
        fmt::print("{} {}\n", error.status(), api::render(error));
    }
    // [bad-input]
}
