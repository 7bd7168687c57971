#ifndef APIKIT_EVENTS_REDIS_BUS_HPP
#define APIKIT_EVENTS_REDIS_BUS_HPP

// The bus on Redis Streams: one log of events shared by every server process
// that talks to one Redis (or one Redis Cluster), so a subscriber in one
// process gets what another published, and GET /events in either lists
// both. It models `events::bus` and `events::event_log` (the
// completion-handler form: every operation is a round trip).
//
// The client. basic_redis_bus<Client> talks to Redis through any
// redis::client (client.hpp): redis::connection, one Redis, by default
// (`events::redis_bus`); redis::cluster_client, one Redis or a cluster
// (`basic_redis_bus bus(cluster)` deduces it). The bus's code is the same on
// both: every command it sends names the one stream key, so on a cluster
// each goes to the node that owns the stream's slot.
//
// The stream. One stream for every event of the bus, at
// `<key_prefix>:events:{<stream>}` (`apikit:events:{all}`): one key, so one
// order of all events, and its hash tag is the whole name, so a cluster keeps
// it in one slot, on one node (a bus's events do not spread over a cluster's
// primaries: buses on streams of other names may land elsewhere). Each entry
// has two fields, `type` and `event` (the envelope's JSON, event.hpp).
// XADD … MAXLEN ~ max_length keeps it bounded (Redis trims whole nodes, so a
// little more may remain); positions are the ids Redis gives, `<ms>-<seq>`
// of its own clock, so they only grow.
//
// Subscriptions are consumers of consumer groups (subscribe_options::group
// and ::consumer): each group gets every event; within a group each event
// goes to one consumer, so N processes that subscribe with one group share
// the work (the welcome email is sent once), and with N groups each gets all.
// A subscription with no group has one of its own (every event, as in
// memory), destroyed when it ends. A new group starts at the end of the stream, or after
// subscribe_options::after (replay); an existing group goes on from where it
// was. detail/redis_bus_subscription.hpp is the loop, command by command.
//
// At least once. An event is acknowledged (XACK) after the subscriber
// returned. A consumer that crashes first, or whose subscriber throws, leaves
// it pending, and any consumer of the group claims it (XAUTOCLAIM) once it
// has been pending for claim_after. So a subscriber can get one event twice
// (and, after a claim, out of order): it must be idempotent — remember the
// `event.id`s it has handled (e.g. `SET apikit:seen:<id> 1 NX EX …` before
// acting), or make the action itself idempotent (an upsert keyed by the id).
//
// Polling, not blocking. The client's connections are pipelined: a blocking
// XREADGROUP BLOCK would hold every command behind it on its node
// (publishes, rate limits) for its whole timeout. So a subscription reads
// without BLOCK and, when nothing was new, waits poll_interval on a timer
// (100 ms: the delivery latency of an idle bus, and one command per interval
// per subscription); after a full batch it reads again at once.
//
// Wildcards filter on the consumer's side: a group gets every event of the
// stream, and a subscription acknowledges those its pattern does not match
// without parsing them (counted as skipped). The cost is a read and an ack of
// every event per group, whatever its pattern: give a group that wants few
// types of many its own bus (another `stream`).
//
// Outages. Publishing or listing while Redis does not answer completes with
// the client's error, which compares equal to
// apikit::condition::backend_unavailable (503; a publish that timed out may
// have been stored): at once when not connected, after the command timeout
// at worst, never a hang. A subscription counts the failure and tries again
// every poll_interval; nothing is lost, since the events wait in Redis. On
// a cluster, while the stream's primary fails over, commands fail as in an
// outage until the client follows the promoted replica; an event that the
// old primary stored and had not yet replicated is lost with it.
//
// Threads. Any member may be called from any thread (the client's own
// rule). A publish or list handler runs on its associated executor — by
// default the client's strand — never inside the call. A subscriber runs on
// a strand of its own over the executor under the client's strand. The
// client must outlive the bus and every subscription; destroying a
// subscription stops its loop, and from another thread than the
// subscriber's the call in progress may still finish.

#include <apikit/core/error.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/detail/function.hpp>
#include <apikit/events/detail/redis_bus_stream.hpp>
#include <apikit/events/detail/redis_bus_subscription.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>
#include <apikit/redis/client.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/reply.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::events {

struct redis_bus_options {
    /// The first part of the key, `<key_prefix>:events:{<stream>}`.
    std::string key_prefix = "apikit";
    /// The stream's name: buses with different names are separate logs.
    std::string stream = "all";
    /// MAXLEN ~: about how many events the stream keeps.
    std::size_t max_length = 10000;
    /// Events a subscription reads, claims or acknowledges per command.
    std::size_t batch = 100;
    /// The wait after a read that found nothing, or a command that failed.
    std::chrono::milliseconds poll_interval{100};
    /// How long an event stays pending with a consumer before another may
    /// claim it: longer than the slowest subscriber call.
    std::chrono::milliseconds claim_after{30000};
    /// How often a subscription looks for events to claim.
    std::chrono::milliseconds claim_interval{5000};
};

/// One subscription's figures.
struct redis_subscription_stats {
    std::string pattern, group, consumer;
    std::uint64_t delivered = 0, failed = 0, skipped = 0, claimed = 0, dropped = 0, errors = 0;
};

/// The bus's figures: bus_stats (queue_depth is 0: the backlog waits in
/// Redis, where XINFO GROUPS reports each group's lag), and:
struct redis_bus_stats : bus_stats {
    std::uint64_t publish_errors = 0; ///< publishes that got no id
    std::uint64_t skipped = 0;        ///< events a subscription's pattern did not match
    std::uint64_t claimed = 0;        ///< events taken over from another consumer
    std::uint64_t read_errors = 0;    ///< subscription commands that failed
    std::vector<redis_subscription_stats> subscriptions;
};

template <class Client = redis::connection>
class basic_redis_bus {
    static_assert(redis::client<Client>,
                  "apikit::events::basic_redis_bus's Client must model apikit::redis::client");
    using subscriber_type = detail::redis_subscriber<Client>;

public:
    using client_type = Client;

    /// A subscription: its consumer reads as long as it exists (move-only).
    class subscription {
    public:
        subscription() noexcept = default;
        subscription(subscription&&) noexcept = default;
        subscription& operator=(subscription&& o) noexcept {
            if (this != &o) {
                unsubscribe();
                sub_ = std::move(o.sub_);
            }
            return *this;
        }
        ~subscription() { unsubscribe(); }

        /// Stops the consumer. Its pending events stay in the group, for
        /// another consumer (or this one under the same name) to claim.
        void unsubscribe() noexcept {
            if (auto s = std::exchange(sub_, nullptr))
                s->stop();
        }

        [[nodiscard]] bool active() const noexcept { return sub_ != nullptr; }
        /// The consumer's name in its group.
        [[nodiscard]] std::string const& consumer() const noexcept { return sub_->consumer(); }
        [[nodiscard]] redis_subscription_stats stats() const { return stats_of(*sub_); }

    private:
        friend class basic_redis_bus;
        explicit subscription(std::shared_ptr<subscriber_type> s) : sub_(std::move(s)) {}
        std::shared_ptr<subscriber_type> sub_;
    };

    /// A bus on `conn`, which it does not own and which must outlive it.
    /// Throws std::invalid_argument on a key_prefix or stream that is empty
    /// or holds a brace, a max_length or batch of 0.
    explicit basic_redis_bus(Client& conn, redis_bus_options o = {})
        : conn_(&conn)
        , key_(redis::key_space("events", o.key_prefix).tagged(checked(o).stream))
        , max_length_(o.max_length)
        , settings_{o.batch, o.poll_interval, o.claim_after, o.claim_interval} {}

    basic_redis_bus(basic_redis_bus const&) = delete;
    basic_redis_bus& operator=(basic_redis_bus const&) = delete;

    /// XADD: handler(error_code, position), on the handler's executor.
    template <class Handler>
    void async_publish(event const& e, Handler&& handler) {
        auto const ex = boost::asio::get_associated_executor(handler, conn_->get_executor());
        conn_->async_exec(
            redis::command{"XADD", key_, "MAXLEN", "~", max_length_, "*", "type", e.type.view(),
                           "event", to_json(e)},
            boost::asio::bind_executor(
                ex, [t = totals_, h = std::forward<Handler>(handler)](boost::system::error_code ec,
                                                                      redis::reply r) mutable {
                    position p;
                    if (!ec && !r.is_string())
                        ec = detail::reply_error(r);
                    if (!ec) {
                        if (auto const id = position::parse(r.text()))
                            p = *id;
                        else
                            ec = make_error_code(redis::error::unexpected_reply);
                    }
                    (ec ? t->publish_errors : t->published).fetch_add(1, std::memory_order_relaxed);
                    std::move(h)(ec, p);
                }));
    }

    /// XREVRANGE: handler(error_code, page), newest first, on the handler's
    /// executor. An entry that is not an event apikit wrote is left out.
    template <class Handler>
    void async_list(std::size_t limit, std::optional<position> before, Handler&& handler) {
        auto const ex = boost::asio::get_associated_executor(handler, conn_->get_executor());
        if (limit == 0)
            return boost::asio::post(ex, boost::asio::append(std::forward<Handler>(handler),
                                                             boost::system::error_code{}, page{}));
        auto const end = before ? before->previous().to_string() : std::string("+");
        conn_->async_exec(redis::command{"XREVRANGE", key_, end, "-", "COUNT", limit + 1},
                          boost::asio::bind_executor(
                              ex, [limit, h = std::forward<Handler>(handler)](
                                      boost::system::error_code ec, redis::reply r) mutable {
                                  page out;
                                  if (!ec)
                                      ec = page_of(r, limit, out);
                                  std::move(h)(ec, std::move(out));
                              }));
    }

    /// Starts a consumer of `o.group` (see the header's comment) that calls
    /// `subscriber(event const&, position)` for each event `pattern`
    /// matches, on a strand of its own. The group is joined (created) by a
    /// command sent before this returns, so an event published after it is
    /// seen — when Redis answers it; if not, the loop joins again later, and
    /// a new group then starts where the stream is at that time.
    template <class Subscriber>
    [[nodiscard]] subscription subscribe(type_pattern pattern, subscribe_options const& o,
                                         Subscriber&& subscriber) {
        auto s = std::make_shared<subscriber_type>(
            *conn_, key_, pattern, o, settings_,
            typename subscriber_type::subscriber_fn(std::forward<Subscriber>(subscriber)), totals_);
        {
            std::lock_guard lk(m_);
            std::erase_if(subs_, [](auto const& w) { return w.expired(); });
            subs_.push_back(s);
        }
        s->start();
        return subscription(std::move(s));
    }

    /// The figures for metrics: a snapshot, each number read once.
    [[nodiscard]] redis_bus_stats stats() const {
        redis_bus_stats out;
        auto const& t = *totals_;
        out.published = t.published.load(std::memory_order_relaxed);
        out.publish_errors = t.publish_errors.load(std::memory_order_relaxed);
        out.delivered = t.delivered.load(std::memory_order_relaxed);
        out.failed = t.failed.load(std::memory_order_relaxed);
        out.dropped = t.dropped.load(std::memory_order_relaxed);
        out.skipped = t.skipped.load(std::memory_order_relaxed);
        out.claimed = t.claimed.load(std::memory_order_relaxed);
        out.read_errors = t.errors.load(std::memory_order_relaxed);
        std::lock_guard lk(m_);
        for (auto const& w : subs_)
            if (auto s = w.lock(); s && !s->stopped())
                out.subscriptions.push_back(stats_of(*s));
        return out;
    }

    /// The stream's key.
    [[nodiscard]] std::string const& key() const noexcept { return key_; }
    /// The client it talks through.
    [[nodiscard]] Client& connection() const noexcept { return *conn_; }

private:
    static redis_bus_options const& checked(redis_bus_options const& o) {
        if (o.stream.empty() || o.stream.find_first_of("{}") != std::string::npos)
            throw std::invalid_argument("apikit::events::basic_redis_bus: the stream name must be "
                                        "non-empty and brace-free");
        if (o.max_length == 0 || o.batch == 0)
            throw std::invalid_argument(
                "apikit::events::basic_redis_bus: max_length and batch must be at least 1");
        return o;
    }

    static redis_subscription_stats stats_of(subscriber_type const& s) {
        auto const& c = s.counters();
        auto const n = [](std::atomic<std::uint64_t> const& a) {
            return a.load(std::memory_order_relaxed);
        };
        return {std::string(s.pattern().view()),
                s.group(),
                s.consumer(),
                n(c.delivered),
                n(c.failed),
                n(c.skipped),
                n(c.claimed),
                n(c.dropped),
                n(c.errors)};
    }

    // XREVRANGE's entries into `out`: at most `limit`, and the next page's
    // start when there was one more.
    static boost::system::error_code page_of(redis::reply const& r, std::size_t limit, page& out) {
        auto entries = detail::entries_of(r);
        if (!entries)
            return entries.error();
        auto const n = std::min(limit, entries->size());
        out.events.reserve(n);
        out.positions.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto const& e = (*entries)[i];
            auto ev = e.body ? parse_event(*e.body) : result<event>(error::missing_member);
            if (!ev)
                continue;
            out.events.push_back(std::move(*ev));
            out.positions.push_back(e.pos);
        }
        if (entries->size() > limit)
            out.next = (*entries)[limit - 1].pos;
        return {};
    }

    Client* conn_;
    std::string key_;
    std::size_t max_length_;
    detail::redis_loop_settings settings_;
    std::shared_ptr<detail::redis_counters> totals_ = std::make_shared<detail::redis_counters>();
    mutable std::mutex m_;
    std::vector<std::weak_ptr<subscriber_type>> subs_;
};

/// `basic_redis_bus bus(client, options)`: a bus on the client's type.
template <class Client>
basic_redis_bus(Client&, redis_bus_options = {}) -> basic_redis_bus<Client>;

/// The bus on one connection to one Redis.
using redis_bus = basic_redis_bus<>;

static_assert(bus<redis_bus>, "apikit::events::redis_bus must model apikit::events::bus");
static_assert(event_log<redis_bus>,
              "apikit::events::redis_bus must model apikit::events::event_log");

} // namespace apikit::events

#endif
