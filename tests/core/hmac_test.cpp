#include <apikit/core/base64url.hpp>
#include <apikit/core/hmac.hpp>

#include <doctest/doctest.h>

#include <string>

namespace {

std::string hex(apikit::sha256_digest const& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : d) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

} // namespace

TEST_CASE("hmac_sha256 matches RFC 4231") {
    // Test case 1
    CHECK(hex(apikit::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: a key shorter than the block
    CHECK(hex(apikit::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block is hashed first
    CHECK(hex(apikit::hmac_sha256(std::string(131, '\xaa'),
                                  "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("hmac_sha256 accepts empty keys and data") {
    auto const d = apikit::hmac_sha256("", "");
    CHECK(hex(d) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(apikit::as_string_view(d).size() == 32);
}
