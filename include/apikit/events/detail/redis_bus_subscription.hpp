#ifndef APIKIT_EVENTS_DETAIL_REDIS_BUS_SUBSCRIPTION_HPP
#define APIKIT_EVENTS_DETAIL_REDIS_BUS_SUBSCRIPTION_HPP

// One subscription of basic_redis_bus: a consumer of a consumer group, run
// as a loop of commands on a strand of its own (on the executor under the
// client's strand, not that strand, so a subscriber that takes its time
// holds up neither the client nor other subscriptions on other threads).
// Every command names the bus's one stream key, so on a cluster each goes
// to the node of the stream's slot.
//
//   join    XGROUP CREATE <key> <group> <after|$> MKSTREAM   (BUSYGROUP: it exists)
//   claim   XAUTOCLAIM <key> <group> <me> <claim_after> <cursor> COUNT n
//           every claim_interval: events other consumers took and never
//           acknowledged for claim_after (they crashed, or their subscriber
//           threw) are delivered here
//   read    XREADGROUP GROUP <group> <me> COUNT n STREAMS <key> >
//           nil: nothing new; wait poll_interval, then claim or read again
//   ack     XACK <key> <group> <id>…   after the subscriber returned
//
// Every event is delivered, then acknowledged: a crash between the two
// delivers it again (at least once). An event whose type the pattern does
// not match is acknowledged unseen (counted as skipped). A subscriber that
// throws is not acknowledged: the event stays pending and is claimed again
// after claim_after. An event trimmed from the stream (MAXLEN) before it was
// acknowledged is counted as dropped.
//
// Failures: a command that fails (Redis down, a NOGROUP after the stream
// was deleted) is counted, and the loop starts again from `join` after
// poll_interval — never faster, so an outage costs one command per
// interval per subscription. A closed client (operation_aborted,
// error::closed) ends the loop.
//
// Stopping sets a flag the loop reads before every step and every
// subscriber call; the command in flight completes (within the
// client's command timeout) and does nothing more.

#include <apikit/core/random.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/detail/function.hpp>
#include <apikit/events/detail/redis_bus_stream.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>
#include <apikit/redis/client.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace apikit::events::detail {

// How every subscription of one bus runs.
struct redis_loop_settings {
    std::size_t batch = 100;
    std::chrono::milliseconds poll_interval{100};
    std::chrono::milliseconds claim_after{30000};
    std::chrono::milliseconds claim_interval{5000};
};

// A subscription's counts, and the bus's totals over its lifetime
// (subscriptions gone included; publishes only in the totals).
struct redis_counters {
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> publish_errors{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> skipped{0};
    std::atomic<std::uint64_t> claimed{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> errors{0};

    void add(std::atomic<std::uint64_t> redis_counters::*c, std::uint64_t n,
             redis_counters* total) noexcept {
        (this->*c).fetch_add(n, std::memory_order_relaxed);
        (total->*c).fetch_add(n, std::memory_order_relaxed);
    }
};

// The executor a client's strand runs on (the client's executor itself when
// it is no strand): where a subscription makes a strand of its own.
template <class Executor>
[[nodiscard]] boost::asio::any_io_executor executor_under(Executor const& ex) {
    if constexpr (requires { ex.get_inner_executor(); })
        return ex.get_inner_executor();
    else
        return ex;
}

template <class Client>
class redis_subscriber : public std::enable_shared_from_this<redis_subscriber<Client>> {
public:
    using subscriber_fn = move_function<void(event const&, position)>;
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

    redis_subscriber(Client& conn, std::string key, type_pattern pattern,
                     subscribe_options const& o, redis_loop_settings settings, subscriber_fn fn,
                     std::shared_ptr<redis_counters> totals)
        : conn_(&conn)
        , strand_(executor_under(conn.get_executor()))
        , timer_(strand_)
        , key_(std::move(key))
        , group_(o.group.empty() ? random_id("g_") : o.group)
        , own_group_(o.group.empty())
        , consumer_(o.consumer.empty() ? random_id("c_") : o.consumer)
        , start_(o.after ? o.after->to_string() : std::string("$"))
        , pattern_(pattern)
        , settings_(settings)
        , fn_(std::move(fn))
        , totals_(std::move(totals)) {}

    // Sends the XGROUP CREATE from the caller's thread, so that it leaves
    // before any command the caller sends after subscribe() returns: an
    // event published then is in the group's view.
    void start() { join(); }

    // A group of its own goes with it (best effort: after a crash it stays,
    // idle, until someone runs XGROUP DESTROY).
    void stop() {
        if (stopped_.exchange(true, std::memory_order_acq_rel))
            return;
        if (own_group_)
            conn_->async_exec(
                redis::command{"XGROUP", "DESTROY", key_, group_},
                [self = shared_from_this()](boost::system::error_code, redis::reply) {});
        boost::asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
    }

    [[nodiscard]] type_pattern const& pattern() const noexcept { return pattern_; }
    [[nodiscard]] std::string const& group() const noexcept { return group_; }
    [[nodiscard]] std::string const& consumer() const noexcept { return consumer_; }
    [[nodiscard]] redis_counters const& counters() const noexcept { return counters_; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

private:
    using std::enable_shared_from_this<redis_subscriber>::shared_from_this;

    // The reply comes on the client's strand (a cluster: the strand of the
    // node's connection); the rest runs on this subscription's, by a post (a
    // dispatch would run the subscriber inside that strand, holding up every
    // other command).
    template <class Next>
    void exec(redis::command cmd, Next next) {
        conn_->async_exec(std::move(cmd), [self = shared_from_this(),
                                           next = std::move(next)](boost::system::error_code ec,
                                                                   redis::reply r) mutable {
            auto& strand = self->strand_;
            boost::asio::post(strand, [self = std::move(self), next = std::move(next), ec,
                                       r = std::move(r)]() mutable {
                if (self->stopped())
                    return;
                if (ec == boost::asio::error::operation_aborted || ec == redis::error::closed)
                    return self->stopped_.store(true, std::memory_order_release);
                // BUSYGROUP: the group to join exists, as it should.
                if (ec || (r.is_error() && !r.is_error_code("BUSYGROUP")))
                    return self->fail();
                next(std::move(r));
            });
        });
    }

    template <class Next>
    void wait(std::chrono::milliseconds d, Next next) {
        timer_.expires_after(d);
        timer_.async_wait(
            [self = shared_from_this(), next = std::move(next)](boost::system::error_code) mutable {
                if (!self->stopped())
                    next();
            });
    }

    void count(std::atomic<std::uint64_t> redis_counters::*c, std::uint64_t n = 1) noexcept {
        if (n)
            counters_.add(c, n, totals_.get());
    }

    void fail() {
        count(&redis_counters::errors);
        wait(settings_.poll_interval, [this] { join(); });
    }

    void join() {
        exec(redis::command{"XGROUP", "CREATE", key_, group_, start_, "MKSTREAM"},
             [this](redis::reply) { next(); });
    }

    // Claims when it is time to, else reads.
    void next() {
        if (stopped())
            return;
        if (std::chrono::steady_clock::now() >= next_claim_)
            return claim();
        read();
    }

    void claim() {
        exec(redis::command{"XAUTOCLAIM", key_, group_, consumer_, settings_.claim_after.count(),
                            claim_cursor_, "COUNT", settings_.batch},
             [this](redis::reply r) {
                 auto c = claim_entries(r);
                 if (!c)
                     return fail();
                 count(&redis_counters::dropped, c->deleted);
                 count(&redis_counters::claimed, c->entries.size());
                 claim_cursor_ = std::string(c->cursor);
                 // A round ends when the cursor comes back to 0-0; then a read,
                 // whatever the interval (0 would claim for ever).
                 bool const round_done = claim_cursor_ == "0-0";
                 if (round_done)
                     next_claim_ = std::chrono::steady_clock::now() + settings_.claim_interval;
                 deliver(c->entries, [this, round_done] { round_done ? read() : claim(); });
             });
    }

    void read() {
        exec(redis::command{"XREADGROUP", "GROUP", group_, consumer_, "COUNT", settings_.batch,
                            "STREAMS", key_, ">"},
             [this](redis::reply r) {
                 auto entries = read_entries(r);
                 if (!entries)
                     return fail();
                 if (entries->empty())
                     return wait(settings_.poll_interval, [this] { next(); });
                 deliver(*entries, [this] { next(); });
             });
    }

    // Calls the subscriber for each entry it matches, then acknowledges
    // every entry but those whose call threw, then `then`.
    template <class Then>
    void deliver(std::vector<stream_entry> const& entries, Then then) {
        std::vector<redis::arg> ack{redis::arg("XACK"), redis::arg(key_), redis::arg(group_)};
        for (auto const& e : entries) {
            if (stopped())
                return;
            if (handle(e))
                ack.emplace_back(e.id);
        }
        if (ack.size() == 3)
            return then();
        exec(redis::command(std::span<redis::arg const>(ack)),
             [then = std::move(then)](redis::reply) mutable { then(); });
    }

    // False when the entry is to stay pending (its subscriber threw).
    bool handle(stream_entry const& e) {
        if (e.trimmed) {
            count(&redis_counters::dropped);
            return true;
        }
        if (e.type) {
            auto const type = type_name::parse(*e.type);
            if (type && !pattern_.matches(*type)) {
                count(&redis_counters::skipped);
                return true;
            }
        }
        auto ev = e.body ? events::parse_event(*e.body) : result<event>(error::missing_member);
        if (!ev) {
            // Not an event apikit wrote: no subscriber can use it, ever.
            count(&redis_counters::failed);
            return true;
        }
        if (!pattern_.matches(ev->type)) {
            count(&redis_counters::skipped);
            return true;
        }
        try {
            fn_(*ev, e.pos);
        } catch (...) {
            count(&redis_counters::failed);
            return false;
        }
        count(&redis_counters::delivered);
        return true;
    }

    Client* conn_;
    strand_type strand_;
    boost::asio::steady_timer timer_;
    std::string const key_;
    std::string const group_;
    bool const own_group_;
    std::string const consumer_;
    std::string const start_;
    type_pattern const pattern_;
    redis_loop_settings const settings_;
    subscriber_fn fn_;
    std::shared_ptr<redis_counters> const totals_;
    redis_counters counters_;
    std::atomic<bool> stopped_{false};
    std::string claim_cursor_ = "0-0";
    std::chrono::steady_clock::time_point next_claim_{};
};

} // namespace apikit::events::detail

#endif
