#ifndef APIKIT_AUTH_VERIFIER_HPP
#define APIKIT_AUTH_VERIFIER_HPP

// Verifies bearer tokens against a key set: a token passes only if each of
// these holds, checked in this order, the first that fails naming the error:
//  1. it is at most `max_token_size` bytes (token_too_large), before any
//     parsing;
//  2. it decodes (jwt.hpp: malformed, unsupported_algorithm — `none` too);
//  3. its `kid` names a key of the set — a token without one, the set's only
//     key (unknown_key); an unknown kid may reload the set from a JWKS source
//     first, at most once per `reload_interval` across all threads;
//  4. its `alg` is the algorithm that key is bound to (algorithm_mismatch):
//     a key is one algorithm forever, so an RS256 public key is never an
//     HMAC secret and `alg` never picks how a key is used (RFC 8725 §3.1);
//  5. the signature verifies (bad_signature; HS256 compared in constant
//     time);
//  6. `typ` is `type`, compared case-insensitively with or without the
//     `application/` prefix (RFC 7515 §4.1.9, RFC 9068 §4; RFC 8725 §3.11)
//     (wrong_type);
//  7. now is strictly before `exp` + leeway (RFC 7519 §4.1.4: at exactly
//     exp a token has expired) (expired); not before `nbf` − leeway
//     (not_yet_valid); `iat` is not after now + leeway (issued_in_future);
//  8. `iss` is `issuer` (wrong_issuer) and one `aud` is among `audiences`
//     (wrong_audience), when they are set (RFC 8725 §3.8, §3.9): a verifier
//     that names them demands them;
//  9. every claim of `required_claims` is present (missing_claim).
// Times are whole Unix seconds: the clock's time rounded down, so the
// boundaries above are exact.
//
// With `cache_entries` > 0 a verification cache (verification_cache.hpp)
// answers a token seen before without decoding it, checking 7 again and its
// key against the set. A token is cached only once every check passed.
//
// Threads. verify() is const and safe from any number of threads at once;
// the key set may change meanwhile (a token is verified against the set as
// it was when its key was looked up). The JWKS source's fetch() runs on the
// verifying thread that claimed the reload, never on two threads at once.
// Failures are auth::error codes; nothing is thrown for a bad token.

#include <apikit/auth/claims.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/jwks.hpp>
#include <apikit/auth/jwt.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/auth/verification_cache.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::auth {

struct verify_options {
    std::string issuer; ///< empty: iss not checked
    std::vector<std::string>
        audiences;               ///< empty: aud not checked; else one of the token's must be here
    std::string type = "at+jwt"; ///< empty: typ not checked (RFC 9068)
    std::chrono::seconds leeway{0}; ///< for exp, nbf and iat; at most a day
    std::size_t max_token_size = default_max_token_size;
    std::vector<std::string> required_claims{"exp"};
    std::size_t cache_entries = 0;            ///< > 0: a verification cache of this many tokens
    std::chrono::seconds reload_interval{60}; ///< at most one JWKS reload per interval
};

/// A JWKS source: `s.fetch()` returns the document (result<std::string>).
/// Called on a verifying thread, at most once per reload interval, only for
/// an unknown kid.
template <class S>
concept jwks_source = requires(S& s) {
    { s.fetch() } -> std::same_as<result<std::string>>;
};

/// The source of a verifier that never reloads its key set.
struct no_jwks_source {
    [[nodiscard]] result<std::string> fetch() const { return error::unknown_key; }
};

namespace detail {

// RFC 7515 §4.1.9: a `typ` without a '/' stands for "application/" + it.
[[nodiscard]] constexpr std::string_view media_subtype(std::string_view t) noexcept {
    constexpr std::string_view prefix = "application/";
    if (t.size() > prefix.size() && grammar::iequals(t.substr(0, prefix.size()), prefix))
        t.remove_prefix(prefix.size());
    return t;
}

} // namespace detail

template <class Clock = std::chrono::system_clock, class Source = no_jwks_source>
class verifier {
    static_assert(apikit::clock<Clock>, "apikit::auth::verifier's Clock must model apikit::clock");
    static_assert(jwks_source<Source>,
                  "apikit::auth::verifier's Source must model apikit::auth::jwks_source");
    static_assert(std::is_same_v<typename Clock::time_point::clock, std::chrono::system_clock>,
                  "apikit::auth::verifier's Clock must tell system time: exp, nbf and iat are "
                  "Unix times");

public:
    using clock_type = Clock;
    using source_type = Source;

    /// Verifies against `keys`, which must outlive the verifier.
    verifier(key_set& keys, verify_options o, Clock clock = {}, Source source = {})
        : keys_(keys)
        , o_(std::move(o))
        , clock_(std::move(clock))
        , source_(std::move(source)) {
        o_.leeway = std::clamp(o_.leeway, std::chrono::seconds{0}, std::chrono::seconds{86400});
        if (o_.cache_entries > 0) {
            cache_ = std::make_unique<verification_cache>(o_.cache_entries);
            synced_.store(keys_.generation(), std::memory_order_relaxed);
        }
    }

    /// The token's claims, or why it does not verify.
    [[nodiscard]] result<verified> verify(std::string_view token) const {
        if (token.size() > o_.max_token_size)
            return error::token_too_large;
        auto const now = unix_now();
        if (cache_) {
            sync_cache(now);
            if (auto c = cache_->find(token, keys_)) {
                if (auto const ec = check_times(*c, now))
                    return ec;
                return c;
            }
        }
        auto c = std::make_shared<claims>();
        jose_header header;
        std::string_view signing_input;
        auto& signature = detail::signature_buffer();
        if (auto const ec =
                detail::decode_into(token, o_.max_token_size, header, *c, signature, signing_input))
            return ec;
        std::shared_ptr<key const> bound; // the key, when the token is to be cached
        std::uint64_t generation = 0;
        auto const check_key = [&](detail::key_snapshot const& s) -> boost::system::error_code {
            auto const* k = s.resolve(header.kid);
            if (k == nullptr)
                return error::unknown_key;
            if ((*k)->alg() != header.alg)
                return error::algorithm_mismatch;
            if (!(*k)->verify(signing_input, signature))
                return error::bad_signature;
            if (cache_) {
                bound = *k;
                generation = s.generation;
            }
            return {};
        };
        auto ec = keys_.visit(check_key);
        if (ec == error::unknown_key && reload())
            ec = keys_.visit(check_key);
        if (ec)
            return ec;
        ec = check_claims(header, *c, now);
        if (ec)
            return ec;
        verified v = std::move(c);
        if (cache_) {
            auto const lw = o_.leeway.count();
            auto const& exp = v->exp;
            auto const expires_at = !exp ? std::numeric_limits<std::int64_t>::max()
                                    : *exp > std::numeric_limits<std::int64_t>::max() - lw
                                        ? std::numeric_limits<std::int64_t>::max()
                                        : *exp + lw;
            cache_->insert(token, v, bound, header.kid, generation, expires_at, now);
        }
        return v;
    }

    [[nodiscard]] verify_options const& options() const noexcept { return o_; }
    /// The verification cache; null without one.
    [[nodiscard]] verification_cache* cache() const noexcept { return cache_.get(); }
    [[nodiscard]] key_set& keys() const noexcept { return keys_; }

private:
    [[nodiscard]] std::int64_t unix_now() const {
        return std::chrono::floor<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }

    [[nodiscard]] boost::system::error_code check_times(claims const& c, std::int64_t now) const {
        auto const lw = o_.leeway.count();
        if (c.exp && !(now - lw < *c.exp))
            return error::expired;
        if (c.nbf && !(*c.nbf <= now + lw))
            return error::not_yet_valid;
        if (c.iat && !(*c.iat <= now + lw))
            return error::issued_in_future;
        return {};
    }

    [[nodiscard]] boost::system::error_code check_claims(jose_header const& h, claims const& c,
                                                         std::int64_t now) const {
        if (!o_.type.empty() &&
            !grammar::iequals(detail::media_subtype(h.typ), detail::media_subtype(o_.type)))
            return error::wrong_type;
        if (auto const ec = check_times(c, now))
            return ec;
        if (!o_.issuer.empty() && c.iss != o_.issuer)
            return error::wrong_issuer;
        if (!o_.audiences.empty() &&
            std::none_of(c.aud.begin(), c.aud.end(), [&](std::string const& a) {
                return std::find(o_.audiences.begin(), o_.audiences.end(), a) != o_.audiences.end();
            }))
            return error::wrong_audience;
        for (auto const& name : o_.required_claims)
            if (!detail::has_claim(c, name))
                return error::missing_claim;
        return {};
    }

    // Once per change of the key set, on the first thread to see it: the
    // cache drops the entries of keys gone.
    void sync_cache(std::int64_t now) const {
        auto const g = keys_.generation();
        auto seen = synced_.load(std::memory_order_relaxed);
        if (seen != g && synced_.compare_exchange_strong(seen, g, std::memory_order_relaxed))
            cache_->sync(keys_, now);
    }

    // Reloads the key set from the source, if this thread claims the reload
    // of this interval; true when the set was replaced.
    bool reload() const {
        if constexpr (std::is_same_v<Source, no_jwks_source>) {
            return false;
        } else {
            auto const t = clock_.now().time_since_epoch();
            auto const now = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
            auto const interval =
                std::chrono::duration_cast<std::chrono::nanoseconds>(o_.reload_interval).count();
            auto next = next_reload_.load(std::memory_order_relaxed);
            do {
                if (now < next)
                    return false;
            } while (!next_reload_.compare_exchange_weak(next, now + interval,
                                                         std::memory_order_relaxed));
            std::unique_lock lock(fetch_mutex_, std::try_to_lock);
            if (!lock)
                return false; // a fetch of an earlier interval still runs
            auto document = source_.fetch();
            if (!document)
                return false;
            auto keys = parse_jwks(*document);
            if (!keys)
                return false;
            keys_.replace(std::move(*keys));
            return true;
        }
    }

    key_set& keys_;
    verify_options o_;
    [[no_unique_address]] Clock clock_;
    [[no_unique_address]] mutable Source source_;
    std::unique_ptr<verification_cache> cache_;
    mutable std::atomic<std::uint64_t> synced_{0};
    mutable std::atomic<std::int64_t> next_reload_{std::numeric_limits<std::int64_t>::min()};
    mutable std::mutex fetch_mutex_;
};

} // namespace apikit::auth

#endif
