#ifndef APIKIT_HTTP_CONTEXT_HPP
#define APIKIT_HTTP_CONTEXT_HPP

// Per-request state that middleware share: how the areas talk to each other.
//
// Authentication finds a user that the rate limiter keys by and the audit
// trail records; tracing starts a span whose ids every log line of the
// request carries. None of that belongs in `http::request`, or the HTTP
// layer would depend on every area. Instead each middleware declares the
// slots it fills, and the chain gives its exchange one value of each:
//
//     struct authenticate {
//         using provides = http::slots<auth::principal>;   // fills it
//         template <class Exchange>
//         http::flow on_request(Exchange& ex) const {
//             http::slot<auth::principal>(ex) = ...;
//             return http::flow::next;
//         }
//     };
//     struct audit {
//         using needs = http::slots<auth::principal>;      // reads it
//         ...
//     };
//
// `chain<authenticate, audit, app>` then runs on an
// `exchange_with<auth::principal>`. Everything is decided at compile time:
// `slot<T>(ex)` is a member access (no lookup, no allocation, no cast at run
// time), a hook that reads a slot no layer of its chain provides does not
// compile, and neither does a chain whose layer needs a slot that no
// earlier layer provides. A hook written as a template over its exchange
// (as above) sees the chain's typed exchange; one that takes
// `http::exchange&` keeps working and sees no slots.
//
// A slot is a default-constructible type, owned by the connection's
// exchange and reused for each of its requests: before a request's first
// hook runs, a slot with a `clear()` member is cleared (keeping its
// capacity), any other is assigned a default-constructed value. Slots are
// touched only by the hooks of their own exchange, on its connection's
// executor: no synchronization is needed.

#include <apikit/http/exchange.hpp>

#include <concepts>
#include <tuple>
#include <type_traits>

namespace apikit::http {

/// A compile-time list of slot types.
template <class... Slots>
struct slots {};

namespace detail {

template <class T, class List>
inline constexpr bool list_contains = false;
template <class T, class... Ts>
inline constexpr bool list_contains<T, slots<Ts...>> = (std::is_same_v<T, Ts> || ...);

template <class List>
inline constexpr bool list_unique = true;
template <class T, class... Ts>
inline constexpr bool list_unique<slots<T, Ts...>> =
    !list_contains<T, slots<Ts...>> && list_unique<slots<Ts...>>;

// The first list with each type of the second appended unless already there.
template <class Into, class From>
struct list_union;
template <class Into>
struct list_union<Into, slots<>> {
    using type = Into;
};
template <class... Is, class F, class... Fs>
struct list_union<slots<Is...>, slots<F, Fs...>> {
    using type = typename list_union<
        std::conditional_t<list_contains<F, slots<Is...>>, slots<Is...>, slots<Is..., F>>,
        slots<Fs...>>::type;
};

template <class Sub, class Super>
inline constexpr bool list_includes = false;
template <class... Ss, class Super>
inline constexpr bool list_includes<slots<Ss...>, Super> = (list_contains<Ss, Super> && ...);

template <class T>
struct slot_value {
    T value{};
};

template <class T>
void reset_slot(T& value) {
    if constexpr (requires { value.clear(); })
        value.clear();
    else
        value = T{};
}

} // namespace detail

/// What a slot type must be: default-constructible, and resettable for the
/// next request (by `clear()`, or by assigning a default-constructed value).
template <class T>
concept slot_type = std::is_object_v<T> && !std::is_const_v<T> && std::default_initializable<T> &&
                    (requires(T & t) { t.clear(); } || std::is_move_assignable_v<T>);

/// The exchange of a chain whose layers provide `Slots...`.
template <class... Slots>
class exchange_with : public exchange, private detail::slot_value<Slots>... {
    static_assert((slot_type<Slots> && ...),
                  "apikit::http::exchange_with's Slots must model apikit::http::slot_type");
    static_assert(detail::list_unique<slots<Slots...>>,
                  "apikit::http::exchange_with lists a slot twice");

public:
    using slot_list = slots<Slots...>;

    using exchange::exchange;

    /// Starts the next request: the exchange's own state and every slot.
    void reset(time_point start, boost::asio::ip::tcp::endpoint const& remote) {
        exchange::reset(start, remote);
        (detail::reset_slot(static_cast<detail::slot_value<Slots>&>(*this).value), ...);
    }

    template <class T>
    [[nodiscard]] T& slot() noexcept {
        static_assert(detail::list_contains<T, slot_list>,
                      "no layer of this chain provides this slot: add the middleware that "
                      "fills it (its `provides` names it) before the layer that reads it");
        return static_cast<detail::slot_value<T>&>(*this).value;
    }
    template <class T>
    [[nodiscard]] T const& slot() const noexcept {
        static_assert(detail::list_contains<T, slot_list>,
                      "no layer of this chain provides this slot: add the middleware that "
                      "fills it (its `provides` names it) before the layer that reads it");
        return static_cast<detail::slot_value<T> const&>(*this).value;
    }
};

/// The slots an exchange type carries: none for a plain `exchange`.
template <class Exchange>
struct slots_of {
    using type = slots<>;
};
template <class... Slots>
struct slots_of<exchange_with<Slots...>> {
    using type = slots<Slots...>;
};

/// True when `Exchange` carries a slot of type `T`: for a layer that uses
/// what another provides when the chain has it and does without otherwise.
template <class Exchange, class T>
inline constexpr bool has_slot =
    detail::list_contains<T, typename slots_of<std::remove_const_t<Exchange>>::type>;

/// The slot of type `T` of `ex`; does not compile unless the chain provides it.
template <class T, class... Slots>
[[nodiscard]] T& slot(exchange_with<Slots...>& ex) noexcept {
    return ex.template slot<T>();
}
template <class T, class... Slots>
[[nodiscard]] T const& slot(exchange_with<Slots...> const& ex) noexcept {
    return ex.template slot<T>();
}
template <class T, class Exchange>
requires std::same_as<std::remove_const_t<Exchange>, exchange> T& slot(Exchange&) noexcept {
    static_assert(sizeof(T) == 0,
                  "this exchange has no slots: no layer of its chain provides one, or the hook "
                  "takes http::exchange& where it should be a template over its exchange type");
}

namespace detail {

template <class L>
struct exchange_of_list;
template <>
struct exchange_of_list<slots<>> {
    using type = exchange;
};
template <class... Slots>
struct exchange_of_list<slots<Slots...>> {
    using type = exchange_with<Slots...>;
};

// What a layer declares it fills and reads.
template <class L>
struct provides_of {
    using type = slots<>;
};
template <class L>
requires requires {
    typename L::provides;
}
struct provides_of<L> {
    using type = typename L::provides;
};
template <class L>
struct needs_of {
    using type = slots<>;
};
template <class L>
requires requires {
    typename L::needs;
}
struct needs_of<L> {
    using type = typename L::needs;
};

// The exchange type a handler was written for: `H::exchange_type` (a
// `basic_app<exchange_with<…>>`), else the plain exchange.
template <class H>
struct handler_exchange {
    using type = exchange;
};
template <class H>
requires requires {
    typename H::exchange_type;
}
struct handler_exchange<H> {
    using type = typename H::exchange_type;
};

} // namespace detail

/// The slots a layer fills (its `provides`) and reads (its `needs`); none
/// when it declares none. A layer that wraps another (a classifier inside a
/// classifier) passes on what the inner one needs.
template <class Layer>
using provides_of_t = typename detail::provides_of<Layer>::type;
template <class Layer>
using needs_of_t = typename detail::needs_of<Layer>::type;

} // namespace apikit::http

#endif
