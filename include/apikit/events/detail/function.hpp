#ifndef APIKIT_EVENTS_DETAIL_FUNCTION_HPP
#define APIKIT_EVENTS_DETAIL_FUNCTION_HPP

// A callable, type-erased and move-only: what a bus keeps of a subscriber,
// and what any_bus turns a completion handler into. std::function would need
// it copyable, and a subscriber or a handler may own what must not be
// copied (a unique_ptr, a coroutine's continuation); std::move_only_function
// is C++23. No Asio here: an Asio handler erased by it runs where the bus
// calls it, without its associated executor (any_bus.hpp says so).

#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>

namespace apikit::events::detail {

// Once: a completion handler, called at most once, as an rvalue (Asio's
// handlers may be callable only so). Otherwise a subscriber, called as an
// lvalue as many times as there are events.
template <class Signature, bool Once = false>
class move_function;

template <class R, class... Args, bool Once>
class move_function<R(Args...), Once> {
    template <class F>
    using callable_as = std::conditional_t<Once, F&&, F&>;

public:
    move_function() noexcept = default;

    template <class F>
    requires(!std::same_as<std::decay_t<F>, move_function> &&
             std::invocable<callable_as<std::decay_t<F>>, Args...>) explicit move_function(F&& f)
        : p_(std::make_unique<impl<std::decay_t<F>>>(std::forward<F>(f))) {}

    [[nodiscard]] explicit operator bool() const noexcept { return p_ != nullptr; }

    R operator()(Args... args) const { return p_->call(std::forward<Args>(args)...); }

private:
    struct base {
        virtual ~base() = default;
        virtual R call(Args...) = 0;
    };

    template <class F>
    struct impl final : base {
        template <class G>
        explicit impl(G&& g) : fn(std::forward<G>(g)) {}
        R call(Args... args) override {
            return static_cast<callable_as<F>>(fn)(std::forward<Args>(args)...);
        }
        F fn;
    };

    std::unique_ptr<base> p_;
};

template <class Signature>
using once_function = move_function<Signature, true>;

} // namespace apikit::events::detail

#endif
