// core/hmac_key.hpp: HMAC-SHA256 with the keyed states computed once.
#include <apikit/core/hmac.hpp>
#include <apikit/core/hmac_key.hpp>

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <utility>

namespace {

std::string hex(apikit::sha256_digest const& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : d) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

} // namespace

TEST_CASE("hmac_sha256_key: RFC 4231 test cases 1, 2 and 6") {
    CHECK(hex(apikit::hmac_sha256_key(std::string(20, '\x0b')).sign("Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(hex(apikit::hmac_sha256_key("Jefe").sign("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // A 131-byte key: longer than a block, so it is hashed first.
    CHECK(hex(apikit::hmac_sha256_key(std::string(131, '\xaa'))
                  .sign("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("hmac_sha256_key agrees with the one-shot hmac_sha256 for every key length") {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::size_t key_size : {0, 1, 31, 32, 63, 64, 65, 128, 200}) {
        std::string key(key_size, '\0');
        for (auto& c : key)
            c = static_cast<char>(byte(rng));
        apikit::hmac_sha256_key const k(key);
        for (std::size_t data_size : {0, 1, 55, 56, 64, 65, 1000}) {
            std::string data(data_size, '\0');
            for (auto& c : data)
                c = static_cast<char>(byte(rng));
            CAPTURE(key_size);
            CAPTURE(data_size);
            CHECK(k.sign(data) == apikit::hmac_sha256(key, data));
            CHECK(k.sign(data) == k.sign(data)); // the keyed states are not consumed
            std::string_view const d(data);
            CHECK(k.sign({d.substr(0, data_size / 3), d.substr(data_size / 3)}) == k.sign(data));
        }
    }
}

TEST_CASE("hmac_sha256_key copies and moves carry the key") {
    apikit::hmac_sha256_key const a("key one");
    apikit::hmac_sha256_key b("key two");
    auto const expected = apikit::hmac_sha256("key one", "m");
    apikit::hmac_sha256_key const copy(a);
    CHECK(copy.sign("m") == expected);
    b = a;
    CHECK(b.sign("m") == expected);
    apikit::hmac_sha256_key moved(std::move(b));
    CHECK(moved.sign("m") == expected);
    CHECK(apikit::hmac_sha256_key("key two").sign("m") != expected);
}
