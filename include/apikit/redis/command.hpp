#ifndef APIKIT_REDIS_COMMAND_HPP
#define APIKIT_REDIS_COMMAND_HPP

// A Redis command, formatted to RESP once, when it is built:
//
//     redis::command set{"SET", key, 42, "EX", 300};
//     co_await conn.async_exec({"INCR", key}, asio::use_awaitable);
//
// Building formats (through hiredis's redisFormatCommandArgv), so the work is
// done on the caller's thread and the connection only appends bytes. An
// argument is anything string-like (copied into the command, so nothing
// needs to outlive the call) or a number (written in decimal).
//
// Why variadic constructors and no std::initializer_list: g++ 12 rejects an
// initializer_list of class type inside a co_await expression ("array used
// as initializer"), and `co_await conn.async_exec({"GET", key}, …)` is the
// way these are meant to be written.

#include <hiredis/hiredis.h>

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::redis {

/// One argument of a command: a view of a string, or a number written into
/// the argument itself. Meant to live for one full expression (as the
/// elements of a braced list do), like std::string_view.
class arg {
public:
    /// The empty string.
    arg() noexcept : data_(buf_.data()), inline_(true) {}
    arg(std::string_view s) noexcept : data_(s.data()), size_(s.size()) {}
    arg(char const* s) noexcept : arg(std::string_view(s)) {}
    arg(std::string const& s) noexcept : arg(std::string_view(s)) {}

    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) arg(T v)
    noexcept {
        auto const r = std::to_chars(buf_.data(), buf_.data() + buf_.size(), v);
        set_inline(static_cast<std::size_t>(r.ptr - buf_.data()));
    }

    /// Shortest text that reads back as the same double; Redis parses it.
    arg(double v) noexcept {
        auto const r = std::to_chars(buf_.data(), buf_.data() + buf_.size(), v);
        set_inline(static_cast<std::size_t>(r.ptr - buf_.data()));
    }

    arg(arg const& o) noexcept : buf_(o.buf_), size_(o.size_), inline_(o.inline_) {
        data_ = inline_ ? buf_.data() : o.data_;
    }
    arg& operator=(arg const& o) noexcept {
        buf_ = o.buf_;
        size_ = o.size_;
        inline_ = o.inline_;
        data_ = inline_ ? buf_.data() : o.data_;
        return *this;
    }

    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
    char const* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    void set_inline(std::size_t n) noexcept {
        data_ = buf_.data();
        size_ = n;
        inline_ = true;
    }

    // 32 bytes hold any 64-bit integer and the shortest form of any double.
    std::array<char, 32> buf_{};
    char const* data_ = nullptr;
    std::size_t size_ = 0;
    bool inline_ = false;
};

namespace detail {

/// RESP for `args` through hiredis's formatter, appended to `out`. With
/// `skip_header`, the leading `*N\r\n` is left out, so the elements can be
/// spliced after a header of another count.
inline void append_resp(std::string& out, std::span<arg const> args, bool skip_header = false) {
    constexpr std::size_t small = 16;
    std::array<char const*, small> ptr_buf;
    std::array<std::size_t, small> len_buf;
    std::unique_ptr<char const*[]> ptr_heap;
    std::unique_ptr<std::size_t[]> len_heap;
    char const** ptrs = ptr_buf.data();
    std::size_t* lens = len_buf.data();
    if (args.size() > small) {
        ptr_heap = std::make_unique<char const*[]>(args.size());
        len_heap = std::make_unique<std::size_t[]>(args.size());
        ptrs = ptr_heap.get();
        lens = len_heap.get();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        // hiredis reads `len` bytes from the pointer; an empty argument
        // still needs a valid one.
        ptrs[i] = args[i].size() ? args[i].data() : "";
        lens[i] = args[i].size();
    }
    char* formatted = nullptr;
    int const n = ::redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), ptrs, lens);
    if (n < 0 || formatted == nullptr)
        throw std::bad_alloc();
    std::string_view resp(formatted, static_cast<std::size_t>(n));
    if (skip_header)
        resp.remove_prefix(resp.find('\n') + 1);
    try {
        out.append(resp);
    } catch (...) {
        ::redisFreeCommand(formatted);
        throw;
    }
    ::redisFreeCommand(formatted);
}

/// `*N\r\n`, the header of an array of N elements.
inline void append_array_header(std::string& out, std::size_t n) {
    std::array<char, 24> buf;
    buf[0] = '*';
    auto const r = std::to_chars(buf.data() + 1, buf.data() + buf.size() - 2, n);
    *r.ptr = '\r';
    *(r.ptr + 1) = '\n';
    out.append(buf.data(), static_cast<std::size_t>(r.ptr + 2 - buf.data()));
}

} // namespace detail

/// What can be an argument: strings, string views, C strings, numbers.
template <class T>
concept argument = std::constructible_from<arg, T const&>;

/// The keys or the arguments of a script call: `{key}`, `{}`, `{1, "x", id}`
/// or a span of args. Lives for one full expression, like a string_view.
class arg_list {
public:
    static constexpr std::size_t inline_capacity = 8;

    arg_list() noexcept = default;

    template <argument... A>
    requires(sizeof...(A) > 0) arg_list(A const&... a) {
        if constexpr (sizeof...(A) <= inline_capacity) {
            std::size_t i = 0;
            ((small_[i++] = arg(a)), ...);
            view_ = std::span<arg const>(small_.data(), sizeof...(A));
        } else {
            heap_.reserve(sizeof...(A));
            (heap_.emplace_back(a), ...);
            view_ = heap_;
        }
    }

    arg_list(std::span<arg const> args) noexcept : view_(args) {}
    arg_list(std::vector<arg> const& args) noexcept : view_(args) {}

    // It may point into itself.
    arg_list(arg_list const&) = delete;
    arg_list& operator=(arg_list const&) = delete;

    [[nodiscard]] std::span<arg const> view() const noexcept { return view_; }
    [[nodiscard]] std::size_t size() const noexcept { return view_.size(); }

private:
    std::array<arg, inline_capacity> small_;
    std::vector<arg> heap_;
    std::span<arg const> view_;
};

class command {
public:
    /// `command{"HSET", key, "field", 1}`: the name, then the arguments.
    template <argument... A>
    requires(sizeof...(A) > 0) command(A const&... a) {
        std::array<arg, sizeof...(A)> const args{arg(a)...};
        detail::append_resp(resp_, args);
        args_ = sizeof...(A);
    }

    /// A command from a run-time list of arguments. A command has at least
    /// its name: an empty list is a bug, reported by std::invalid_argument.
    explicit command(std::span<arg const> args) {
        if (args.empty())
            throw std::invalid_argument("apikit::redis::command needs at least the command's name");
        detail::append_resp(resp_, args);
        args_ = args.size();
    }

    /// The command as it is sent: RESP, an array of bulk strings.
    [[nodiscard]] std::string_view resp() const noexcept { return resp_; }
    /// How many arguments, the name included.
    [[nodiscard]] std::size_t size() const noexcept { return args_; }

    /// A command from bytes already in RESP; for apikit's own splicing
    /// (scripts), which knows the bytes are one well-formed command.
    [[nodiscard]] static command from_resp(std::string resp, std::size_t args) {
        command c;
        c.resp_ = std::move(resp);
        c.args_ = args;
        return c;
    }

private:
    command() = default;

    std::string resp_;
    std::size_t args_ = 0;
};

} // namespace apikit::redis

#endif
