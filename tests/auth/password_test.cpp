// Passwords: the two KDFs against their RFC test vectors, PHC strings made
// by another implementation (Python's hashlib), the round trip, and every
// way a stored string can be wrong — which verify_password answers false,
// without running a KDF past the bounds. Tests use cheap parameters (N = 16,
// 1000 iterations); the defaults' cost is bench/password_bench.cpp's.

#include <apikit/auth/password.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace auth = apikit::auth;
using auth::password_params;

namespace {

// "77 d6 57 ..." → the bytes.
std::string password_unhex(std::string_view text) {
    std::string out;
    int high = -1;
    for (char c : text) {
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else
            continue;
        if (high < 0) {
            high = v;
        } else {
            out += static_cast<char>(high << 4 | v);
            high = -1;
        }
    }
    return out;
}

std::string password_scrypt(std::string_view pw, std::string_view salt, std::uint64_t n,
                            std::uint64_t r, std::uint64_t p, std::size_t size) {
    std::vector<unsigned char> out(size);
    REQUIRE(auth::detail::scrypt_derive(pw, salt, n, r, p, out.data(), size));
    return {out.begin(), out.end()};
}

std::string password_pbkdf2(std::string_view pw, std::string_view salt, std::uint64_t iterations,
                            std::size_t size) {
    std::vector<unsigned char> out(size);
    REQUIRE(auth::detail::pbkdf2_sha256_derive(pw, salt, iterations, out.data(), size));
    return {out.begin(), out.end()};
}

constexpr auto password_cheap = password_params::scrypt(4, 1, 1);
constexpr auto password_cheap_pbkdf2 = password_params::pbkdf2_sha256(1000);

// Made by Python's hashlib (scrypt N = 16, r = 2; PBKDF2 1000 iterations)
// of "correct horse battery staple", written in the PHC format by hand.
constexpr std::string_view password_python_scrypt =
    "$scrypt$ln=4,r=2,p=1$AAECAwQFBgcICQoLDA0ODw$qEdN16IpmiD8b1xGt2m6eayHNWpzGKbmypt2tDrIeMg";
constexpr std::string_view password_python_scrypt_slashes =
    "$scrypt$ln=4,r=2,p=1$+/+/+/+/+/+/+/+/+/+//A$RRX9/dq03kXZgpnqD31AeOGaBSFX92bUGWw/OWIFgzw";
constexpr std::string_view password_python_pbkdf2 =
    "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4";
constexpr std::string_view password_python_secret = "correct horse battery staple";

} // namespace

TEST_CASE("password: scrypt through OpenSSL gives RFC 7914 §12's vectors") {
    CHECK(password_scrypt("", "", 16, 1, 1, 64) ==
          password_unhex("77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97"
                         "f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42"
                         "fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17"
                         "e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06"));
    CHECK(password_scrypt("password", "NaCl", 1024, 8, 16, 64) ==
          password_unhex("fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe"
                         "7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62"
                         "2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da"
                         "c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40"));
    CHECK(password_scrypt("pleaseletmein", "SodiumChloride", 16384, 8, 1, 64) ==
          password_unhex("70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb"
                         "fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2"
                         "d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9"
                         "e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87"));
    // The fourth (N = 2^20, 1 GiB) is past the bounds a stored hash may have.
}

TEST_CASE("password: PBKDF2-HMAC-SHA256 through OpenSSL gives RFC 7914 §11's vectors") {
    CHECK(password_pbkdf2("passwd", "salt", 1, 64) ==
          password_unhex("55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05"
                         "f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc"
                         "49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31"
                         "7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83"));
    CHECK(password_pbkdf2("Password", "NaCl", 80000, 64) ==
          password_unhex("4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9"
                         "64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56"
                         "a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17"
                         "6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d"));
}

TEST_CASE("password: PHC strings made by another implementation verify") {
    for (auto encoded :
         {password_python_scrypt, password_python_scrypt_slashes, password_python_pbkdf2}) {
        CAPTURE(encoded);
        CHECK(auth::verify_password(password_python_secret, encoded));
        CHECK_FALSE(auth::verify_password("correct horse battery stapler", encoded));
    }
    CHECK(auth::password_hash_params(password_python_scrypt) == password_params::scrypt(4, 2, 1));
    CHECK(auth::password_hash_params(password_python_pbkdf2) ==
          password_params::pbkdf2_sha256(1000));
}

TEST_CASE("password: the defaults are scrypt N = 2^15, r = 8, p = 1, within the bounds") {
    password_params const d;
    CHECK(d == password_params::scrypt(15, 8, 1));
    CHECK(d.within_bounds());
    CHECK(password_params::pbkdf2_sha256(d.pbkdf2_iterations).within_bounds());
    CHECK(password_params::pbkdf2_sha256(600'000) != d);
    // Only the chosen KDF's fields count.
    auto other = d;
    other.pbkdf2_iterations = 1;
    CHECK(other == d);
}

TEST_CASE("password: hash then verify, for each KDF, a wrong password is false") {
    for (auto const& params : {password_cheap, password_cheap_pbkdf2}) {
        auto const encoded = auth::hash_password("hunter22", params);
        REQUIRE(encoded);
        CAPTURE(*encoded);
        CHECK(encoded->starts_with(params.kdf == auth::password_kdf::scrypt
                                       ? "$scrypt$ln=4,r=1,p=1$"
                                       : "$pbkdf2-sha256$i=1000$"));
        // 16 bytes of salt and 32 of hash: 22 and 43 characters, no padding.
        auto const hash_at = encoded->rfind('$');
        auto const salt_at = encoded->rfind('$', hash_at - 1);
        CHECK(hash_at - salt_at - 1 == 22);
        CHECK(encoded->size() - hash_at - 1 == 43);
        CHECK(auth::password_hash_params(*encoded) == params);

        CHECK(auth::verify_password("hunter22", *encoded));
        CHECK_FALSE(auth::verify_password("hunter23", *encoded));
        CHECK_FALSE(auth::verify_password("hunter2", *encoded));
        CHECK_FALSE(auth::verify_password("", *encoded));
        CHECK_FALSE(auth::verify_password(std::string("hunter\0"
                                                      "22",
                                                      9),
                                          *encoded));
        // HMAC pads its key with zero bytes (RFC 2104 §2), and both KDFs key
        // HMAC with the password: trailing NULs are the same password.
        CHECK(auth::verify_password(std::string("hunter22\0", 9), *encoded));
    }
}

TEST_CASE("password: each hash has a salt of its own") {
    auto const a = auth::hash_password("same password", password_cheap);
    auto const b = auth::hash_password("same password", password_cheap);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a != *b);
    CHECK(auth::verify_password("same password", *a));
    CHECK(auth::verify_password("same password", *b));
}

TEST_CASE("password: any bytes are a password: empty, NUL inside, not UTF-8") {
    for (std::string_view pw :
         {std::string_view{}, std::string_view("a\0b", 3), std::string_view("\xff\xfe\x80", 3)}) {
        auto const encoded = auth::hash_password(pw, password_cheap);
        REQUIRE(encoded);
        CHECK(auth::verify_password(pw, *encoded));
        CHECK_FALSE(auth::verify_password("a", *encoded));
    }
}

TEST_CASE("password: longer than max_password_size is refused by hash, false for verify") {
    std::string const longest(auth::max_password_size, 'x');
    auto const ok = auth::hash_password(longest, password_cheap);
    REQUIRE(ok);
    CHECK(auth::verify_password(longest, *ok));

    std::string const too_long(auth::max_password_size + 1, 'x');
    auto const refused = auth::hash_password(too_long, password_cheap);
    REQUIRE(refused.has_error());
    CHECK(refused.error() == auth::error::password_too_long);
    CHECK(apikit::http_status(refused.error()) == 422);

    // A hash of the long password made by hand still never matches: the
    // KDF is not given it.
    std::array<unsigned char, 32> derived;
    std::string const salt(16, 's');
    REQUIRE(auth::detail::derive_password(password_cheap, too_long, salt, derived.data(),
                                          derived.size()));
    auto const stored = auth::detail::format_password_hash(
        password_cheap, salt, auth::detail::as_chars(derived.data(), derived.size()));
    CHECK_FALSE(auth::verify_password(too_long, stored));
}

TEST_CASE("password: hash_password refuses parameters outside the bounds") {
    for (auto const& params :
         {password_params::scrypt(0, 8, 1), password_params::scrypt(21, 1, 1),
          password_params::scrypt(15, 0, 1), password_params::scrypt(15, 8, 0),
          password_params::scrypt(18, 8, 1), password_params::scrypt(10, 8, 17),
          password_params::scrypt(17, 8, 4), password_params::pbkdf2_sha256(0),
          password_params::pbkdf2_sha256(auth::pbkdf2_max_iterations + 1)}) {
        CHECK_FALSE(params.within_bounds());
        auto const r = auth::hash_password("password", params);
        REQUIRE(r.has_error());
        CHECK(r.error() == auth::error::invalid_password_params);
        CHECK(apikit::http_status(r.error()) == 500);
    }
    // The edges themselves are in.
    CHECK(password_params::scrypt(20, 1, 2).within_bounds());
    CHECK(password_params::scrypt(17, 8, 2).within_bounds());
    CHECK(password_params::scrypt(1, 1, 16).within_bounds());
    CHECK(password_params::pbkdf2_sha256(auth::pbkdf2_max_iterations).within_bounds());
}

TEST_CASE("password: a stored string with absurd parameters is refused unread") {
    // The salt and hash of a real string, under parameters that would take
    // minutes or gigabytes: refused before any KDF runs (password_hash_params
    // is what verify_password runs, and it is nullopt).
    std::string_view const tail =
        "$AAECAwQFBgcICQoLDA0ODw$qEdN16IpmiD8b1xGt2m6eayHNWpzGKbmypt2tDrIeMg";
    for (std::string_view params :
         {"$scrypt$ln=40,r=8,p=1", "$scrypt$ln=20,r=8,p=1", "$scrypt$ln=14,r=1024,p=1",
          "$scrypt$ln=16,r=8,p=16", "$scrypt$ln=4,r=2,p=4294967295",
          "$scrypt$ln=4,r=4294967295,p=1", "$scrypt$ln=4,r=2,p=99999999999", "$scrypt$ln=0,r=2,p=1",
          "$scrypt$ln=4,r=0,p=1", "$scrypt$ln=4,r=2,p=0", "$pbkdf2-sha256$i=4294967295",
          "$pbkdf2-sha256$i=2000001", "$pbkdf2-sha256$i=0"}) {
        auto const encoded = std::string(params) + std::string(tail);
        CAPTURE(encoded);
        CHECK_FALSE(auth::password_hash_params(encoded));
        CHECK_FALSE(auth::verify_password(password_python_secret, encoded));
    }
}

TEST_CASE("password: malformed, tampered and unknown-scheme strings are false, never thrown") {
    std::string const good(password_python_scrypt);
    auto const with = [&](std::string_view from, std::string_view to) {
        auto s = good;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    std::vector<std::string> const bad{
        "",
        "$",
        "$$$$",
        "scrypt$ln=4,r=2,p=1$AAECAwQFBgcICQoLDA0ODw$qEdN16IpmiD8b1xGt2m6eayHNWpzGKbmypt2tDrIeMg",
        good + "$",
        good + "$extra",
        good.substr(0, good.rfind('$')),
        good.substr(0, good.size() - 1),       // the last character dropped: bits left over
        good + "AA",                           // 4n+1 characters
        good.substr(0, good.size() - 1) + "N", // the last character's spare bits set
        good + "=",                            // padding
        with("$scrypt$", "$SCRYPT$"),
        with("$scrypt$", "$argon2id$"),
        with("$scrypt$", "$pbkdf2-sha256$"),
        with("ln=4,r=2,p=1", "r=2,ln=4,p=1"),  // the order is fixed
        with("ln=4,r=2,p=1", "ln=4,r=2"),      // a parameter missing
        with("ln=4,r=2,p=1", "ln=4,r=2,p=1,"), // a trailing comma
        with("ln=4", "ln=04"),                 // a leading zero
        with("ln=4", "ln=+4"),                 // a sign
        with("ln=4", "ln= 4"),                 // a space
        with("ln=4", "ln=4.0"),                // not an integer
        with("ln=4", "ln="),                   // no value
        with("ln=4", "n=16"),                  // N itself is not PHC's name for it
        with("AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0ODw=="),              // padded salt
        with("AAECAwQFBgcICQoLDA0ODw", "AAECAw"),                                // a 4-byte salt
        with("AAECAwQFBgcICQoLDA0ODw", ""),                                      // no salt
        with("AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBg*ICQoLDA0ODw"),                // not base64
        with("qEdN16IpmiD8b1xGt2m6eayHNWpzGKbmypt2tDrIeMg", "qEdN16IpmiD8b1xG"), // 12-byte hash
        good + std::string(300, 'A'), // past the length read at all
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw",
        "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4",
        "$pbkdf2-sha512$i=1000$AAECAwQFBgcICQoLDA0ODw$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "5f4dcc3b5aa765d61d8327deb882cf99",
    };
    for (auto const& encoded : bad) {
        CAPTURE(encoded);
        CHECK_FALSE(auth::password_hash_params(encoded));
        CHECK_FALSE(auth::verify_password(password_python_secret, encoded));
    }
    // Well-formed, but not this password's: the hash, the salt or the cost changed.
    for (auto const& encoded : {with("qEdN", "qEdM"), with("AAEC", "AAED"), with("ln=4", "ln=5"),
                                with("r=2", "r=1"), with("p=1", "p=2")}) {
        CAPTURE(encoded);
        CHECK(auth::password_hash_params(encoded));
        CHECK_FALSE(auth::verify_password(password_python_secret, encoded));
    }
    // The URL-safe alphabet is another spelling of the same bytes: refused.
    std::string const slashes(password_python_scrypt_slashes);
    std::string url = slashes;
    for (char& c : url)
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    CHECK_FALSE(auth::verify_password(password_python_secret, url));
    CHECK(auth::verify_password(password_python_secret, slashes));
}

TEST_CASE("password: the dummy hash has the parameters asked for and matches nothing") {
    auto const& dummy = auth::dummy_password_hash(password_cheap);
    CHECK(&auth::dummy_password_hash(password_cheap) == &dummy); // once per process
    CHECK(auth::password_hash_params(dummy) == password_cheap);
    for (std::string_view pw : {"", "password", "hunter22", "correct horse battery staple"})
        CHECK_FALSE(auth::verify_password(pw, dummy));

    auto const& other = auth::dummy_password_hash(password_cheap_pbkdf2);
    CHECK(&other != &dummy);
    CHECK(auth::password_hash_params(other) == password_cheap_pbkdf2);
    CHECK_FALSE(auth::verify_password("password", other));
    CHECK(auth::password_hash_params(auth::dummy_password_hash()) == password_params{});

    // The dummy's salt and hash are random: not the same as another's with
    // the same parameters made in another process, so not a known string.
    CHECK(dummy.starts_with("$scrypt$ln=4,r=1,p=1$"));
    CHECK(dummy.size() == std::string_view("$scrypt$ln=4,r=1,p=1$").size() + 22 + 1 + 43);

    CHECK_THROWS_AS((void)auth::dummy_password_hash(password_params::scrypt(30, 8, 1)),
                    std::invalid_argument);
}
