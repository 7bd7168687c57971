#ifndef APIKIT_SERVER_ANY_EVENT_BUS_HPP
#define APIKIT_SERVER_ANY_EVENT_BUS_HPP

// The sample server's events, whichever bus holds them: an
// apikit::events::memory_bus (the default) or an apikit::events::redis_bus
// (--redis), erased once where it is plugged in, as the user store and the
// limiters are, so that the routes are compiled once.
//
// It erases what the service uses of a bus: publishing (events::bus) and
// listing newest first (events::event_log), both through a completion
// handler, and the figures every bus keeps (events::bus_stats) for
// /metrics. Subscribing is not erased: the service has no subscriber yet
// (the welcome email waits for the jobs area).
//
// Threads and time are the bus's own: a memory bus calls the handler before
// the call returns, on the caller's thread; a Redis bus calls it later, on
// its connection's strand. completes_inline() says which. A handler is a
// std::function, so what it captures must be copyable.

#include <apikit/events/bus.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/memory_bus.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace sample {

namespace events = apikit::events;

namespace detail {
template <class Bus>
inline constexpr bool answers_inline = false;
template <class Clock>
inline constexpr bool answers_inline<events::basic_memory_bus<Clock>> = true;
} // namespace detail

class any_event_bus {
public:
    using publish_handler = std::function<void(boost::system::error_code, events::position)>;
    using list_handler = std::function<void(boost::system::error_code, events::page)>;

    /// A bus of type `Bus`, made from `args`, which must model
    /// apikit::events::bus and apikit::events::event_log.
    template <class Bus, class... Args>
    explicit any_event_bus(std::in_place_type_t<Bus>, Args&&... args)
        : impl_(std::make_unique<model<Bus>>(std::forward<Args>(args)...)) {
        static_assert(events::bus<Bus>, "sample::any_event_bus's Bus must model "
                                        "apikit::events::bus");
        static_assert(events::event_log<Bus>, "sample::any_event_bus's Bus must model "
                                              "apikit::events::event_log");
    }

    /// Publishes `e`; `done(ec, position)` is called once.
    void async_publish(events::event const& e, publish_handler done) {
        impl_->publish(e, std::move(done));
    }
    /// At most `limit` events before `before` (from the newest when unset),
    /// newest first; `done(ec, page)` is called once.
    void async_list(std::size_t limit, std::optional<events::position> before, list_handler done) {
        impl_->list(limit, before, std::move(done));
    }
    /// The figures every bus keeps.
    [[nodiscard]] events::bus_stats stats() const { return impl_->stats(); }
    /// True when every handler is called before the call that takes it returns.
    [[nodiscard]] bool completes_inline() const noexcept { return impl_->completes_inline(); }

    /// The bus, when it is a `Bus`; else nullptr.
    template <class Bus>
    [[nodiscard]] Bus* target() noexcept {
        auto* m = dynamic_cast<model<Bus>*>(impl_.get());
        return m ? &m->bus : nullptr;
    }

private:
    struct concept_base {
        virtual ~concept_base() = default;
        virtual void publish(events::event const&, publish_handler) = 0;
        virtual void list(std::size_t, std::optional<events::position>, list_handler) = 0;
        [[nodiscard]] virtual events::bus_stats stats() const = 0;
        [[nodiscard]] virtual bool completes_inline() const noexcept = 0;
    };

    template <class Bus>
    struct model final : concept_base {
        template <class... Args>
        explicit model(Args&&... args) : bus(std::forward<Args>(args)...) {}

        void publish(events::event const& e, publish_handler done) override {
            bus.async_publish(e, std::move(done));
        }
        void list(std::size_t limit, std::optional<events::position> before,
                  list_handler done) override {
            bus.async_list(limit, before, std::move(done));
        }
        [[nodiscard]] events::bus_stats stats() const override { return bus.stats(); }
        [[nodiscard]] bool completes_inline() const noexcept override {
            // The memory bus answers in the call (memory_bus.hpp); any other
            // is taken to answer later.
            return detail::answers_inline<Bus>;
        }

        Bus bus;
    };

    std::unique_ptr<concept_base> impl_;
};

} // namespace sample

#endif
