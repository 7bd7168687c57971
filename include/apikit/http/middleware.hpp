#ifndef APIKIT_HTTP_MIDDLEWARE_HPP
#define APIKIT_HTTP_MIDDLEWARE_HPP

// Middleware and the typed chain that composes them at compile time.
//
// A middleware has one or more of three hooks:
//
//   void on_begin(exchange&) const;     first, for every request, in chain order
//   flow on_request(exchange&) const;   before the handler, in chain order
//   void on_response(exchange&) const;  after it, in reverse order
//
// `on_begin` runs for every exchange, including those the server answers
// itself (a 400 for bad framing, a 431, a 408) where no `on_request` runs:
// it is where a middleware stamps what every response needs, such as the
// request id. It is synchronous and does not answer. `on_request` returns
// `flow::next` to go on, `flow::respond` to answer now (it has set the
// response: a 401, a 429), or `flow::pending` after calling
// `ex.suspend()`, whose continuation it calls later from wherever its
// asynchronous work completes (a Redis reply, a timer). `on_response` runs
// for every response the connection sends, server-made ones included, so it
// must not assume its own `on_request` ran. Hooks are const and called from
// every worker thread at once: state they change must be synchronized.
//
// A handler, the chain's last layer, is `void operator()(exchange&) const`;
// it may suspend too and then calls the continuation when the response is set.
//
// Layers share per-request state through the exchange's slots: a layer
// declares `using provides = slots<T…>` for what it fills and `using needs =
// slots<T…>` for what it reads, the chain's exchange then carries one value
// of each (`exchange_type`, an `exchange_with<T…>`), and a hook written as a
// template over its exchange reads them with `slot<T>(ex)`. Both are checked
// when the chain is compiled; see context.hpp.
//
// `chain<Ms..., H>` calls each layer directly: with synchronous layers the
// whole chain inlines into one function, so a middleware costs its own work
// and no indirect call. Only a suspension pays for a (type-erased)
// continuation. An exception from any layer becomes a 500 whose text goes to
// `exchange::log_detail`, never to the client.

#include <apikit/core/error.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace apikit::http {

template <class M, class Exchange = exchange>
concept request_hook = requires(M const& m, Exchange& ex) {
    { m.on_request(ex) } -> std::same_as<flow>;
};

template <class M, class Exchange = exchange>
concept response_hook = requires(M const& m, Exchange& ex) {
    { m.on_response(ex) } -> std::same_as<void>;
};

template <class M, class Exchange = exchange>
concept begin_hook = requires(M const& m, Exchange& ex) {
    { m.on_begin(ex) } -> std::same_as<void>;
};

/// A layer of the chain before the handler: see the top of this header.
/// `Exchange` is the exchange type of the chain it is in (context.hpp).
template <class M, class Exchange = exchange>
concept middleware = std::move_constructible<M> &&
    (begin_hook<M, Exchange> || request_hook<M, Exchange> || response_hook<M, Exchange>);

/// The last layer of the chain: fills the response (maybe later, after
/// `exchange::suspend()`).
template <class H, class Exchange = exchange>
concept handler = std::move_constructible<H> && requires(H const& h, Exchange& ex) {
    { h(ex) } -> std::same_as<void>;
};

template <class... Layers>
class chain {
    static constexpr std::size_t size = sizeof...(Layers);
    static_assert(size >= 1, "an apikit::http::chain needs at least its handler");
    using layers_type = std::tuple<Layers...>;
    template <std::size_t I>
    using layer_t = std::tuple_element_t<I, layers_type>;
    using handler_type = layer_t<size - 1>;

    // The slots provided by the layers before layer I.
    template <std::size_t I>
    static auto provided_before() {
        if constexpr (I == 0)
            return slots<>{};
        else
            return typename detail::list_union<
                decltype(provided_before<I - 1>()),
                typename detail::provides_of<layer_t<I - 1>>::type>::type{};
    }
    using provided = decltype(provided_before<size - 1>());
    using handler_exchange = typename detail::handler_exchange<handler_type>::type;

public:
    /// The exchange every layer sees: one slot for each that a middleware
    /// provides (context.hpp), or the handler's own exchange type when it
    /// names one (`basic_app<exchange_with<…>>`).
    using exchange_type =
        std::conditional_t<std::is_same_v<handler_exchange, exchange>,
                           typename detail::exchange_of_list<provided>::type, handler_exchange>;

private:
    static_assert(detail::list_includes<provided, typename slots_of<exchange_type>::type>,
                  "the handler's exchange type lacks a slot that a middleware of the chain "
                  "provides: add it to the handler's exchange_with<...>");
    static_assert(detail::list_includes<typename slots_of<exchange_type>::type, provided>,
                  "the handler's exchange type has a slot that no middleware of the chain "
                  "provides");

    template <std::size_t... I>
    static constexpr bool middlewares_ok(std::index_sequence<I...>) {
        return (middleware<layer_t<I>, exchange_type> && ...);
    }
    static_assert(middlewares_ok(std::make_index_sequence<size - 1>{}),
                  "apikit::http::chain's Layers but the last must model "
                  "apikit::http::middleware");
    static_assert(handler<handler_type, exchange_type>,
                  "apikit::http::chain's last layer must model apikit::http::handler");

    template <std::size_t... I>
    static constexpr bool needs_met(std::index_sequence<I...>) {
        return (detail::list_includes<typename detail::needs_of<layer_t<I>>::type,
                                      decltype(provided_before<I>())> &&
                ...);
    }
    static_assert(needs_met(std::make_index_sequence<size>{}),
                  "a layer of an apikit::http::chain needs a slot that no layer before it "
                  "provides: put the middleware that provides it earlier in the chain");

public:
    explicit chain(Layers... layers) : layers_(std::move(layers)...) {}

    /// Layer `I`, e.g. to read a counter a middleware keeps.
    template <std::size_t I>
    auto const& get() const noexcept {
        return std::get<I>(layers_);
    }

    /// Runs the exchange from the first layer. On return the exchange has
    /// completed, or a layer suspended it and the connection is told when a
    /// continuation resumes it.
    void start(exchange_type& ex) const noexcept {
        try {
            begin(ex);
            step<0>(ex);
        } catch (std::exception const& e) {
            fail(ex, e.what());
        } catch (...) {
            fail(ex, "an exception not derived from std::exception");
        }
    }

    /// Completes an exchange whose response the server made itself (a framing
    /// error, a timeout): no `on_request` runs, every `on_response` does.
    void respond(exchange_type& ex) const noexcept {
        ex.depth_ = size - 1;
        try {
            begin(ex);
            unwind(ex);
        } catch (std::exception const& e) {
            fail(ex, e.what());
        } catch (...) {
            fail(ex, "an exception not derived from std::exception");
        }
    }

private:
    void begin(exchange_type& ex) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (begin_one<I>(ex), ...);
        }
        (std::make_index_sequence<size - 1>{});
    }

    template <std::size_t I>
    void begin_one(exchange_type& ex) const {
        if constexpr (begin_hook<layer_t<I>, exchange_type>)
            std::get<I>(layers_).on_begin(ex);
    }

    template <std::size_t I>
    void step(exchange_type& ex) const {
        auto const& layer = std::get<I>(layers_);
        ex.chain_ = this;
        ex.resume_ = &resume<I>;
        ex.depth_ = I + 1 < size ? I + 1 : size - 1;
        if constexpr (I + 1 == size) {
            layer(ex);
            if (!ex.suspended_)
                unwind(ex);
        } else if constexpr (request_hook<layer_t<I>, exchange_type>) {
            flow const f = layer.on_request(ex);
            if (ex.suspended_)
                return; // the continuation goes on
            if (f == flow::pending)
                throw std::logic_error("a middleware returned flow::pending without suspending");
            if (f == flow::next)
                step<I + 1>(ex);
            else
                unwind(ex);
        } else {
            step<I + 1>(ex);
        }
    }

    template <std::size_t I>
    static void resume(void const* self, exchange& base, flow f) noexcept {
        auto const& c = *static_cast<chain const*>(self);
        // Only this chain suspends its exchanges, and they are all of its type.
        auto& ex = static_cast<exchange_type&>(base);
        if (f == flow::pending)
            return c.fail(ex, "a continuation was destroyed without being called");
        try {
            if constexpr (I + 1 < size) {
                if (f == flow::next)
                    return c.template step<I + 1>(ex);
            }
            c.unwind(ex);
        } catch (std::exception const& e) {
            c.fail(ex, e.what());
        } catch (...) {
            c.fail(ex, "an exception not derived from std::exception");
        }
    }

    void unwind(exchange_type& ex) const {
        ex.unwinding_ = true;
        unwind_from<size - 1>(ex);
        ex.completed_ = true;
    }

    template <std::size_t I>
    void unwind_from(exchange_type& ex) const {
        if constexpr (I < size - 1 && response_hook<layer_t<I>, exchange_type>) {
            if (I < ex.depth_)
                std::get<I>(layers_).on_response(ex);
        }
        if constexpr (I > 0)
            unwind_from<I - 1>(ex);
    }

    // Replaces whatever response was being built with a 500. If the failure
    // came from an on_response hook, the hooks are not run again: the
    // exchange completes with what it has.
    void fail(exchange_type& ex, char const* what) const noexcept {
        if (ex.completed_)
            return;
        try {
            ex.log_detail(what);
            ex.response().clear();
            ex.response().error(errc::internal_error);
        } catch (...) {
            // Out of memory while reporting: the connection closes regardless.
        }
        ex.suspended_ = false;
        if (!ex.unwinding_) {
            try {
                unwind(ex);
                return;
            } catch (...) {
            }
        }
        ex.completed_ = true;
    }

    layers_type layers_;
};

namespace detail {
template <class T>
inline constexpr bool is_chain = false;
template <class... Ls>
inline constexpr bool is_chain<chain<Ls...>> = true;
} // namespace detail

} // namespace apikit::http

#endif
