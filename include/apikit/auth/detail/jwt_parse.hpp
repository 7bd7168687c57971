#ifndef APIKIT_AUTH_DETAIL_JWT_PARSE_HPP
#define APIKIT_AUTH_DETAIL_JWT_PARSE_HPP

// The pieces of jwt.hpp's decode: a segment's strict base64url into a
// reused buffer, and a segment's JSON parsed onto a caller's memory
// resource with duplicate members refused.
//
// Speed. decode runs on every request that carries a token, in front of a
// signature check that costs 0.2 µs for HS256, so it allocates as little as
// it can: the decoded header and payload go to per-thread buffers that keep
// their capacity, the JSON trees live on a monotonic resource over a stack
// buffer (nothing of them outlives the call), and only what the decoded
// token keeps — its strings, its `extra` claims — is allocated.
//
// Duplicates. Boost.JSON 1.81 keeps the last of two members of one name,
// silently; a token whose `exp` or `alg` appears twice means two things to
// two parsers, so it is refused (RFC 7515 §4 and RFC 7519 §4 allow it). The
// parse is http/detail/json_body.hpp's, which counts the members the parser
// reported against those the tree kept.

#include <apikit/core/base64url.hpp>
#include <apikit/http/detail/json_body.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace apikit::auth::detail {

// JSON in a token nests no deeper than this; a claim of a user type may nest.
inline constexpr std::size_t max_token_json_depth = 16;

// The strict base64url of a JWS segment (RFC 7515 §2: no padding, the
// URL-safe alphabet only, unused bits zero) into `out`, replacing what it
// held. False for any other spelling.
[[nodiscard]] inline bool decode_segment(std::string_view text, std::string& out) {
    out.clear();
    if (text.size() % 4 == 1)
        return false;
    return base64url::detail::decode_unpadded(out, text, base64url::detail::reverse, true);
}

// A per-thread buffer a segment is decoded into: it keeps its capacity from
// one token to the next.
[[nodiscard]] inline std::string& segment_buffer(int which) {
    thread_local std::string buffers[2];
    return buffers[which];
}

// `text` parsed as a JSON object on `sp`, or nullptr when it is not JSON, not
// an object, or repeats a member name at any depth. `holder` keeps the tree.
[[nodiscard]] inline boost::json::object const*
parse_token_object(std::string_view text, boost::json::storage_ptr sp, boost::json::value& holder) {
    boost::system::error_code ec;
    auto parsed =
        http::detail::parse_json_text(text, std::move(sp), max_token_json_depth, nullptr, ec);
    if (ec || parsed.repeats)
        return nullptr;
    holder = std::move(parsed.value);
    return holder.if_object();
}

} // namespace apikit::auth::detail

#endif
