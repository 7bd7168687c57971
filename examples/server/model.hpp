#ifndef APIKIT_SERVER_MODEL_HPP
#define APIKIT_SERVER_MODEL_HPP

// The sample service's resources, as the API shows them.
//
// A stored record is immutable once published: the store hands out
// shared_ptr<T const>, so a page of users costs one reference count per row
// rather than a copy of every string, and a reader never sees a record
// half-written. A change (a later PATCH) publishes a new record with
// version + 1. Immutability also lets a record carry its own JSON, serialized
// once when it is published: serving a record or a page of them is then a
// copy of bytes, not a conversion per request.

#include <apikit/api/keyset.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>

namespace sample {

struct user {
    std::string id;         ///< "user_" + 22 random base62 characters
    std::string email;      ///< as given at sign-up; uniqueness ignores case
    std::string name;       ///< as given at sign-up
    std::string created_at; ///< RFC 3339 UTC with milliseconds
    std::int64_t version;   ///< starts at 1; the optimistic-locking counter
    std::uint64_t seq;      ///< insertion order, the keyset sort key; never shown
    /// The password as the KDF left it (apikit::auth::hash_password's PHC
    /// string): never shown, logged, or put in an audit record.
    std::string password_hash;
    std::string json; ///< the fields shown above as the API shows them, see publish()
};

struct order {
    std::string id;      ///< "order_" + 22 random base62 characters
    std::string user_id; ///< the owner
    std::string item;
    std::int64_t quantity;
    std::string created_at;
    std::uint64_t seq; ///< insertion order among all orders; never shown
    std::string json;
};

/// Where a page of a listing stops: the sort key (seq) and the id of its
/// last row, the cursor's content `{"key":17,"id":"user_…"}`. The next page
/// starts strictly after it.
using position = apikit::api::keyset_position<std::uint64_t, std::string>;

/// What a sign-up gives: validated and its password hashed, not yet stored.
struct new_user {
    std::string email;
    std::string name;
    std::string password_hash{}; ///< empty: no password, no login (tests' users)
};

/// What an order gives: validated, not yet stored.
struct new_order {
    std::string item;
    std::int64_t quantity = 0;
};

// The JSON shapes of the contract: exactly these members, in this order.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, user const& u) {
    v = {{"id", u.id},
         {"email", u.email},
         {"name", u.name},
         {"created_at", u.created_at},
         {"version", u.version}};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, order const& o) {
    v = {{"id", o.id},
         {"user_id", o.user_id},
         {"item", o.item},
         {"quantity", o.quantity},
         {"created_at", o.created_at}};
}

/// Fills `r.json` from the other fields: the last step before a record is
/// published, after which nothing in it changes.
template <class Record>
void publish(Record& r) {
    r.json = boost::json::serialize(boost::json::value_from(r));
}

} // namespace sample

#endif
