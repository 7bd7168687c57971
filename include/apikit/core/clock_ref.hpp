#ifndef APIKIT_CORE_CLOCK_REF_HPP
#define APIKIT_CORE_CLOCK_REF_HPP

// Components hold their clock by value, as they hold every other policy, so a
// stateless clock costs nothing. A stateful clock that several components (and
// the test driving them) must share — a manual_clock — is plugged in through
// a clock_ref instead: a copyable handle that reads a clock it does not own.

#include <apikit/core/clock.hpp>

#include <memory>

namespace apikit {

template <class C>
class clock_ref {
    static_assert(clock<C>, "apikit::clock_ref's C must model apikit::clock");

public:
    using rep = typename C::rep;
    using period = typename C::period;
    using duration = typename C::duration;
    using time_point = typename C::time_point;

    /// `c` must outlive every copy of this handle.
    constexpr explicit clock_ref(C const& c) noexcept : clock_(std::addressof(c)) {}

    [[nodiscard]] time_point now() const noexcept(noexcept(std::declval<C const&>().now())) {
        return clock_->now();
    }

    [[nodiscard]] C const& get() const noexcept { return *clock_; }

private:
    C const* clock_;
};

template <class C>
clock_ref(C const&) -> clock_ref<C>;

static_assert(clock<clock_ref<manual_clock<>>>, "apikit::clock_ref must model apikit::clock");

} // namespace apikit

#endif
