#ifndef APIKIT_OBS_TRACESTATE_HPP
#define APIKIT_OBS_TRACESTATE_HPP

// The `tracestate` field of W3C Trace Context Level 1 (§3.3): vendors'
// entries for one trace, most recent position first.
//
//   tracestate: rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
//
// Read leniently, as the spec allows: members that break the grammar
// (detail/trace_state.hpp), a second member with a key already seen (the
// first, the most recent, is kept) and members past the 32nd are dropped and
// counted in `dropped()`; the rest keep their order. Several fields are one
// list (`append` each in turn). A member the server adds or updates goes to
// the front (`put`), as the spec asks. The W3C test suite's strictest level
// discards the whole field instead; a caller that wants that clears the
// state when `dropped()` is not zero.
//
// The list is held as the text it is sent as (members joined by ',', no
// whitespace) and a fixed table of where each member is in it, so reading
// a member is a view, writing the field is that text, and a copy is a
// string copy. It allocates only for its text, and clear() keeps that
// memory: as a per-request slot it allocates once per connection. A value,
// with no thread of its own.

#include <apikit/obs/detail/trace_state.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::obs {

/// A `tracestate` list: at most 32 `key=value` members, keys unique, in
/// order (the most recent position first). Its text is kept as it is sent
/// (members joined by ',', no spaces), so writing it costs nothing.
class tracestate {
public:
    static constexpr std::size_t max_members = 32;

    struct member {
        std::string_view key;
        std::string_view value;
    };

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = member;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = member;

        iterator() = default;
        [[nodiscard]] member operator*() const noexcept { return (*state_)[i_]; }
        iterator& operator++() noexcept {
            ++i_;
            return *this;
        }
        iterator operator++(int) noexcept {
            auto old = *this;
            ++i_;
            return old;
        }
        friend bool operator==(iterator const&, iterator const&) noexcept = default;

    private:
        friend class tracestate;
        iterator(tracestate const* s, std::size_t i) noexcept : state_(s), i_(i) {}
        tracestate const* state_ = nullptr;
        std::size_t i_ = 0;
    };

    tracestate() = default;

    /// The members of one field value (see the top for what is dropped).
    [[nodiscard]] static tracestate parse(std::string_view field_value) {
        tracestate s;
        s.append(field_value);
        return s;
    }

    /// Adds the members of one more `tracestate` field after those held:
    /// several fields are one list, in order (RFC 9110 §5.3).
    void append(std::string_view field_value) {
        dropped_ += detail::for_each_tracestate_member(
            field_value, [this](std::string_view key, std::string_view value) {
                if (size_ == max_members || index_of(key) != npos)
                    ++dropped_;
                else
                    push_back(key, value);
            });
    }

    /// Sets `key` to `value` and moves it to the front, as the spec asks of
    /// the member a service adds or updates; with 32 members already, the
    /// last one goes. False, and nothing changed, for a key or a value
    /// outside the grammar.
    [[nodiscard]] bool put(std::string_view key, std::string_view value) {
        if (!detail::valid_tracestate_key(key) || !detail::valid_tracestate_value(value))
            return false;
        // Built anew, so that `key` and `value` may point into this list.
        tracestate next;
        next.text_.reserve(key.size() + 2 + value.size() + text_.size());
        next.push_back(key, value);
        for (auto const m : *this)
            if (m.key != key && next.size_ < max_members)
                next.push_back(m.key, m.value);
        next.dropped_ = dropped_;
        *this = std::move(next);
        return true;
    }

    /// Removes `key`'s member, if any.
    void erase(std::string_view key) noexcept {
        auto const i = index_of(key);
        if (i == npos)
            return;
        auto const& e = entries_[i];
        std::size_t begin = e.offset;
        std::size_t end = e.offset + e.key_size + 1u + e.value_size;
        if (i + 1 < size_)
            ++end; // its ','
        else if (i > 0)
            --begin; // the ',' before the last member
        text_.erase(begin, end - begin);
        for (std::size_t j = i; j + 1 < size_; ++j) {
            entries_[j] = entries_[j + 1];
            entries_[j].offset = static_cast<std::uint16_t>(entries_[j].offset - (end - begin));
        }
        --size_;
    }

    /// The value of `key`'s member.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view key) const noexcept {
        auto const i = index_of(key);
        if (i == npos)
            return std::nullopt;
        return (*this)[i].value;
    }

    [[nodiscard]] member operator[](std::size_t i) const noexcept {
        auto const& e = entries_[i];
        std::string_view const t = text_;
        return {t.substr(e.offset, e.key_size), t.substr(e.offset + e.key_size + 1u, e.value_size)};
    }
    [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
    [[nodiscard]] iterator end() const noexcept { return {this, size_}; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// Members dropped while parsing: invalid, duplicate or past the 32nd.
    [[nodiscard]] std::size_t dropped() const noexcept { return dropped_; }

    /// The field value to send: `k=v,k2=v2`; empty when there is no member.
    [[nodiscard]] std::string_view text() const noexcept { return text_; }
    [[nodiscard]] std::string to_string() const { return text_; }

    /// Empties the list and keeps its capacity (a per-request slot).
    void clear() noexcept {
        text_.clear();
        size_ = 0;
        dropped_ = 0;
    }

    /// The same members in the same order.
    friend bool operator==(tracestate const& a, tracestate const& b) noexcept {
        return a.text_ == b.text_;
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Where a member's `key=value` is in text_: at most 32 * 514 characters,
    // so 16 bits hold every offset and size.
    struct entry {
        std::uint16_t offset = 0;
        std::uint16_t key_size = 0;
        std::uint16_t value_size = 0;
    };

    [[nodiscard]] std::size_t index_of(std::string_view key) const noexcept {
        std::string_view const t = text_;
        for (std::size_t i = 0; i < size_; ++i)
            if (t.substr(entries_[i].offset, entries_[i].key_size) == key)
                return i;
        return npos;
    }

    void push_back(std::string_view key, std::string_view value) {
        if (size_ != 0)
            text_.push_back(',');
        entries_[size_++] = {static_cast<std::uint16_t>(text_.size()),
                             static_cast<std::uint16_t>(key.size()),
                             static_cast<std::uint16_t>(value.size())};
        text_.append(key).append(1, '=').append(value);
    }

    std::string text_;
    std::array<entry, max_members> entries_{};
    std::size_t size_ = 0;
    std::size_t dropped_ = 0;
};

} // namespace apikit::obs

#endif
