#ifndef APIKIT_CORE_ERROR_CATEGORY_HPP
#define APIKIT_CORE_ERROR_CATEGORY_HPP

// An area's error codes from one table. An area whose failures say more than
// apikit::errc can (redis::error: was the command sent? may it have run?)
// declares an enum and specializes apikit::error_table for it, once:
//
//     enum class error : int { not_connected = 1, cross_slot };
//
//     template <>
//     struct apikit::error_table<apikit::redis::error> {
//         static constexpr char const* name = "apikit.redis";
//         static constexpr std::uint64_t id = 0x6a7e2d1c9b35f047; // random, fixed
//         static constexpr std::string_view unknown = "redis: unknown error";
//         static constexpr std::array<error_row<redis::error>, 2> rows{{
//             {redis::error::not_connected, "redis: not connected",
//              errc::service_unavailable, condition::backend_unavailable},
//             {redis::error::cross_slot, "redis: keys in two slots", errc::internal_error},
//         }};
//     };
//
// and gets the rest from here: a boost::system::error_category for the enum
// (error_category_of<E>()), make_error_code (brought into the area's
// namespace by `using apikit::make_error_code;`, where Boost looks for it),
// the is_error_code_enum wiring, `ec == condition::…` for the codes the table
// puts in a condition, and apikit::to_errc / http_status answering each code
// with its row's errc. So a code is mapped to apikit::errc in one place, its
// row, and no area writes a category by hand.
//
// The rows list the enum's values in order from 1 (0 is success in every
// category); a static_assert checks it, so a lookup is an index. The id makes
// category equality a compare of ids, so the category stays one even if two
// shared objects each hold a copy of it. Everything here is constant after
// static initialization and safe from any thread. No Beast, no Asio.

#include <apikit/core/error.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/error_condition.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace apikit {

/// One code of an area's table.
template <class E>
struct error_row {
    E code;
    std::string_view message; ///< for logs and operators, never for clients
    errc answer;              ///< what a client is answered (status, envelope code)
    std::optional<condition> in = std::nullopt; ///< the condition the code belongs to, if any
};

/// An area's table for its enum `E`; specialized by the area (see above).
/// The primary template has none: an enum without a table is no error_enum.
template <class E>
struct error_table {};

/// An enum with a table: name, id, the message of an unknown value, and one
/// row per value.
template <class E>
concept error_enum = std::is_enum_v<E> && requires {
    { error_table<E>::name } -> std::convertible_to<char const*>;
    { error_table<E>::id } -> std::convertible_to<std::uint64_t>;
    { error_table<E>::unknown } -> std::convertible_to<std::string_view>;
    { error_table<E>::rows[0] } -> std::convertible_to<error_row<E> const&>;
    { error_table<E>::rows.size() } -> std::convertible_to<std::size_t>;
};

namespace detail {

template <class Rows>
constexpr bool rows_in_order(Rows const& rows) noexcept {
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (static_cast<std::size_t>(rows[i].code) != i + 1)
            return false;
    return true;
}

} // namespace detail

/// The category of `E`'s codes, made from its table.
template <class E>
class table_error_category final : public area_error_category {
    using table = error_table<E>;
    static_assert(error_enum<E>, "apikit::table_error_category's E must model apikit::error_enum");
    static_assert(detail::rows_in_order(table::rows),
                  "an error_table's rows list its enum's values in order, from 1");

public:
    constexpr table_error_category() noexcept : area_error_category(table::id) {}

    /// The row of `ev`, or null when the enum has no such value.
    [[nodiscard]] static constexpr error_row<E> const* row(int ev) noexcept {
        return ev >= 1 && static_cast<std::size_t>(ev) <= table::rows.size()
                   ? &table::rows[static_cast<std::size_t>(ev) - 1]
                   : nullptr;
    }

    char const* name() const noexcept override { return table::name; }

    std::string message(int ev) const override { return std::string(text(ev)); }

    char const* message(int ev, char* buffer, std::size_t len) const noexcept override {
        return detail::copy_message(text(ev), buffer, len);
    }

    [[nodiscard]] errc answer(int ev) const noexcept override {
        auto const* r = row(ev);
        return r ? r->answer : errc::internal_error;
    }

    /// `ec == condition::…` for the codes whose row names the condition.
    bool equivalent(int ev, boost::system::error_condition const& cond) const noexcept override {
        if (cond.category() == condition_category()) {
            auto const* r = row(ev);
            return r && r->in && static_cast<int>(*r->in) == cond.value();
        }
        return default_error_condition(ev) == cond;
    }

private:
    static constexpr std::string_view text(int ev) noexcept {
        auto const* r = row(ev);
        return r ? r->message : std::string_view(table::unknown);
    }
};

template <error_enum E>
inline constexpr table_error_category<E> table_error_category_instance{};

/// The category of `E`'s codes; one object for the program.
template <error_enum E>
[[nodiscard]] constexpr boost::system::error_category const& error_category_of() noexcept {
    return table_error_category_instance<E>;
}

/// The code `e` in its area's category. Boost finds it by argument-dependent
/// lookup in the enum's namespace: an area brings it there with
/// `using apikit::make_error_code;`.
template <error_enum E>
[[nodiscard]] boost::system::error_code make_error_code(E e) noexcept {
    return {static_cast<int>(e), error_category_of<E>()};
}

} // namespace apikit

/// Every enum with a table converts to boost::system::error_code.
template <apikit::error_enum E>
struct boost::system::is_error_code_enum<E> : std::true_type {};

#endif
