#ifndef APIKIT_REDIS_DETAIL_CLUSTER_TOPOLOGY_HPP
#define APIKIT_REDIS_DETAIL_CLUSTER_TOPOLOGY_HPP

// What a Redis Cluster says about itself, read into values: which primary
// owns which slots (`CLUSTER SHARDS`, Redis 7; `CLUSTER SLOTS` before it),
// and where a `MOVED` or `ASK` error sends a command. The cluster client
// (cluster_client.hpp) builds its slot map from these.
//
// Pure functions of a reply: no I/O, no state, no threads, no clock. A reply
// that is not what Redis sends (a wrong type, a missing field, an odd list of
// slots, a slot past 16383, a range that ends before it starts, a port
// outside 1–65535) is `error::unexpected_reply`, never a crash or an
// exception, and never a topology half-read: the client keeps the map it has
// and asks again.
//
// Hosts: a node that does not know its own address reports "" (or "?" when
// its preferred endpoint type is unknown); that means "the host you asked",
// and `default_host` (the host of the node that answered) is used instead.
// CLUSTER SHARDS lists every node of a shard with its health: the primary is
// the node whose role is "master" and whose health is "online", the replicas
// are the online "replica" nodes; a shard without an online primary (it has
// failed and no replica has been promoted yet) or without slots is left out,
// so its slots are nobody's until the next refresh finds their new owner.

#include <apikit/core/error.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/reply.hpp>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::redis::detail {

struct node_address {
    std::string host;
    std::uint16_t port = 0;
    std::string id; ///< the node's id, 40 hex digits; empty if the reply has none

    [[nodiscard]] friend bool operator==(node_address const&, node_address const&) = default;
};

/// Slots `first` to `last`, both included.
struct slot_range {
    std::uint16_t first = 0, last = 0;

    [[nodiscard]] friend bool operator==(slot_range const&, slot_range const&) = default;
};

struct cluster_shard {
    std::vector<slot_range> slots;
    node_address primary;
    std::vector<node_address> replicas;

    [[nodiscard]] friend bool operator==(cluster_shard const&, cluster_shard const&) = default;
};

struct cluster_topology {
    std::vector<cluster_shard> shards; ///< in the reply's order

    [[nodiscard]] friend bool operator==(cluster_topology const&,
                                         cluster_topology const&) = default;
};

/// Where a MOVED or ASK error sends a command.
struct redirect {
    enum class kind : std::uint8_t { moved, ask } k = kind::moved;
    std::uint16_t slot = 0;
    std::string host;
    std::uint16_t port = 0;

    [[nodiscard]] friend bool operator==(redirect const&, redirect const&) = default;
};

namespace topology_parse {

/// An integer reply, or a bulk string holding one.
[[nodiscard]] inline std::optional<std::int64_t> integer_of(reply const& r) {
    auto v = r.as<std::int64_t>();
    if (!v)
        return std::nullopt;
    return *v;
}

[[nodiscard]] inline bool is_text(reply const& r) noexcept {
    return r.is_string() || r.is_status();
}

[[nodiscard]] inline std::optional<std::uint16_t> port_of(reply const& r) {
    auto const v = integer_of(r);
    if (!v || *v < 1 || *v > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(*v);
}

[[nodiscard]] inline std::optional<slot_range> range_of(reply const& first, reply const& last) {
    auto const f = integer_of(first);
    auto const l = integer_of(last);
    if (!f || !l || *f < 0 || *l >= slot_count || *f > *l)
        return std::nullopt;
    return slot_range{static_cast<std::uint16_t>(*f), static_cast<std::uint16_t>(*l)};
}

[[nodiscard]] inline bool usable_host(std::string_view h) noexcept {
    return !h.empty() && h != "?";
}

/// A flat list of alternating names and values (a RESP2 map): calls
/// `field(name, value)` for each pair; false on an odd list, a name that is
/// not text, or when `field` says false.
template <class Field>
[[nodiscard]] bool for_each_field(reply const& map, Field&& field) {
    if (!map.is_array() || map.elements().size() % 2 != 0)
        return false;
    auto const e = map.elements();
    for (std::size_t i = 0; i < e.size(); i += 2) {
        if (!is_text(e[i]) || !field(e[i].text(), e[i + 1]))
            return false;
    }
    return true;
}

/// One node of CLUSTER SHARDS, as far as it was read.
struct shard_node {
    std::string_view id, ip, endpoint, role, health;
    reply const* port = nullptr;
};

[[nodiscard]] inline bool read_shard_node(reply const& r, shard_node& n) {
    return for_each_field(r, [&](std::string_view name, reply const& v) {
        std::string_view* text = nullptr;
        if (name == "id")
            text = &n.id;
        else if (name == "ip")
            text = &n.ip;
        else if (name == "endpoint")
            text = &n.endpoint;
        else if (name == "role")
            text = &n.role;
        else if (name == "health")
            text = &n.health;
        else if (name == "port")
            n.port = &v;
        if (text == nullptr)
            return true; // port, or a field this parser does not need
        if (!is_text(v))
            return false;
        *text = v.text();
        return true;
    });
}

[[nodiscard]] inline std::optional<node_address> address_of(shard_node const& n,
                                                            std::string_view default_host) {
    if (n.port == nullptr)
        return std::nullopt;
    auto const port = port_of(*n.port);
    if (!port)
        return std::nullopt;
    std::string_view host = default_host;
    if (usable_host(n.endpoint))
        host = n.endpoint;
    else if (usable_host(n.ip))
        host = n.ip;
    return node_address{std::string(host), *port, std::string(n.id)};
}

/// A node of CLUSTER SLOTS: `[host, port, id, …]`.
[[nodiscard]] inline std::optional<node_address> slots_node(reply const& r,
                                                            std::string_view default_host) {
    auto const e = r.elements();
    if (!r.is_array() || e.size() < 2 || !is_text(e[0]) || (e.size() > 2 && !is_text(e[2])))
        return std::nullopt;
    auto const port = port_of(e[1]);
    if (!port)
        return std::nullopt;
    auto const host = usable_host(e[0].text()) ? e[0].text() : default_host;
    return node_address{std::string(host), *port, e.size() > 2 ? std::string(e[2].text()) : ""};
}

[[nodiscard]] inline result<cluster_topology> malformed() {
    return make_error_code(error::unexpected_reply);
}

} // namespace topology_parse

/// The topology in a `CLUSTER SHARDS` reply (Redis 7): per shard,
/// `slots` [first, last, first, last, …] and `nodes` [{id, port, ip,
/// endpoint, hostname, role, replication-offset, health}, …].
[[nodiscard]] inline result<cluster_topology> parse_cluster_shards(reply const& r,
                                                                   std::string_view default_host) {
    namespace tp = topology_parse;
    if (!r.is_array())
        return tp::malformed();
    cluster_topology topology;
    for (auto const& shard_reply : r.elements()) {
        reply const* slots = nullptr;
        reply const* nodes = nullptr;
        bool const ok = tp::for_each_field(shard_reply, [&](std::string_view name, reply const& v) {
            if (name == "slots")
                slots = &v;
            else if (name == "nodes")
                nodes = &v;
            return true;
        });
        if (!ok || slots == nullptr || nodes == nullptr || !slots->is_array() ||
            !nodes->is_array() || slots->elements().size() % 2 != 0)
            return tp::malformed();

        cluster_shard shard;
        auto const s = slots->elements();
        for (std::size_t i = 0; i < s.size(); i += 2) {
            auto const range = tp::range_of(s[i], s[i + 1]);
            if (!range)
                return tp::malformed();
            shard.slots.push_back(*range);
        }

        bool has_primary = false;
        for (auto const& node_reply : nodes->elements()) {
            tp::shard_node node;
            if (!tp::read_shard_node(node_reply, node))
                return tp::malformed();
            if (node.health != "online")
                continue;
            bool const primary = node.role == "master" && !has_primary;
            if (!primary && node.role != "replica")
                continue;
            auto address = tp::address_of(node, default_host);
            if (!address)
                return tp::malformed();
            if (primary) {
                shard.primary = std::move(*address);
                has_primary = true;
            } else {
                shard.replicas.push_back(std::move(*address));
            }
        }
        if (has_primary && !shard.slots.empty())
            topology.shards.push_back(std::move(shard));
    }
    return topology;
}

/// The topology in a `CLUSTER SLOTS` reply: [[first, last, [host, port, id,
/// …], replica…], …]. A primary that serves several ranges is one shard.
[[nodiscard]] inline result<cluster_topology> parse_cluster_slots(reply const& r,
                                                                  std::string_view default_host) {
    namespace tp = topology_parse;
    if (!r.is_array())
        return tp::malformed();
    cluster_topology topology;
    for (auto const& range_reply : r.elements()) {
        auto const e = range_reply.elements();
        if (!range_reply.is_array() || e.size() < 3)
            return tp::malformed();
        auto const range = tp::range_of(e[0], e[1]);
        auto primary = tp::slots_node(e[2], default_host);
        if (!range || !primary)
            return tp::malformed();
        std::vector<node_address> replicas;
        for (auto const& replica_reply : e.subspan(3)) {
            auto replica = tp::slots_node(replica_reply, default_host);
            if (!replica)
                return tp::malformed();
            replicas.push_back(std::move(*replica));
        }

        cluster_shard* shard = nullptr;
        for (auto& known : topology.shards)
            if (known.primary.host == primary->host && known.primary.port == primary->port &&
                known.primary.id == primary->id)
                shard = &known;
        if (shard == nullptr) {
            shard = &topology.shards.emplace_back();
            shard->primary = std::move(*primary);
            shard->replicas = std::move(replicas);
        }
        shard->slots.push_back(*range);
    }
    return topology;
}

/// True when every slot, 0 to 16383, is in exactly one range of one shard.
[[nodiscard]] inline bool covers_all_slots(cluster_topology const& t) {
    std::bitset<slot_count> seen;
    for (auto const& shard : t.shards)
        for (auto const& range : shard.slots) {
            if (range.first > range.last || range.last >= slot_count)
                return false;
            for (std::size_t s = range.first; s <= range.last; ++s) {
                if (seen.test(s))
                    return false;
                seen.set(s);
            }
        }
    return seen.all();
}

/// The shard that owns `slot`, as an index into t.shards; nullopt if none.
[[nodiscard]] inline std::optional<std::size_t> shard_of(cluster_topology const& t,
                                                         std::uint16_t slot) noexcept {
    for (std::size_t i = 0; i < t.shards.size(); ++i)
        for (auto const& range : t.shards[i].slots)
            if (range.first <= slot && slot <= range.last)
                return i;
    return std::nullopt;
}

/// The redirection in an error reply's text (reply::text(): no leading '-'):
/// `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381`. The port is
/// after the last ':', so an IPv6 host (`::1:6381`) reads whole; an empty
/// host (`:6381`) is `default_host`. Anything else, or a slot or port out of
/// range: nullopt.
[[nodiscard]] inline std::optional<redirect> parse_redirect(std::string_view error_text,
                                                            std::string_view default_host) {
    redirect out;
    if (error_text.starts_with("MOVED ")) {
        out.k = redirect::kind::moved;
        error_text.remove_prefix(6);
    } else if (error_text.starts_with("ASK ")) {
        out.k = redirect::kind::ask;
        error_text.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    auto const number = [](std::string_view s, unsigned max) -> std::optional<unsigned> {
        if (s.empty() || s.size() > 5)
            return std::nullopt;
        unsigned v = 0;
        for (char c : s) {
            if (c < '0' || c > '9')
                return std::nullopt;
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v > max)
            return std::nullopt;
        return v;
    };
    auto const space = error_text.find(' ');
    if (space == std::string_view::npos)
        return std::nullopt;
    auto const slot = number(error_text.substr(0, space), slot_count - 1);
    auto const address = error_text.substr(space + 1);
    auto const colon = address.rfind(':');
    if (!slot || colon == std::string_view::npos ||
        address.find_first_of(" \t\r\n") != std::string_view::npos)
        return std::nullopt;
    auto const port = number(address.substr(colon + 1), 65535);
    if (!port || *port == 0)
        return std::nullopt;
    auto host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    out.slot = static_cast<std::uint16_t>(*slot);
    out.host = std::string(host.empty() ? default_host : host);
    out.port = static_cast<std::uint16_t>(*port);
    return out;
}

} // namespace apikit::redis::detail

#endif
