#ifndef APIKIT_REDIS_SCRIPT_HPP
#define APIKIT_REDIS_SCRIPT_HPP

// A Lua script and its SHA1, the name Redis caches it under. A script is
// sent by name (EVALSHA: 40 bytes instead of the source); when the server
// answers NOSCRIPT — it restarted, failed over, or its cache was flushed —
// connection::async_eval sends the source once (EVAL, which runs it and
// caches it again) and the caller never sees the miss.
//
// A script is a cheap handle to immutable data (copying it copies a pointer),
// so an operation in flight holds its own copy and the caller need not keep
// it alive.

#include <apikit/redis/command.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::redis {

/// The lowercase hex SHA1 of `data`, as Redis names scripts.
[[nodiscard]] inline std::string sha1_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr) != 1 ||
        len != 20)
        throw std::bad_alloc();
    constexpr std::string_view hex = "0123456789abcdef";
    std::string out(2 * len, '\0');
    for (unsigned i = 0; i < len; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    return out;
}

class script {
public:
    explicit script(std::string source) : data_(std::make_shared<data>(std::move(source))) {}

    /// No script: the place of one in a command that is not a script call
    /// (the connection's queue). Only `operator bool` may be asked of it.
    /// (Not std::optional<script>: g++ 12 at -O3 warns that the optional's
    /// shared_ptr "may be used uninitialized" wherever one is assigned.)
    script() noexcept = default;

    /// False for an empty script.
    [[nodiscard]] explicit operator bool() const noexcept { return data_ != nullptr; }

    [[nodiscard]] std::string_view source() const noexcept { return data_->source; }
    /// 40 lowercase hex digits, as SCRIPT LOAD answers.
    [[nodiscard]] std::string_view sha1() const noexcept { return data_->sha1; }

    /// SCRIPT LOAD <source>, to warm a server's cache ahead of time.
    [[nodiscard]] command load_command() const { return command{"SCRIPT", "LOAD", source()}; }

    /// EVALSHA <sha1> <numkeys> <keys…> <args…>.
    [[nodiscard]] command evalsha(std::span<arg const> keys, std::span<arg const> args) const {
        std::string resp;
        append_evalsha(resp, call_tail(keys, args), keys.size() + args.size());
        return command::from_resp(std::move(resp), keys.size() + args.size() + 3);
    }

    /// EVAL <source> <numkeys> <keys…> <args…>: the same call, by source.
    [[nodiscard]] command eval(std::span<arg const> keys, std::span<arg const> args) const {
        std::string resp;
        append_eval(resp, call_tail(keys, args), keys.size() + args.size());
        return command::from_resp(std::move(resp), keys.size() + args.size() + 3);
    }

    /// The elements after the script's name — numkeys, keys, args — in RESP
    /// (one call of the formatter); with the head of EVALSHA or EVAL in
    /// front, a whole command. The connection keeps it to resend a call by
    /// source after NOSCRIPT.
    [[nodiscard]] static std::string call_tail(std::span<arg const> keys,
                                               std::span<arg const> args) {
        constexpr std::size_t small = 16;
        std::array<arg, small> buf;
        std::vector<arg> heap;
        std::span<arg> all;
        auto const n = 1 + keys.size() + args.size();
        if (n <= small) {
            all = std::span<arg>(buf.data(), n);
        } else {
            heap.resize(n);
            all = heap;
        }
        all[0] = arg(keys.size());
        std::copy(keys.begin(), keys.end(), all.begin() + 1);
        std::copy(args.begin(), args.end(),
                  all.begin() + 1 + static_cast<std::ptrdiff_t>(keys.size()));
        std::string tail;
        detail::append_resp(tail, all, true);
        return tail;
    }

    /// Appends EVALSHA by name to `out`, from a tail made by call_tail for
    /// `n` keys and args.
    void append_evalsha(std::string& out, std::string_view tail, std::size_t n) const {
        splice(out, data_->evalsha_head, tail, n);
    }
    /// Appends EVAL by source to `out`, from a tail made by call_tail.
    void append_eval(std::string& out, std::string_view tail, std::size_t n) const {
        splice(out, data_->eval_head, tail, n);
    }

    [[nodiscard]] friend bool operator==(script const& a, script const& b) noexcept {
        return a.sha1() == b.sha1();
    }

private:
    struct data {
        explicit data(std::string s) : source(std::move(s)), sha1(sha1_hex(source)) {
            std::array<arg, 2> const by_name{arg("EVALSHA"), arg(sha1)};
            detail::append_resp(evalsha_head, by_name, true);
            std::array<arg, 2> const by_source{arg("EVAL"), arg(source)};
            detail::append_resp(eval_head, by_source, true);
        }
        std::string source;
        std::string sha1;
        std::string evalsha_head; // "$7\r\nEVALSHA\r\n$40\r\n<sha1>\r\n"
        std::string eval_head;    // "$4\r\nEVAL\r\n$<n>\r\n<source>\r\n"
    };

    // Three elements (name, script, numkeys) plus the keys and args.
    static void splice(std::string& out, std::string_view head, std::string_view tail,
                       std::size_t n) {
        out.reserve(out.size() + 16 + head.size() + tail.size());
        detail::append_array_header(out, n + 3);
        out.append(head).append(tail);
    }

    std::shared_ptr<data const> data_;
};

} // namespace apikit::redis

#endif
