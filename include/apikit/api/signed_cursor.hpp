#ifndef APIKIT_API_SIGNED_CURSOR_HPP
#define APIKIT_API_SIGNED_CURSOR_HPP

// A cursor the client cannot forge: the compact JSON position signed with
// HMAC-SHA256 under a server key, and bound to its scope (the listing that
// issued it, and its filter). The text is base64url (with padding) of
//
//   version (1 byte, = 2) | key id (1 byte) | JSON | HMAC-SHA256 (32 bytes)
//
// where the MAC covers
//
//   version | key id | the scope's bytes | JSON
//
// The scope is signed but not sent, so it makes no cursor longer, and a cursor
// verifies only in the scope it was made in — a cursor of another listing,
// or of the same listing under another filter, fails its MAC like a forged
// one. (The scope's bytes are self-delimiting, so no scope and JSON sign as
// another scope and JSON.) The version byte lets the layout change without
// misreading old cursors: version 1, before scopes were signed, is refused,
// since its cursors name no listing. The key id lets the server rotate its
// key: sign with the new key, and keep verifying cursors still in flight
// under the retired ones until they have aged out.
//
// Decoding checks, in this order, length, base64url, version, key id, and the
// MAC (in constant time) before it parses a single byte of JSON, so a
// tampered, truncated, foreign or misplaced cursor, or any other bytes, is
// errc::invalid_cursor and unauthenticated input never reaches the parser.
// A codec is immutable once built: any number of threads encode and decode
// through one.

#include <apikit/api/cursor.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/hmac.hpp>
#include <apikit/core/hmac_key.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::api {

/// A signing key and the id a cursor names it by.
struct cursor_key {
    std::uint8_t id = 0;
    std::string secret;
};

class signed_cursor {
public:
    /// 2: the MAC covers the scope. Version 1 cursors are refused.
    static constexpr unsigned char format_version = 2;
    /// HMAC-SHA256 wants a key at least as long as its output (RFC 2104 §3).
    static constexpr std::size_t min_secret_size = 32;

    /// Signs and verifies with `secret` as key id 0. Throws
    /// std::invalid_argument when the secret is shorter than min_secret_size.
    explicit signed_cursor(std::string secret) : signed_cursor(cursor_key{0, std::move(secret)}) {}

    /// Signs with `current`; verifies under `current` and each of `retired`.
    /// Throws std::invalid_argument on a short secret or a repeated key id.
    explicit signed_cursor(cursor_key current, std::vector<cursor_key> retired = {}) {
        retired.insert(retired.begin(), std::move(current));
        keys_.reserve(retired.size());
        for (auto const& k : retired) {
            if (k.secret.size() < min_secret_size)
                throw std::invalid_argument(
                    "apikit::api::signed_cursor: a secret needs at least 32 bytes");
            if (find_key(k.id) != nullptr)
                throw std::invalid_argument(
                    "apikit::api::signed_cursor: two keys share one key id");
            keys_.push_back({k.id, hmac_sha256_key(k.secret)});
        }
    }

    [[nodiscard]] std::string encode(cursor_scope const& scope,
                                     boost::json::value const& position) const {
        auto const& key = keys_.front();
        auto const json = boost::json::serialize(position);
        char const header[header_size] = {static_cast<char>(format_version),
                                          static_cast<char>(key.id)};
        std::string_view const head(header, header_size);
        auto const mac = key.mac.sign({head, scope.bytes(), json}); // the scope: signed, not sent
        std::string bytes;
        bytes.reserve(header_size + json.size() + mac_size);
        bytes.append(head);
        bytes.append(json);
        bytes.append(as_string_view(mac));
        return base64url::encode(bytes, base64url::padding::include);
    }

    [[nodiscard]] apikit::result<boost::json::value> decode(cursor_scope const& scope,
                                                            std::string_view text) const {
        if (text.empty() || text.size() > max_cursor_size)
            return detail::invalid_cursor();
        auto const bytes = base64url::decode(text);
        if (!bytes || bytes->size() <= header_size + mac_size)
            return detail::invalid_cursor();
        std::string_view const b = *bytes;
        if (static_cast<unsigned char>(b[0]) != format_version)
            return detail::invalid_cursor();
        auto const* key = find_key(static_cast<std::uint8_t>(b[1]));
        if (key == nullptr)
            return detail::invalid_cursor();
        auto const json = b.substr(header_size, b.size() - header_size - mac_size);
        auto const mac = key->mac.sign({b.substr(0, header_size), scope.bytes(), json});
        if (!constant_time_equal(as_string_view(mac), b.substr(b.size() - mac_size)))
            return detail::invalid_cursor();
        return detail::parse_cursor_json(json);
    }

private:
    static constexpr std::size_t header_size = 2;
    static constexpr std::size_t mac_size = sha256_digest{}.size();

    // The keyed hash states, not the secrets: see core/hmac_key.hpp.
    struct signing_key {
        std::uint8_t id;
        hmac_sha256_key mac;
    };

    [[nodiscard]] signing_key const* find_key(std::uint8_t id) const noexcept {
        for (auto const& k : keys_)
            if (k.id == id)
                return &k;
        return nullptr;
    }

    std::vector<signing_key> keys_; // keys_[0] signs
};

static_assert(cursor_codec<signed_cursor>,
              "apikit::api::signed_cursor must model apikit::api::cursor_codec");

} // namespace apikit::api

#endif
