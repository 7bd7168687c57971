// A pagination cursor comes back from clients as they please. Whatever the
// text: decoding fails cleanly or gives a position that encodes and decodes
// to itself; a signed cursor a client altered never decodes; and a cursor
// decodes in the scope (listing and filter) it was made in and in no other,
// however the scopes' bytes are split into parts.
#include "fuzz.hpp"

#include <apikit/api/cursor.hpp>
#include <apikit/api/signed_cursor.hpp>

#include <string>

namespace api = apikit::api;

namespace {

// Boost.JSON 1.81 parses numbers with an exponent imprecisely ("923E23"
// becomes 9.2299999999999988e25, not 9.23e25), so a double does not survive
// serialize-then-parse exactly; 1.83's precise parsing fixes it. Cursor
// positions are integers and strings (docs/api.md), so the round trip is
// checked for positions without doubles.
bool has_double(boost::json::value const& v) {
    if (v.is_double())
        return true;
    if (auto const* a = v.if_array())
        for (auto const& e : *a)
            if (has_double(e))
                return true;
    if (auto const* o = v.if_object())
        for (auto const& m : *o)
            if (has_double(m.value()))
                return true;
    return false;
}

// True when `text`, made by `codec` in `made`, decodes in `made` and not in
// `other`, a different scope.
template <class Codec>
bool bound(Codec const& codec, std::string const& text, api::cursor_scope const& made,
           api::cursor_scope const& other) {
    return codec.decode(made, text).has_value() && !codec.decode(other, text).has_value();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const in = apikit_fuzz::as_text(data, size);

    // Re-encoding may lengthen a position (0.1 serializes as 1E-1): past the
    // size limit the round trip is refused, as it should be.
    auto fits = [](std::string const& text) { return text.size() <= api::max_cursor_size; };
    auto exact = [](boost::json::value const& v) { return !has_double(v); };

    // The corpus's cursors are made in `users` (base64url of `5:users;` and
    // the JSON, for the unsigned codec).
    static api::cursor_scope const users("users");
    static api::cursor_scope const orders("orders", "user_7");

    static api::json_cursor const plain;
    if (auto const p = plain.decode(users, in)) {
        auto const text = plain.encode(users, *p);
        auto const again = plain.decode(users, text);
        apikit_fuzz::require(!fits(text) || !exact(*p) || (again && *again == *p),
                             "a plain cursor round-trips");
        apikit_fuzz::require(!plain.decode(orders, in), "a plain cursor decodes in one scope");
    }

    static api::signed_cursor const sign(std::string(32, 'k'));
    if (auto const p = sign.decode(users, in)) {
        // Only text this key signed decodes: the fuzzer would have to forge
        // HMAC-SHA256 to get here, except from a seed that is a real cursor.
        auto const text = sign.encode(users, *p);
        auto const again = sign.decode(users, text);
        apikit_fuzz::require(!fits(text) || !exact(*p) || (again && *again == *p),
                             "a signed cursor round-trips");
    }
    // A position from the input, signed, then altered in one place, is
    // refused — or, where the change only made another spelling of the same
    // bytes, decodes as the unaltered text does. Unaltered, it is good in its
    // own scope alone.
    if (auto const p = plain.decode(users, in)) {
        auto text = sign.encode(users, *p);
        auto const unaltered = sign.decode(users, text);
        apikit_fuzz::require(!fits(text) || bound(sign, text, users, orders),
                             "a signed cursor decodes in its scope alone");
        text[size % text.size()] ^= 1;
        auto const altered = sign.decode(users, text);
        apikit_fuzz::require(!altered || (unaltered && *altered == *unaltered),
                             "an altered signed cursor is refused");
    }

    // Scopes from the input: its bytes as one filter value, and the same
    // bytes split in two at a point the input picks, and with the split's
    // first half fused into the listing's name. Scopes that differ share no
    // cursor.
    auto const cut = size == 0 ? 0 : static_cast<std::size_t>(data[0]) % (size + 1);
    api::cursor_scope const whole("orders", in);
    api::cursor_scope const split("orders", in.substr(0, cut), in.substr(cut));
    api::cursor_scope const fused("orders" + std::string(in.substr(0, cut)), in.substr(cut));
    boost::json::value const position = {{"key", 17}, {"id", "row_17"}};
    for (auto const* made : {&whole, &split, &fused}) {
        for (auto const* other : {&whole, &split, &fused}) {
            if (*made == *other) // fused is whole when the cut is at 0
                continue;
            auto const s = sign.encode(*made, position);
            apikit_fuzz::require(bound(sign, s, *made, *other),
                                 "a signed cursor decodes in its scope alone");
            auto const j = plain.encode(*made, position);
            apikit_fuzz::require(!fits(j) || bound(plain, j, *made, *other),
                                 "a plain cursor decodes in its scope alone");
        }
    }
    return 0;
}
