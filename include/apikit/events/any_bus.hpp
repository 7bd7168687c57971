#ifndef APIKIT_EVENTS_ANY_BUS_HPP
#define APIKIT_EVENTS_ANY_BUS_HPP

// A bus and event log chosen at run time: one type for a memory_bus, a
// redis_bus, or any other type that models both `events::bus` and
// `events::event_log`.
//
//     events::any_bus bus;
//     if (redis)
//         bus = events::any_bus(std::in_place_type<events::redis_bus>, *redis);
//     else
//         bus = events::any_bus(std::in_place_type<events::memory_bus>);
//
// Why. A service picks its bus from its configuration — memory for one
// process, Redis when several must see each other's events — and what uses
// the bus (the handlers that publish, GET /events, the subscribers) would
// otherwise be compiled once per bus. Erased here, they are compiled once.
//
// Cost. Over a bus that answers synchronously (memory_bus: it has publish()
// and list()), async_publish and async_list call those and then the handler
// directly: no allocation beyond the bus's own. Over one that answers later
// (redis_bus) the handler is erased into a move-only function, one
// allocation per call. Subscribers are erased once, at subscribe().
//
// Executors. This header has no Asio, so an erased handler loses its
// associated executor: it runs where the bus calls it — within the call for
// memory_bus; on the connection's strand for redis_bus. A caller that must
// resume on its own executor posts there itself (a coroutine's
// asio::use_awaitable does: its completion resumes on the coroutine's
// executor through the handler's own work, not the association).
//
// Threads, guarantees and failures are those of the bus inside; the erasure
// adds no lock and no error of its own. An empty any_bus (default-constructed
// or moved from) must not be used, except to assign to or to test with
// operator bool.

#include <apikit/events/bus.hpp>
#include <apikit/events/detail/function.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>

#include <boost/system/error_code.hpp>

#include <cassert>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace apikit::events {

class any_bus {
public:
    /// What an asynchronous bus's handlers are erased into.
    using publish_handler = detail::once_function<void(boost::system::error_code, position)>;
    using list_handler = detail::once_function<void(boost::system::error_code, page)>;
    using subscriber = detail::move_function<void(event const&, position)>;

    /// A subscription of the bus inside: delivery lasts as long as it does.
    class subscription {
    public:
        subscription() noexcept = default;
        subscription(subscription&&) noexcept = default;
        subscription& operator=(subscription&&) noexcept = default;

        /// Ends delivery, as the bus's own subscription does.
        void unsubscribe() noexcept { p_.reset(); }
        [[nodiscard]] bool active() const noexcept { return p_ != nullptr; }

    private:
        friend class any_bus;
        template <class S>
        explicit subscription(S&& s)
            : p_(new std::decay_t<S>(std::forward<S>(s)),
                 [](void* p) noexcept { delete static_cast<std::decay_t<S>*>(p); }) {}

        std::unique_ptr<void, void (*)(void*) noexcept> p_{nullptr, nullptr};
    };

    /// No bus.
    any_bus() noexcept = default;

    /// Owns a `B` built from `args` (its own constructor's arguments).
    template <class B, class... Args>
    explicit any_bus(std::in_place_type_t<B>, Args&&... args)
        : bus_(new B(std::forward<Args>(args)...))
        , ops_(&ops_for<B>) {
        static_assert(events::bus<B>, "apikit::events::any_bus's B must model apikit::events::bus");
        static_assert(events::event_log<B>,
                      "apikit::events::any_bus's B must model apikit::events::event_log");
    }

    any_bus(any_bus&& o) noexcept
        : bus_(std::exchange(o.bus_, nullptr))
        , ops_(std::exchange(o.ops_, nullptr)) {}

    any_bus& operator=(any_bus&& o) noexcept {
        if (this != &o) {
            reset();
            bus_ = std::exchange(o.bus_, nullptr);
            ops_ = std::exchange(o.ops_, nullptr);
        }
        return *this;
    }

    /// Destroys the bus inside: its subscriptions must be gone first when it
    /// needs that (redis_bus: its subscriptions outlive it fine; memory_bus:
    /// ends them).
    ~any_bus() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }

    /// True when the bus answers within the call (memory_bus).
    [[nodiscard]] bool synchronous() const noexcept {
        assert(ops_ && "an empty apikit::events::any_bus");
        return ops_->publish_now != nullptr;
    }

    /// Publishes through the bus inside: handler(error_code, position).
    template <class Handler>
    void async_publish(event const& e, Handler&& handler) {
        assert(ops_ && "an empty apikit::events::any_bus publishes nothing");
        if (ops_->publish_now) {
            auto p = ops_->publish_now(bus_, e);
            return p ? std::forward<Handler>(handler)(boost::system::error_code{}, *p)
                     : std::forward<Handler>(handler)(p.error(), position{});
        }
        ops_->publish(bus_, e, publish_handler(std::forward<Handler>(handler)));
    }

    /// Lists through the bus inside: handler(error_code, page).
    template <class Handler>
    void async_list(std::size_t limit, std::optional<position> before, Handler&& handler) {
        assert(ops_ && "an empty apikit::events::any_bus lists nothing");
        if (ops_->list_now)
            return std::forward<Handler>(handler)(boost::system::error_code{},
                                                  ops_->list_now(bus_, limit, before));
        ops_->list(bus_, limit, before, list_handler(std::forward<Handler>(handler)));
    }

    /// Subscribes through the bus inside.
    template <class Subscriber>
    [[nodiscard]] subscription subscribe(type_pattern pattern, subscribe_options const& o,
                                         Subscriber&& s) {
        assert(ops_ && "an empty apikit::events::any_bus has no subscriptions");
        return ops_->subscribe(bus_, pattern, o, subscriber(std::forward<Subscriber>(s)));
    }

    /// The figures every bus has (target() for the rest).
    [[nodiscard]] bus_stats stats() const {
        assert(ops_ && "an empty apikit::events::any_bus has no figures");
        return ops_->stats(bus_);
    }

    /// The bus, when it is a `B`; else null.
    template <class B>
    [[nodiscard]] B* target() noexcept {
        return ops_ == &ops_for<B> ? static_cast<B*>(bus_) : nullptr;
    }
    template <class B>
    [[nodiscard]] B const* target() const noexcept {
        return ops_ == &ops_for<B> ? static_cast<B const*>(bus_) : nullptr;
    }

private:
    // One table per bus type; its address is also the type's identity.
    struct operations {
        void (*destroy)(void*) noexcept;
        /// Null unless the bus has publish(event) → result<position>.
        result<position> (*publish_now)(void*, event const&);
        void (*publish)(void*, event const&, publish_handler);
        /// Null unless the bus has list(limit, before) → page.
        page (*list_now)(void*, std::size_t, std::optional<position>);
        void (*list)(void*, std::size_t, std::optional<position>, list_handler);
        subscription (*subscribe)(void*, type_pattern, subscribe_options const&, subscriber);
        bus_stats (*stats)(void const*);
    };

    template <class B>
    static constexpr bool publishes_now = requires(B& b, event const& e) {
        { b.publish(e) } -> std::same_as<result<position>>;
    };
    template <class B>
    static constexpr bool lists_now = requires(B& b, std::size_t n, std::optional<position> p) {
        { b.list(n, p) } -> std::same_as<page>;
    };

    template <class B>
    static constexpr operations ops_for{
        [](void* p) noexcept { delete static_cast<B*>(p); },
        publishes_now<B> ? +[](void* p, event const& e) -> result<position> {
            if constexpr (publishes_now<B>)
                return static_cast<B*>(p)->publish(e);
            else
                return position{}; // never called: the pointer is null
        }
                         : nullptr,
        [](void* p, event const& e, publish_handler h) {
            static_cast<B*>(p)->async_publish(e, std::move(h));
        },
        lists_now<B> ? +[](void* p, std::size_t n, std::optional<position> before) -> page {
            if constexpr (lists_now<B>)
                return static_cast<B*>(p)->list(n, before);
            else
                return page{}; // never called: the pointer is null
        }
                     : nullptr,
        [](void* p, std::size_t n, std::optional<position> before, list_handler h) {
            static_cast<B*>(p)->async_list(n, before, std::move(h));
        },
        [](void* p, type_pattern pattern, subscribe_options const& o, subscriber s) {
            return subscription(static_cast<B*>(p)->subscribe(pattern, o, std::move(s)));
        },
        [](void const* p) -> bus_stats { return static_cast<B const*>(p)->stats(); },
    };

    void reset() noexcept {
        if (ops_)
            ops_->destroy(bus_);
        bus_ = nullptr;
        ops_ = nullptr;
    }

    void* bus_ = nullptr;
    operations const* ops_ = nullptr;
};

static_assert(bus<any_bus>, "apikit::events::any_bus must model apikit::events::bus");
static_assert(event_log<any_bus>, "apikit::events::any_bus must model apikit::events::event_log");

} // namespace apikit::events

#endif
