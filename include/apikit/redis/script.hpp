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

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::redis {

/// The lowercase hex SHA1 of `data`, as Redis names scripts.
inline std::string sha1_hex(std::string_view data) {
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

    std::string_view source() const noexcept { return data_->source; }
    /// 40 lowercase hex digits, as SCRIPT LOAD answers.
    std::string_view sha1() const noexcept { return data_->sha1; }

    /// SCRIPT LOAD <source>, to warm a server's cache ahead of time.
    command load_command() const { return command{"SCRIPT", "LOAD", source()}; }

    /// EVALSHA <sha1> <numkeys> <keys…> <args…>.
    command evalsha(std::span<arg const> keys, std::span<arg const> args) const {
        auto const tail = call_tail(keys, args);
        return splice(data_->evalsha_head, tail, keys.size() + args.size());
    }

    /// EVAL <source> <numkeys> <keys…> <args…>: the same call, by source.
    command eval(std::span<arg const> keys, std::span<arg const> args) const {
        auto const tail = call_tail(keys, args);
        return splice(data_->eval_head, tail, keys.size() + args.size());
    }

    /// The elements after the script's name — numkeys, keys, args — in RESP;
    /// with the head of EVALSHA or EVAL in front, a whole command.
    static std::string call_tail(std::span<arg const> keys, std::span<arg const> args) {
        std::string tail;
        arg const numkeys(keys.size());
        detail::append_resp(tail, std::span<arg const>(&numkeys, 1), true);
        if (!keys.empty())
            detail::append_resp(tail, keys, true);
        if (!args.empty())
            detail::append_resp(tail, args, true);
        return tail;
    }

    /// EVALSHA by name, from a tail made by call_tail (`n` keys and args).
    command evalsha_from_tail(std::string_view tail, std::size_t n) const {
        return splice(data_->evalsha_head, tail, n);
    }
    /// EVAL by source, from a tail made by call_tail (`n` keys and args).
    command eval_from_tail(std::string_view tail, std::size_t n) const {
        return splice(data_->eval_head, tail, n);
    }

    friend bool operator==(script const& a, script const& b) noexcept {
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
    static command splice(std::string_view head, std::string_view tail, std::size_t n) {
        std::string resp;
        resp.reserve(16 + head.size() + tail.size());
        detail::append_array_header(resp, n + 3);
        resp.append(head).append(tail);
        return command::from_resp(std::move(resp), n + 3);
    }

    std::shared_ptr<data const> data_;
};

} // namespace apikit::redis

#endif
