// core/ipv4_text.hpp: the dotted-decimal writer the access log and the rate
// limiter's client key share.
#include <apikit/core/ipv4_text.hpp>

#include <doctest/doctest.h>

#include <string>

namespace {

// The same text, written the slow and obvious way.
std::string dotted(unsigned a, unsigned b, unsigned c, unsigned d) {
    return std::to_string(a) + '.' + std::to_string(b) + '.' + std::to_string(c) + '.' +
           std::to_string(d);
}

} // namespace

TEST_CASE("write_ipv4 writes every byte value in every position as decimal") {
    for (unsigned v = 0; v < 256; ++v) {
        for (int at = 0; at < 4; ++at) {
            unsigned char bytes[4] = {10, 0, 255, 7};
            bytes[at] = static_cast<unsigned char>(v);
            char buf[apikit::ipv4_text_room];
            char const* end = apikit::write_ipv4(buf, bytes);
            REQUIRE(end <= buf + 15);
            CHECK(std::string(static_cast<char const*>(buf), end) ==
                  dotted(bytes[0], bytes[1], bytes[2], bytes[3]));
        }
    }
}

TEST_CASE("append_ipv4 appends exactly the address") {
    unsigned char const longest[4] = {255, 255, 255, 255};
    unsigned char const shortest[4] = {0, 0, 0, 0};
    std::string key = "ip:";
    apikit::append_ipv4(key, longest);
    CHECK(key == "ip:255.255.255.255");
    key = "ip:";
    apikit::append_ipv4(key, shortest);
    CHECK(key == "ip:0.0.0.0");
    CHECK(key.size() == 10);
}
