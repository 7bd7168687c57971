#ifndef APIKIT_AUTH_PASSWORD_HPP
#define APIKIT_AUTH_PASSWORD_HPP

// Passwords stored as a slow, salted hash: a stolen users table costs an
// attacker a KDF run per guess per user, not a lookup. scrypt (RFC 7914) by
// default, PBKDF2-HMAC-SHA256 (RFC 8018) when chosen; both from OpenSSL 3,
// both accepted by verify_password, each string saying which it is in the
// PHC string format:
//
//     $scrypt$ln=15,r=8,p=1$<salt>$<hash>        N = 2^ln
//     $pbkdf2-sha256$i=600000$<salt>$<hash>
//
// salt and hash in base64 without padding (RFC 4648 §4's alphabet), a 16-byte
// random salt and a 32-byte hash. The defaults cost one check about 100 ms of
// one core of the machine docs/auth.md names (scrypt: 32 MiB).
//
// What a check guarantees:
// - the hash is compared with constant_time_equal;
// - verify_password never throws and answers false for anything it cannot
//   use — a malformed string, an unknown scheme, or parameters past the
//   bounds below, so that a hostile row in the users table cannot make one
//   check take minutes or gigabytes;
// - dummy_password_hash gives a hash of the same cost that matches no
//   password: a login for an unknown email verifies against it and answers
//   as late as for a wrong password;
// - no password or hash is ever in an error, an exception or a log line.
//
// A password's minimum length is the caller's rule; its maximum is here
// (max_password_size): longer is refused by hash_password and false for
// verify_password, so that nobody hands the KDF a megabyte.
//
// Threads and time: every function may be called from any number of threads
// at once, and each check runs the KDF on the calling thread for its whole
// cost. A server runs them off its I/O threads: password_pool.hpp.

#include <apikit/auth/detail/password_kdf.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/random.hpp>

#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::auth {

enum class password_kdf : std::uint8_t { scrypt, pbkdf2_sha256 };

/// The longest password, in bytes, the KDF is given.
inline constexpr std::size_t max_password_size = 1024;

/// What a hash may cost. A stored string past these is refused unread, and
/// hash_password refuses to make one. scrypt needs 128·N·r bytes and time in
/// proportion to N·r·p: at most 128 MiB and about 8 times the default check.
inline constexpr unsigned scrypt_max_log2_n = 20;
inline constexpr std::uint64_t scrypt_max_n_r = std::uint64_t{1} << 20;
inline constexpr std::uint64_t scrypt_max_n_r_p = std::uint64_t{1} << 21;
inline constexpr std::uint32_t scrypt_max_p = 16;
inline constexpr std::uint32_t pbkdf2_max_iterations = 2'000'000;

/// Which KDF hash_password uses, and its cost. Only the chosen KDF's fields
/// count (in ==, and in the string).
struct password_params {
    password_kdf kdf = password_kdf::scrypt;
    unsigned scrypt_log2_n = 15; ///< N = 2^15: 32 MiB with r = 8
    unsigned scrypt_r = 8;
    unsigned scrypt_p = 1;
    std::uint32_t pbkdf2_iterations = 600'000; ///< OWASP's figure for PBKDF2-HMAC-SHA256

    [[nodiscard]] static constexpr password_params scrypt(unsigned log2_n, unsigned r,
                                                          unsigned p) noexcept {
        password_params params;
        params.scrypt_log2_n = log2_n;
        params.scrypt_r = r;
        params.scrypt_p = p;
        return params;
    }

    [[nodiscard]] static constexpr password_params
    pbkdf2_sha256(std::uint32_t iterations) noexcept {
        password_params params;
        params.kdf = password_kdf::pbkdf2_sha256;
        params.pbkdf2_iterations = iterations;
        return params;
    }

    /// Within the bounds above: what hash_password makes and verify_password runs.
    [[nodiscard]] constexpr bool within_bounds() const noexcept {
        if (kdf == password_kdf::pbkdf2_sha256)
            return pbkdf2_iterations >= 1 && pbkdf2_iterations <= pbkdf2_max_iterations;
        if (scrypt_log2_n < 1 || scrypt_log2_n > scrypt_max_log2_n || scrypt_r < 1 ||
            scrypt_p < 1 || scrypt_p > scrypt_max_p)
            return false;
        auto const n_r = (std::uint64_t{1} << scrypt_log2_n) * scrypt_r;
        return n_r <= scrypt_max_n_r && n_r * scrypt_p <= scrypt_max_n_r_p;
    }

    [[nodiscard]] friend constexpr bool operator==(password_params const& a,
                                                   password_params const& b) noexcept {
        if (a.kdf != b.kdf)
            return false;
        if (a.kdf == password_kdf::pbkdf2_sha256)
            return a.pbkdf2_iterations == b.pbkdf2_iterations;
        return a.scrypt_log2_n == b.scrypt_log2_n && a.scrypt_r == b.scrypt_r &&
               a.scrypt_p == b.scrypt_p;
    }
};

namespace detail {

inline constexpr std::size_t password_salt_size = 16;
inline constexpr std::size_t password_hash_size = 32;
// What a stored string may carry (other tools' salts and hashes differ in
// length), and how long it may be before it is not read at all.
inline constexpr std::size_t stored_salt_min = 8, stored_salt_max = 64;
inline constexpr std::size_t stored_hash_min = 16, stored_hash_max = 64;
inline constexpr std::size_t stored_string_max = 256;

struct parsed_password_hash {
    password_params params;
    std::string salt;
    std::string hash;
};

// A PHC decimal: digits only, no sign, no leading zero, at most 32 bits.
[[nodiscard]] inline std::optional<std::uint32_t> parse_phc_decimal(std::string_view s) noexcept {
    if (s.empty() || s.size() > 10 || (s[0] == '0' && s.size() > 1))
        return std::nullopt;
    std::uint64_t v = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v > UINT32_MAX)
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

// `name=<decimal>`, then a ',' (or, when `last`, the end); `s` moves past it.
[[nodiscard]] inline std::optional<std::uint32_t>
take_phc_param(std::string_view& s, std::string_view name, bool last) noexcept {
    if (s.size() <= name.size() || !s.starts_with(name) || s[name.size()] != '=')
        return std::nullopt;
    s.remove_prefix(name.size() + 1);
    auto const end = last ? s.size() : s.find(',');
    if (end == std::string_view::npos)
        return std::nullopt;
    auto const value = parse_phc_decimal(s.substr(0, end));
    s.remove_prefix(last ? end : end + 1);
    return value;
}

// The text up to the next '$' (or the end); `s` moves past the '$'.
[[nodiscard]] inline std::string_view take_phc_field(std::string_view& s) noexcept {
    auto const end = s.find('$');
    auto const field = s.substr(0, end);
    s.remove_prefix(end == std::string_view::npos ? s.size() : end + 1);
    return field;
}

// The PHC string's parts, when it is one of ours within the bounds.
[[nodiscard]] inline std::optional<parsed_password_hash> parse_password_hash(std::string_view s) {
    if (s.size() > stored_string_max || !s.starts_with('$'))
        return std::nullopt;
    s.remove_prefix(1);
    auto const id = take_phc_field(s);
    auto params_text = take_phc_field(s);
    auto const salt_text = take_phc_field(s);
    if (s.empty() || s.find('$') != std::string_view::npos)
        return std::nullopt; // not exactly four fields
    password_params params;
    if (id == "scrypt") {
        auto const ln = take_phc_param(params_text, "ln", false);
        auto const r = take_phc_param(params_text, "r", false);
        auto const p = take_phc_param(params_text, "p", true);
        if (!ln || !r || !p)
            return std::nullopt;
        params = password_params::scrypt(*ln, *r, *p);
    } else if (id == "pbkdf2-sha256") {
        auto const i = take_phc_param(params_text, "i", true);
        if (!i)
            return std::nullopt;
        params = password_params::pbkdf2_sha256(*i);
    } else {
        return std::nullopt;
    }
    if (!params.within_bounds())
        return std::nullopt;
    auto salt = phc_base64_decode(salt_text);
    auto hash = phc_base64_decode(s);
    if (!salt || !hash || salt->size() < stored_salt_min || salt->size() > stored_salt_max ||
        hash->size() < stored_hash_min || hash->size() > stored_hash_max)
        return std::nullopt;
    return parsed_password_hash{params, std::move(*salt), std::move(*hash)};
}

[[nodiscard]] inline std::string
format_password_hash(password_params const& params, std::string_view salt, std::string_view hash) {
    std::string out;
    if (params.kdf == password_kdf::scrypt)
        out = "$scrypt$ln=" + std::to_string(params.scrypt_log2_n) +
              ",r=" + std::to_string(params.scrypt_r) + ",p=" + std::to_string(params.scrypt_p);
    else
        out = "$pbkdf2-sha256$i=" + std::to_string(params.pbkdf2_iterations);
    out += '$';
    phc_base64_append(out, salt);
    out += '$';
    phc_base64_append(out, hash);
    return out;
}

// The KDF `params` name, of `password` and `salt`, into out[0, size).
[[nodiscard]] inline bool derive_password(password_params const& params, std::string_view password,
                                          std::string_view salt, unsigned char* out,
                                          std::size_t size) noexcept {
    if (params.kdf == password_kdf::pbkdf2_sha256)
        return pbkdf2_sha256_derive(password, salt, params.pbkdf2_iterations, out, size);
    return scrypt_derive(password, salt, std::uint64_t{1} << params.scrypt_log2_n, params.scrypt_r,
                         params.scrypt_p, out, size);
}

[[nodiscard]] inline std::string_view as_chars(unsigned char const* bytes,
                                               std::size_t size) noexcept {
    return {reinterpret_cast<char const*>(bytes), size};
}

} // namespace detail

/// The PHC string of `password` under `params`, with a fresh random salt.
/// Fails with error::password_too_long (longer than max_password_size),
/// error::invalid_password_params (not within_bounds()), or
/// errc::internal_error when OpenSSL fails (out of memory).
[[nodiscard]] inline result<std::string> hash_password(std::string_view password,
                                                       password_params const& params = {}) {
    if (password.size() > max_password_size)
        return make_error_code(error::password_too_long);
    if (!params.within_bounds())
        return make_error_code(error::invalid_password_params);
    std::array<char, detail::password_salt_size> salt;
    random_bytes(salt.data(), salt.size());
    std::array<unsigned char, detail::password_hash_size> hash;
    if (!detail::derive_password(params, password, {salt.data(), salt.size()}, hash.data(),
                                 hash.size()))
        return make_error_code(errc::internal_error);
    auto encoded = detail::format_password_hash(params, {salt.data(), salt.size()},
                                                detail::as_chars(hash.data(), hash.size()));
    OPENSSL_cleanse(hash.data(), hash.size());
    return encoded;
}

/// True when `encoded` (a PHC string of either KDF) is the hash of
/// `password`. False for a wrong password and for any string it will not
/// run: malformed, of another scheme, or past the bounds.
[[nodiscard]] inline bool verify_password(std::string_view password,
                                          std::string_view encoded) noexcept {
    if (password.size() > max_password_size)
        return false;
    try {
        auto const stored = detail::parse_password_hash(encoded);
        if (!stored)
            return false;
        std::array<unsigned char, detail::stored_hash_max> derived;
        auto const size = stored->hash.size();
        bool const ok =
            detail::derive_password(stored->params, password, stored->salt, derived.data(), size) &&
            constant_time_equal(detail::as_chars(derived.data(), size), stored->hash);
        OPENSSL_cleanse(derived.data(), derived.size());
        return ok;
    } catch (...) {
        return false; // only allocation can throw here
    }
}

/// The parameters of a stored hash verify_password would run; nullopt for
/// one it would refuse. A server compares them with its current ones to
/// rehash a password at its next successful login.
[[nodiscard]] inline std::optional<password_params>
password_hash_params(std::string_view encoded) noexcept {
    try {
        if (auto stored = detail::parse_password_hash(encoded))
            return stored->params;
    } catch (...) {
    }
    return std::nullopt;
}

/// A hash under `params` that no password matches (its salt and hash are
/// random bytes, drawn once per process and parameters): verifying against
/// it costs what verifying a real hash of the same parameters costs. Throws
/// std::invalid_argument for parameters hash_password would refuse.
[[nodiscard]] inline std::string const& dummy_password_hash(password_params const& params = {}) {
    if (!params.within_bounds())
        throw std::invalid_argument(
            "apikit::auth::dummy_password_hash: parameters outside the accepted bounds");
    static std::mutex mutex;
    static std::list<std::pair<password_params, std::string>> made; // nodes never move
    std::lock_guard lock(mutex);
    for (auto const& [p, encoded] : made)
        if (p == params)
            return encoded;
    std::array<char, detail::password_salt_size + detail::password_hash_size> bytes;
    random_bytes(bytes.data(), bytes.size());
    std::string_view const random(bytes.data(), bytes.size());
    return made
        .emplace_back(params, detail::format_password_hash(
                                  params, random.substr(0, detail::password_salt_size),
                                  random.substr(detail::password_salt_size)))
        .second;
}

} // namespace apikit::auth

#endif
