#ifndef APIKIT_REDIS_DETAIL_CLUSTER_IMPL_HPP
#define APIKIT_REDIS_DETAIL_CLUSTER_IMPL_HPP

// The machinery behind redis::basic_cluster_client (cluster_client.hpp says
// what it guarantees): discovery, the slot map, routing, redirections and
// the refreshes of the map.
//
// Threads. Routing runs on the caller's thread and takes no lock: the map is
// an array of atomic node numbers, one per slot, and the nodes are an
// append-only array of atomic pointers; a node, once made, lives as long as
// the client, so a pointer read from the map stays valid. Everything that
// changes the map runs on the client's strand. A command's completion runs on
// the strand of the connection that answered; a redirection hops to the
// client's strand, which is the rare path.
//
// A command in a cluster travels as an `op`: the request (kept, to be sent
// again after a redirection), the caller's completion, its deadline and its
// count of redirections. The connection it is sent on gets a copy.

#include <apikit/core/random.hpp>
#include <apikit/redis/cluster_client.hpp>
#include <apikit/redis/detail/cluster_topology.hpp>
#include <apikit/redis/detail/completion.hpp>
#include <apikit/redis/detail/connection_impl.hpp>
#include <apikit/redis/detail/request.hpp>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::redis::detail {

struct connection_access {
    template <class Connection>
    [[nodiscard]] static auto& impl(Connection& c) noexcept {
        return *c.impl_;
    }
};

template <class Clock, class WaitTraits>
class cluster_impl : public std::enable_shared_from_this<cluster_impl<Clock, WaitTraits>> {
public:
    using connection_type = basic_connection<Clock, WaitTraits>;
    using strand_type = asio::strand<asio::any_io_executor>;
    using timer_type = asio::basic_waitable_timer<Clock, WaitTraits, asio::any_io_executor>;
    using time_point = typename Clock::time_point;

    // Primaries, replicas that were seeds, nodes a redirection named: more
    // than any cluster has (Redis Cluster's own limit is about 1000 nodes).
    static constexpr std::size_t max_nodes = 2048;

    cluster_impl(asio::any_io_executor ex, cluster_options opts)
        : opts_(std::move(opts))
        , ex_(ex)
        , strand_(asio::make_strand(ex))
        , refresh_timer_(strand_)
        , periodic_timer_(strand_) {
        opts_.validate();
        add_node(opts_.node.server.host, opts_.node.server.port); // the seed, node 0
    }

    ~cluster_impl() {
        for (std::size_t i = 0, n = node_count(); i < n; ++i)
            delete nodes_[i].load(std::memory_order_relaxed);
    }

    [[nodiscard]] strand_type const& strand() const noexcept { return strand_; }
    [[nodiscard]] cluster_options const& options() const noexcept { return opts_; }
    [[nodiscard]] cluster_mode mode() const noexcept {
        return mode_.load(std::memory_order_acquire);
    }

    [[nodiscard]] connection_stats stats() const noexcept {
        connection_stats sum;
        auto const m = mode();
        bool all_ready = true;
        for (std::size_t i = 0, n = node_count(); i < n; ++i) {
            auto const s = nodes_[i].load(std::memory_order_acquire)->conn.stats();
            sum.in_flight += s.in_flight;
            sum.replies += s.replies;
            sum.failures.not_connected += s.failures.not_connected;
            sum.failures.queue_full += s.failures.queue_full;
            sum.failures.timeout += s.failures.timeout;
            sum.failures.connection_lost += s.failures.connection_lost;
            sum.failures.closed += s.failures.closed;
            sum.failures.other += s.failures.other;
            sum.connects += s.connects;
            sum.connect_failures += s.connect_failures;
            sum.disconnects += s.disconnects;
            if (i == 0 && m != cluster_mode::cluster)
                sum.state = s.state;
            if (m == cluster_mode::cluster && owns_slots(i) && s.state != connection_state::ready)
                all_ready = false;
        }
        sum.failures.not_connected += get(refused_not_connected_);
        sum.failures.timeout += get(timeouts_);
        sum.failures.other += get(cross_slot_);
        if (m == cluster_mode::cluster)
            sum.state = all_ready ? connection_state::ready : connection_state::connecting;
        else if (m == cluster_mode::closed)
            sum.state = connection_state::closed;
        else if (m == cluster_mode::discovering && sum.state == connection_state::ready)
            sum.state = connection_state::connecting;
        return sum;
    }

    [[nodiscard]] redis::cluster_stats cluster_stats() const noexcept {
        redis::cluster_stats s;
        s.mode = mode();
        s.nodes = node_count();
        s.primaries = get(primaries_);
        s.slots_covered = get(slots_covered_);
        s.moved = get(moved_);
        s.ask = get(ask_);
        s.retries = get(retries_);
        s.cross_slot = get(cross_slot_);
        s.refreshes = get(refreshes_);
        s.refresh_failures = get(refresh_failures_);
        return s;
    }

    // --- Entry points: any thread.

    void start() {
        asio::post(strand_, [self = this->shared_from_this()] { self->begin(); });
    }

    void wait_ready(wait_completion done) {
        asio::post(strand_, [self = this->shared_from_this(), done = std::move(done)]() mutable {
            if (self->mode_ == cluster_mode::closed)
                return done(make_error_code(error::closed));
            if (self->ready_)
                return done({});
            self->waiters_.push_back(std::move(done));
            self->begin();
        });
    }

    void close() {
        asio::post(strand_, [self = this->shared_from_this()] { self->do_close(); });
    }

    template <class Handler>
    void exec(request rq, command_slot where, Handler&& handler) {
        auto const m = mode();
        if (m == cluster_mode::single) {
            // Exactly a connection: its queue, its checks, its strand.
            auto& seed = connection_access::impl(node_at(0).conn);
            exec_completion done(std::forward<Handler>(handler), seed.strand());
            if (rq.refused)
                return seed.refuse(std::move(done), rq.refused);
            return seed.submit(std::move(rq), std::move(done));
        }
        auto refuse = [&](boost::system::error_code ec) {
            exec_completion done(std::forward<Handler>(handler), strand_);
            asio::post(strand_, [done = std::move(done), ec]() mutable { done(ec, reply{}); });
        };
        if (m == cluster_mode::closed)
            return refuse(make_error_code(error::closed));
        if (m == cluster_mode::discovering) {
            bump(refused_not_connected_);
            return refuse(make_error_code(error::not_connected));
        }
        if (rq.refused || where.k == command_slot::kind::cross_slot) {
            bump(cross_slot_);
            return refuse(rq.refused ? rq.refused : make_error_code(error::cross_slot));
        }
        bool const keyed = where.k == command_slot::kind::slot;
        node* n = keyed ? owner(where.slot) : any_owner();
        if (n == nullptr) {
            // No node serves the slot (its primary failed and no replica
            // has taken over yet): an outage, and a reason to look again.
            bump(refused_not_connected_);
            request_refresh();
            return refuse(make_error_code(error::not_connected));
        }
        auto o = std::make_unique<op>();
        o->deadline = Clock::now() + std::chrono::ceil<typename Clock::duration>(rq.timeout);
        o->rq = std::move(rq);
        o->keyed = keyed;
        o->slot = where.slot;
        o->done = exec_completion(std::forward<Handler>(handler),
                                  connection_access::impl(n->conn).strand());
        send(std::move(o), n, false);
    }

private:
    struct node {
        node(asio::any_io_executor ex, connection_options o, std::uint16_t number)
            : conn(std::move(ex), std::move(o))
            , id(number) {}
        connection_type conn; // its options name the node's address
        std::uint16_t id;     // its number in the slot map: index + 1
    };

    struct op {
        request rq;
        exec_completion done;
        time_point deadline{};
        std::uint16_t slot = 0;
        bool keyed = false;
        unsigned redirects = 0;
        unsigned retries = 0;
    };

    // What a node's connection calls back with a command's outcome. It
    // holds the client weakly: the client owns the node's connection, whose
    // queue holds this, and a strong reference would keep both alive for
    // ever if the io_context went away before the client's close ran.
    struct on_reply {
        std::weak_ptr<cluster_impl> owner;
        std::unique_ptr<op> o;

        void operator()(boost::system::error_code ec, reply r) {
            bool const moved = !ec && r.is_error() &&
                               (r.text().starts_with("MOVED ") || r.text().starts_with("ASK "));
            bool const redirected =
                moved ||
                (!ec && r.is_error() &&
                 (r.text().starts_with("TRYAGAIN") || r.text().starts_with("CLUSTERDOWN")));
            bool const unanswered =
                ec == error::not_connected || ec == error::connection_lost || ec == error::timeout;
            if (!redirected && !unanswered)
                return o->done(ec, std::move(r));
            auto self = owner.lock();
            if (!self)
                return o->done(redirected ? asio::error::operation_aborted : ec, std::move(r));
            if (unanswered) {
                self->request_refresh();
                return o->done(ec, std::move(r));
            }
            if (moved)
                return self->redirect(std::move(o), std::move(r));
            self->retry(std::move(o), std::move(r));
        }
    };

    // A handler that reaches the client only while it lives (on_reply says
    // why): the node connections' waiters and queues hold these.
    template <class Fn>
    [[nodiscard]] auto weakly(Fn fn) {
        return asio::bind_executor(
            strand_, [owner = this->weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
                if (auto self = owner.lock())
                    fn(*self, std::forward<decltype(args)>(args)...);
            });
    }

    static std::uint64_t get(std::atomic<std::uint64_t> const& a) noexcept {
        return a.load(std::memory_order_relaxed);
    }
    static void bump(std::atomic<std::uint64_t>& a) noexcept {
        a.fetch_add(1, std::memory_order_relaxed);
    }

    // --- The map: read anywhere, written on the strand.

    [[nodiscard]] std::size_t node_count() const noexcept {
        return node_count_.load(std::memory_order_acquire);
    }
    [[nodiscard]] node& node_at(std::size_t i) const noexcept {
        return *nodes_[i].load(std::memory_order_acquire);
    }
    [[nodiscard]] node* owner(std::uint16_t slot) const noexcept {
        auto const i = owner_[slot].load(std::memory_order_acquire);
        return i == 0 ? nullptr : nodes_[i - 1].load(std::memory_order_acquire);
    }
    // A command without keys: any primary, in turn.
    [[nodiscard]] node* any_owner() noexcept {
        auto const start = keyless_.fetch_add(4099, std::memory_order_relaxed);
        node* n = owner(static_cast<std::uint16_t>(start % slot_count));
        return n != nullptr ? n : &node_at(0);
    }
    [[nodiscard]] bool owns_slots(std::size_t index) const noexcept {
        return index < owning_.size() && owning_[index].load(std::memory_order_relaxed);
    }

    // The node at host:port, made (and connecting) if new; nullptr when the
    // table is full. Strand only (and the constructor, for the seed).
    node* add_node(std::string const& host, std::uint16_t port) {
        auto const n = node_count();
        for (std::size_t i = 0; i < n; ++i) {
            auto const& at = node_at(i).conn.options().server;
            if (at.host == host && at.port == port)
                return &node_at(i);
        }
        if (n == max_nodes)
            return nullptr;
        auto o = opts_.node;
        o.server.host = host;
        o.server.port = port;
        auto* p = new node(ex_, std::move(o), static_cast<std::uint16_t>(n + 1));
        nodes_[n].store(p, std::memory_order_release);
        node_count_.store(n + 1, std::memory_order_release);
        if (n > 0)
            p->conn.start();
        return p;
    }

    // --- Sending.

    void send(std::unique_ptr<op> o, node* n, bool asking) {
        auto const now = Clock::now();
        if (o->deadline <= now) {
            bump(timeouts_);
            return o->done(make_error_code(error::timeout), reply{});
        }
        request copy;
        if (asking && o->rq.code) {
            // A script sent after ASKING goes by source: a NOSCRIPT from the
            // importing node would be answered by a resend without ASKING,
            // which the node would answer with MOVED back to the source.
            std::string resp;
            o->rq.code.append_eval(resp, o->rq.tail, o->rq.n);
            copy.cmd = command::from_resp(std::move(resp), o->rq.n + 3);
        } else {
            copy.cmd = o->rq.cmd;
            copy.code = o->rq.code;
            copy.tail = o->rq.tail;
            copy.n = o->rq.n;
        }
        copy.timeout = o->deadline - now;
        auto& c = connection_access::impl(n->conn);
        exec_completion next(on_reply{this->weak_from_this(), std::move(o)}, c.strand());
        if (asking)
            c.submit_asking(std::move(copy), std::move(next));
        else
            c.submit(std::move(copy), std::move(next));
    }

    // MOVED or ASK: on the strand, since it may change the map.
    void redirect(std::unique_ptr<op> o, reply r) {
        asio::post(strand_,
                   [self = this->shared_from_this(), o = std::move(o), r = std::move(r)]() mutable {
                       auto const& seed = self->opts_.node.server;
                       auto const to = parse_redirect(r.text(), seed.host);
                       if (!to || ++o->redirects > self->opts_.max_redirects)
                           return o->done({}, std::move(r));
                       node* n = self->add_node(to->host, to->port);
                       if (n == nullptr)
                           return o->done({}, std::move(r));
                       bool const ask = to->k == redirect::kind::ask;
                       if (ask) {
                           bump(self->ask_);
                       } else {
                           bump(self->moved_);
                           self->owner_[to->slot].store(n->id, std::memory_order_release);
                           self->request_refresh();
                       }
                       self->send_when_ready(std::move(o), n, ask);
                   });
    }

    // A node named by a redirection may be new, its connection still being
    // made: the command waits for its first attempt rather than failing.
    void send_when_ready(std::unique_ptr<op> o, node* n, bool asking) {
        if (n->conn.state() == connection_state::ready)
            return send(std::move(o), n, asking);
        n->conn.async_connect(
            asio::bind_executor(strand_, [owner = this->weak_from_this(), o = std::move(o), n,
                                          asking](boost::system::error_code ec) mutable {
                auto self = owner.lock();
                if (!self)
                    return o->done(asio::error::operation_aborted, reply{});
                if (ec)
                    return o->done(make_error_code(error::not_connected), reply{});
                self->send(std::move(o), n, asking);
            }));
    }

    // TRYAGAIN or CLUSTERDOWN: again after a backoff, if the deadline allows.
    void retry(std::unique_ptr<op> o, reply r) {
        asio::post(strand_, [self = this->shared_from_this(), o = std::move(o),
                             r = std::move(r)]() mutable {
            auto const wait = self->opts_.retry.delay(++o->retries, random_unit());
            auto const at = Clock::now() + std::chrono::ceil<typename Clock::duration>(wait);
            if (at >= o->deadline)
                return o->done({}, std::move(r));
            bump(self->retries_);
            if (r.text().starts_with("CLUSTERDOWN"))
                self->request_refresh();
            auto timer = std::make_unique<timer_type>(self->strand_);
            timer->expires_at(at);
            auto& t = *timer;
            t.async_wait([self, o = std::move(o),
                          timer = std::move(timer)](boost::system::error_code ec) mutable {
                if (ec || self->mode_ == cluster_mode::closed)
                    return o->done(make_error_code(error::closed), reply{});
                node* n = o->keyed ? self->owner(o->slot) : self->any_owner();
                if (n == nullptr)
                    return o->done(make_error_code(error::not_connected), reply{});
                self->send(std::move(o), n, false);
            });
        });
    }

    // --- Discovery and refreshes: on the strand.

    void begin() {
        if (started_ || mode_ == cluster_mode::closed)
            return;
        started_ = true;
        node_at(0).conn.start();
        discover();
    }

    // Waits for the seed's connection, then asks it for the map.
    void discover() {
        node_at(0).conn.async_connect(weakly([](cluster_impl& self, boost::system::error_code ec) {
            if (self.mode_ == cluster_mode::closed)
                return;
            if (ec) {
                self.finish_waiters(ec);
                return self.discover(); // after the connection's backoff
            }
            self.ask_map(&self.node_at(0), true);
        }));
    }

    void ask_map(node* n, bool initial) {
        refreshing_ = true;
        auto cmd = use_slots_ ? command{"CLUSTER", "SLOTS"} : command{"CLUSTER", "SHARDS"};
        n->conn.async_exec(
            std::move(cmd),
            weakly([n, initial](cluster_impl& self, boost::system::error_code ec, reply r) {
                self.on_map(n, initial, ec, std::move(r));
            }));
    }

    void on_map(node* n, bool initial, boost::system::error_code ec, reply r) {
        refreshing_ = false;
        if (mode_ == cluster_mode::closed)
            return;
        if (!ec && r.is_error() &&
            r.text().find("cluster support disabled") != std::string_view::npos) {
            if (initial)
                return become_single();
            ec = make_error_code(error::unexpected_reply);
        }
        if (!ec && r.is_error() && !use_slots_ &&
            (r.text().find("unknown subcommand") != std::string_view::npos ||
             r.text().find("Unknown subcommand") != std::string_view::npos)) {
            use_slots_ = true; // a server older than 7.0
            return ask_map(n, initial);
        }
        std::optional<cluster_topology> map;
        if (!ec) {
            auto const& host = n->conn.options().server.host;
            auto parsed = use_slots_ ? parse_cluster_slots(r, host) : parse_cluster_shards(r, host);
            if (parsed)
                map = std::move(*parsed);
        }
        if (!map) {
            bump(refresh_failures_);
            if (initial) {
                finish_waiters(ec ? ec : make_error_code(error::unexpected_reply));
                return discover();
            }
            return refresh_done();
        }
        bump(refreshes_);
        apply(*map);
        if (initial)
            become_cluster();
        refresh_done();
    }

    void become_single() {
        mode_.store(cluster_mode::single, std::memory_order_release);
        ready_ = true;
        finish_waiters({});
    }

    // Ready once every primary's first connection attempt has ended.
    void become_cluster() {
        mode_.store(cluster_mode::cluster, std::memory_order_release);
        arm_periodic();
        std::vector<node*> primaries;
        for (std::size_t i = 0, n = node_count(); i < n; ++i)
            if (owns_slots(i))
                primaries.push_back(&node_at(i));
        auto left = std::make_shared<std::size_t>(primaries.size());
        if (*left == 0) {
            ready_ = true;
            return finish_waiters({});
        }
        for (node* p : primaries)
            p->conn.async_connect(weakly([left](cluster_impl& self, boost::system::error_code) {
                if (--*left == 0 && self.mode_ != cluster_mode::closed) {
                    self.ready_ = true;
                    self.finish_waiters({});
                }
            }));
    }

    void apply(cluster_topology const& map) {
        std::vector<std::uint16_t> next(slot_count, 0);
        std::size_t covered = 0;
        for (auto const& shard : map.shards) {
            node* p = add_node(shard.primary.host, shard.primary.port);
            if (p == nullptr)
                continue;
            for (auto const& range : shard.slots)
                for (std::size_t s = range.first; s <= range.last && s < slot_count; ++s) {
                    covered += next[s] == 0;
                    next[s] = p->id;
                }
        }
        std::size_t primaries = 0;
        for (std::size_t i = 0; i < owning_.size(); ++i)
            owning_[i].store(false, std::memory_order_relaxed);
        for (std::size_t s = 0; s < slot_count; ++s) {
            owner_[s].store(next[s], std::memory_order_release);
            if (next[s] != 0 && !owning_[next[s] - 1].exchange(true, std::memory_order_relaxed))
                ++primaries;
        }
        primaries_.store(primaries, std::memory_order_relaxed);
        slots_covered_.store(covered, std::memory_order_relaxed);
    }

    // Asks for the map soon: at once, or when min_refresh_interval has
    // passed since the last time. Any thread; many asks make one refresh.
    void request_refresh() {
        if (mode() != cluster_mode::cluster || refresh_asked_.exchange(true))
            return;
        asio::post(strand_, [self = this->shared_from_this()] { self->schedule_refresh(); });
    }

    void schedule_refresh() {
        if (mode_ != cluster_mode::cluster || refreshing_ || refresh_armed_)
            return; // the refresh in flight or armed will do
        auto const at =
            last_refresh_ + std::chrono::ceil<typename Clock::duration>(opts_.min_refresh_interval);
        if (Clock::now() >= at)
            return refresh_now();
        refresh_armed_ = true;
        refresh_timer_.expires_at(at);
        refresh_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
            self->refresh_armed_ = false;
            if (!ec)
                self->refresh_now();
        });
    }

    // Asks a node whose connection is up, in turn, so that one dead node
    // does not stop the client from learning that it is dead.
    void refresh_now() {
        if (mode_ != cluster_mode::cluster || refreshing_)
            return;
        refresh_asked_.store(false);
        auto const n = node_count();
        for (std::size_t k = 0; k < n; ++k) {
            auto const i = (next_asked_ + k) % n;
            if (node_at(i).conn.state() == connection_state::ready) {
                next_asked_ = i + 1;
                return ask_map(&node_at(i), false);
            }
        }
        bump(refresh_failures_);
        refresh_done();
    }

    void refresh_done() {
        last_refresh_ = Clock::now();
        if (refresh_asked_.load())
            schedule_refresh();
    }

    void arm_periodic() {
        periodic_timer_.expires_after(
            std::chrono::ceil<typename Clock::duration>(opts_.refresh_interval));
        periodic_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
            if (ec || self->mode_ == cluster_mode::closed)
                return;
            self->refresh_asked_.store(true);
            self->schedule_refresh();
            self->arm_periodic();
        });
    }

    void finish_waiters(boost::system::error_code ec) {
        auto list = std::move(waiters_);
        waiters_.clear();
        for (auto& w : list)
            w(ec);
    }

    void do_close() {
        if (mode_ == cluster_mode::closed)
            return;
        mode_.store(cluster_mode::closed, std::memory_order_release);
        refresh_timer_.cancel();
        periodic_timer_.cancel();
        for (std::size_t i = 0, n = node_count(); i < n; ++i)
            node_at(i).conn.close();
        finish_waiters(asio::error::operation_aborted);
    }

    cluster_options opts_;
    asio::any_io_executor ex_;
    strand_type strand_;
    timer_type refresh_timer_;
    timer_type periodic_timer_;

    std::atomic<cluster_mode> mode_{cluster_mode::discovering};
    std::array<std::atomic<node*>, max_nodes> nodes_{};
    std::atomic<std::size_t> node_count_{0};
    std::array<std::atomic<std::uint16_t>, slot_count> owner_{}; // node index + 1; 0: none
    std::array<std::atomic<bool>, max_nodes> owning_{};
    std::atomic<std::uint64_t> keyless_{0};
    std::atomic<bool> refresh_asked_{false};

    std::atomic<std::uint64_t> primaries_{0};
    std::atomic<std::uint64_t> slots_covered_{0};
    std::atomic<std::uint64_t> moved_{0};
    std::atomic<std::uint64_t> ask_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> cross_slot_{0};
    std::atomic<std::uint64_t> refreshes_{0};
    std::atomic<std::uint64_t> refresh_failures_{0};
    std::atomic<std::uint64_t> refused_not_connected_{0};
    std::atomic<std::uint64_t> timeouts_{0};

    // Strand only.
    std::vector<wait_completion> waiters_;
    time_point last_refresh_{};
    std::size_t next_asked_ = 0;
    bool started_ = false;
    bool ready_ = false;
    bool use_slots_ = false;
    bool refreshing_ = false;
    bool refresh_armed_ = false;
};

} // namespace apikit::redis::detail

#endif
