// The RESP reader (hiredis's parser building redis::reply) on bytes given by
// hand — every reply type, replies split anywhere across reads, several in
// one read, and bytes that are not RESP — and reply::as<T>().

#include <apikit/redis/detail/reader.hpp>
#include <apikit/redis/reply.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using apikit::redis::error;
using apikit::redis::reply;
using apikit::redis::reply_type;
using apikit::redis::detail::reader;

namespace {

// Parses `bytes`, which must hold exactly one complete reply.
reply parse(std::string_view bytes) {
    reader rd;
    REQUIRE(rd.feed(bytes.data(), bytes.size()));
    reply r;
    REQUIRE(rd.next(r) == reader::status::reply);
    reply extra;
    CHECK(rd.next(extra) == reader::status::need_more);
    return r;
}

reader::status parse_status(std::string_view bytes) {
    reader rd;
    REQUIRE(rd.feed(bytes.data(), bytes.size()));
    reply r;
    return rd.next(r);
}

} // namespace

TEST_CASE("reader: each RESP2 type becomes the matching reply") {
    CHECK(parse("+OK\r\n") == reply::status("OK"));
    CHECK(parse("-ERR wrong\r\n") == reply::error("ERR wrong"));
    CHECK(parse(":42\r\n") == reply::integer(42));
    CHECK(parse(":-9223372036854775808\r\n") ==
          reply::integer(std::numeric_limits<std::int64_t>::min()));
    CHECK(parse("$5\r\nhello\r\n") == reply::string("hello"));
    CHECK(parse("$0\r\n\r\n") == reply::string(""));
    CHECK(parse("$-1\r\n").is_nil());
    CHECK(parse("*-1\r\n").is_nil());
    CHECK(parse("*0\r\n") == reply::array({}));
    CHECK(parse("*3\r\n:1\r\n$-1\r\n+x\r\n") ==
          reply::array({reply::integer(1), reply::nil(), reply::status("x")}));
}

TEST_CASE("reader: nested arrays keep their shape") {
    auto const r = parse("*2\r\n*2\r\n:1\r\n*1\r\n$1\r\na\r\n-E x\r\n");
    auto const expected =
        reply::array({reply::array({reply::integer(1), reply::array({reply::string("a")})}),
                      reply::error("E x")});
    CHECK(r == expected);
    CHECK(fmt::format("{}", r) == R"([[(integer) 1, ["a"]], (error) E x])");
}

TEST_CASE("reader: bulk strings are binary-safe") {
    std::string const value("a\0b\r\nc", 6);
    auto const r = parse(std::string("$6\r\n") + value + "\r\n");
    CHECK(r.is_string());
    CHECK(r.text() == value);
}

TEST_CASE("reader: a reply split at every byte comes out whole, once") {
    std::string const bytes = "*3\r\n$5\r\nhello\r\n*1\r\n:7\r\n-ERR x\r\n";
    reader rd;
    reply r;
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        REQUIRE(rd.feed(&bytes[i], 1));
        REQUIRE(rd.next(r) == reader::status::need_more);
    }
    REQUIRE(rd.feed(&bytes.back(), 1));
    REQUIRE(rd.next(r) == reader::status::reply);
    CHECK(r == reply::array({reply::string("hello"), reply::array({reply::integer(7)}),
                             reply::error("ERR x")}));
    CHECK(rd.next(r) == reader::status::need_more);
}

TEST_CASE("reader: several replies in one read come out in order") {
    std::string const bytes = ":1\r\n:2\r\n$1\r\n3\r\n+4\r\n";
    reader rd;
    REQUIRE(rd.feed(bytes.data(), bytes.size()));
    std::vector<reply> got;
    reply r;
    while (rd.next(r) == reader::status::reply)
        got.push_back(r);
    CHECK(got == std::vector<reply>{reply::integer(1), reply::integer(2), reply::string("3"),
                                    reply::status("4")});
}

TEST_CASE("reader: bytes that are not RESP are an error, and the reader stays failed") {
    CHECK(parse_status("?what\r\n") == reader::status::error);
    CHECK(parse_status(":12x\r\n") == reader::status::error);
    CHECK(parse_status("$abc\r\n") == reader::status::error);
    CHECK(parse_status("$-2\r\n") == reader::status::error);
    CHECK(parse_status("*-5\r\n") == reader::status::error);
    CHECK(parse_status("*1\r\n!\r\n") == reader::status::error);

    reader rd;
    std::string const bad = "!\r\n";
    REQUIRE(rd.feed(bad.data(), bad.size()));
    reply r;
    REQUIRE(rd.next(r) == reader::status::error);
    std::string const good = "+OK\r\n";
    CHECK_FALSE(rd.feed(good.data(), good.size()));
    CHECK(rd.next(r) == reader::status::error);
}

TEST_CASE("reader: a reader freed in the middle of an array frees it") {
    // Under ASan this is the leak check of a partial reply.
    reader rd;
    std::string const bytes = "*3\r\n$5\r\nhello\r\n*2\r\n:1\r\n";
    REQUIRE(rd.feed(bytes.data(), bytes.size()));
    reply r;
    CHECK(rd.next(r) == reader::status::need_more);
}

TEST_CASE("reply::as: integers, from integer replies and numeric strings") {
    CHECK(reply::integer(42).as<std::int64_t>().value() == 42);
    CHECK(reply::integer(-1).as<int>().value() == -1);
    CHECK(reply::string("123").as<std::uint32_t>().value() == 123u);
    CHECK(reply::integer(300).as<std::int8_t>().error() == error::unexpected_reply);
    CHECK(reply::integer(-1).as<unsigned>().error() == error::unexpected_reply);
    CHECK(reply::string("12x").as<int>().error() == error::unexpected_reply);
    CHECK(reply::string("").as<int>().error() == error::unexpected_reply);
    CHECK(reply::string("99999999999999999999").as<std::int64_t>().error() ==
          error::unexpected_reply);
    CHECK(reply::status("OK").as<int>().error() == error::unexpected_reply);
    CHECK(reply::nil().as<int>().error() == error::unexpected_reply);
}

TEST_CASE("reply::as: bool, double, strings") {
    CHECK(reply::integer(1).as<bool>().value());
    CHECK_FALSE(reply::integer(0).as<bool>().value());
    CHECK(reply::integer(2).as<bool>().error() == error::unexpected_reply);
    CHECK(reply::string("1").as<bool>().error() == error::unexpected_reply);

    CHECK(reply::string("1.5").as<double>().value() == 1.5);
    CHECK(reply::integer(3).as<double>().value() == 3.0);
    CHECK(reply::string("1.5x").as<double>().error() == error::unexpected_reply);

    CHECK(reply::string("abc").as<std::string>().value() == "abc");
    CHECK(reply::status("OK").as<std::string>().value() == "OK");
    CHECK(reply::integer(1).as<std::string>().error() == error::unexpected_reply);
    auto const r = reply::string("view");
    CHECK(r.as<std::string_view>().value() == "view");
    CHECK(r.as<std::string_view>().value().data() == r.text().data());
}

TEST_CASE("reply::as: nil is nullopt, arrays are vectors") {
    CHECK(reply::nil().as<std::optional<std::string>>().value() == std::nullopt);
    CHECK(reply::string("x").as<std::optional<std::string>>().value() == "x");
    CHECK(reply::integer(1).as<std::optional<std::string>>().error() == error::unexpected_reply);

    auto const arr = reply::array({reply::string("1"), reply::integer(2)});
    CHECK(arr.as<std::vector<int>>().value() == std::vector<int>{1, 2});
    CHECK(arr.as<std::vector<std::string>>().error() == error::unexpected_reply);
    auto const with_nil = reply::array({reply::string("a"), reply::nil()});
    CHECK(with_nil.as<std::vector<std::optional<std::string>>>().value() ==
          std::vector<std::optional<std::string>>{"a", std::nullopt});
    CHECK(reply::nil().as<std::vector<int>>().error() == error::unexpected_reply);
    CHECK(arr.as<reply>().value() == arr);
}

TEST_CASE("reply::as: an error reply is server_error whatever is asked") {
    auto const e = reply::error("WRONGTYPE Operation against a key holding the wrong kind");
    CHECK(e.as<int>().error() == error::server_error);
    CHECK(e.as<std::string>().error() == error::server_error);
    CHECK(e.as<std::optional<int>>().error() == error::server_error);
    CHECK(e.as<reply>().error() == error::server_error);
    // Inside an array too: the element's conversion fails.
    CHECK(reply::array({e}).as<std::vector<int>>().error() == error::server_error);
}

TEST_CASE("reply::is_error_code matches the code word, not a prefix of it") {
    auto const e = reply::error("NOSCRIPT No matching script. Please use EVAL.");
    CHECK(e.is_error_code("NOSCRIPT"));
    CHECK_FALSE(e.is_error_code("NOSCRIPTX"));
    CHECK_FALSE(e.is_error_code("NOSCRI"));
    CHECK(reply::error("BUSY").is_error_code("BUSY"));
    CHECK_FALSE(reply::string("NOSCRIPT x").is_error_code("NOSCRIPT"));
}

TEST_CASE("reply: formatted as redis-cli shows it") {
    CHECK(fmt::format("{}", reply::nil()) == "(nil)");
    CHECK(fmt::format("{}", reply::status("OK")) == "OK");
    CHECK(fmt::format("{}", reply::integer(5)) == "(integer) 5");
    CHECK(fmt::format("{}", reply::string("s")) == "\"s\"");
    CHECK(fmt::format("{}", reply::array({})) == "[]");
}
