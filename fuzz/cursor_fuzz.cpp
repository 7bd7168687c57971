// A pagination cursor comes back from clients as they please. Whatever the
// text: decoding fails cleanly or gives a position that encodes and decodes
// to itself; and a signed cursor a client altered never decodes.
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const in = apikit_fuzz::as_text(data, size);

    // Re-encoding may lengthen a position (0.1 serializes as 1E-1): past the
    // size limit the round trip is refused, as it should be.
    auto fits = [](std::string const& text) { return text.size() <= api::max_cursor_size; };
    auto exact = [](boost::json::value const& v) { return !has_double(v); };

    static api::json_cursor const plain;
    if (auto const p = plain.decode(in)) {
        auto const text = plain.encode(*p);
        auto const again = plain.decode(text);
        apikit_fuzz::require(!fits(text) || !exact(*p) || (again && *again == *p),
                             "a plain cursor round-trips");
    }

    static api::signed_cursor const sign(std::string(32, 'k'));
    if (auto const p = sign.decode(in)) {
        // Only text this key signed decodes: the fuzzer would have to forge
        // HMAC-SHA256 to get here, except from a seed that is a real cursor.
        auto const text = sign.encode(*p);
        auto const again = sign.decode(text);
        apikit_fuzz::require(!fits(text) || !exact(*p) || (again && *again == *p),
                             "a signed cursor round-trips");
    }
    // A position from the input, signed, then altered in one place, is
    // refused — or, where the change only made another spelling of the same
    // bytes, decodes as the unaltered text does.
    if (auto const p = plain.decode(in)) {
        auto text = sign.encode(*p);
        auto const unaltered = sign.decode(text);
        text[size % text.size()] ^= 1;
        auto const altered = sign.decode(text);
        apikit_fuzz::require(!altered || (unaltered && *altered == *unaltered),
                             "an altered signed cursor is refused");
    }
    return 0;
}
