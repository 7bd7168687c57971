#ifndef APIKIT_EVENTS_DETAIL_REDIS_BUS_STREAM_HPP
#define APIKIT_EVENTS_DETAIL_REDIS_BUS_STREAM_HPP

// What redis_bus reads from Redis Streams replies. An entry is
// `[id, [field, value, …]]`, with the fields redis_bus writes: `type` (the
// event's type, so a subscriber filters without parsing the envelope) and
// `event` (the envelope, event.hpp's JSON). An entry of a consumer group's
// history whose event was trimmed away comes as `[id, nil]`.
//
// Replies, by command:
//   XADD        the new id, a bulk string
//   XREVRANGE   [entry, …]
//   XREADGROUP  nil (nothing new), or [[key, [entry, …]]]
//   XAUTOCLAIM  [next cursor, [entry, …], [deleted id, …]]   (Redis 7)
// A reply of another shape is redis::error::unexpected_reply; an error reply
// (`-NOGROUP …`) is redis::error::server_error.

#include <apikit/core/error.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/reply.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace apikit::events::detail {

// One entry, as views into the reply it came in.
struct stream_entry {
    std::string_view id;
    position pos;
    std::optional<std::string_view> type; ///< unset: no `type` field
    std::optional<std::string_view> body; ///< unset: no `event` field, or trimmed
    bool trimmed = false;                 ///< `[id, nil]`: the event is gone
};

[[nodiscard]] inline boost::system::error_code reply_error(redis::reply const& r) noexcept {
    return make_error_code(r.is_error() ? redis::error::server_error
                                        : redis::error::unexpected_reply);
}

[[nodiscard]] inline result<stream_entry> entry_of(redis::reply const& r) {
    if (!r.is_array() || r.elements().size() != 2 || !r.elements()[0].is_string())
        return reply_error(r);
    stream_entry out;
    out.id = r.elements()[0].text();
    auto const pos = position::parse(out.id);
    if (!pos)
        return make_error_code(redis::error::unexpected_reply);
    out.pos = *pos;
    auto const& fields = r.elements()[1];
    if (fields.is_nil()) {
        out.trimmed = true;
        return out;
    }
    if (!fields.is_array() || fields.elements().size() % 2 != 0)
        return make_error_code(redis::error::unexpected_reply);
    auto const f = fields.elements();
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
        if (f[i].text() == "type")
            out.type = f[i + 1].text();
        else if (f[i].text() == "event")
            out.body = f[i + 1].text();
    }
    return out;
}

[[nodiscard]] inline result<std::vector<stream_entry>> entries_of(redis::reply const& r) {
    if (!r.is_array())
        return reply_error(r);
    std::vector<stream_entry> out;
    out.reserve(r.elements().size());
    for (auto const& e : r.elements()) {
        auto entry = entry_of(e);
        if (!entry)
            return entry.error();
        out.push_back(*entry);
    }
    return out;
}

// XREADGROUP: nil, or one stream's entries.
[[nodiscard]] inline result<std::vector<stream_entry>> read_entries(redis::reply const& r) {
    if (r.is_nil())
        return std::vector<stream_entry>{};
    if (!r.is_array() || r.elements().size() != 1 || !r.elements()[0].is_array() ||
        r.elements()[0].elements().size() != 2)
        return reply_error(r);
    return entries_of(r.elements()[0].elements()[1]);
}

// XAUTOCLAIM.
struct claimed_entries {
    std::string_view cursor;
    std::vector<stream_entry> entries;
    std::size_t deleted = 0; ///< pending events trimmed away before anyone acknowledged them
};

[[nodiscard]] inline result<claimed_entries> claim_entries(redis::reply const& r) {
    if (!r.is_array() || r.elements().size() < 2 || !r.elements()[0].is_string())
        return reply_error(r);
    claimed_entries out;
    out.cursor = r.elements()[0].text();
    auto entries = entries_of(r.elements()[1]);
    if (!entries)
        return entries.error();
    out.entries = std::move(*entries);
    if (r.elements().size() > 2)
        out.deleted = r.elements()[2].elements().size();
    return out;
}

} // namespace apikit::events::detail

#endif
