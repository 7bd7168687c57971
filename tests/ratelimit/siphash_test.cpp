#include <apikit/core/siphash.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("SipHash-2-4 matches the reference vectors") {
    // Key 00 01 .. 0f, message 00 01 .. n-1 (the paper's test.c, vectors_sip64).
    apikit::siphash_key const k{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    std::string msg;
    for (int i = 0; i < 16; ++i)
        msg.push_back(static_cast<char>(i));
    CHECK(apikit::siphash24(k, msg.substr(0, 0)) == 0x726fdb47dd0e0e31ULL);
    CHECK(apikit::siphash24(k, msg.substr(0, 1)) == 0x74f839c593dc67fdULL);
    CHECK(apikit::siphash24(k, msg.substr(0, 2)) == 0x0d6c8009d9a94f5aULL);
    CHECK(apikit::siphash24(k, msg.substr(0, 8)) == 0x93f5f5799a932462ULL);
    CHECK(apikit::siphash24(k, msg.substr(0, 15)) == 0xa129ca6149be45e5ULL);
    CHECK(apikit::siphash24(k, msg.substr(0, 16)) == 0x3f2acc7f57c29bdbULL);
}

TEST_CASE("SipHash depends on its key") {
    auto const a = apikit::siphash_key::random();
    auto const b = apikit::siphash_key::random();
    CHECK(apikit::siphash13(a, "user_123") == apikit::siphash13(a, "user_123"));
    CHECK(apikit::siphash13(a, "user_123") != apikit::siphash13(b, "user_123"));
    CHECK(apikit::siphash13(a, "user_123") != apikit::siphash13(a, "user_124"));
    CHECK(apikit::siphash13(a, "") != apikit::siphash13(a, std::string(1, '\0')));
}
