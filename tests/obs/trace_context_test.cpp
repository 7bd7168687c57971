// traceparent: the accept-and-reject tables of W3C Trace Context Level 1
// (§3.2: the format, its examples, versioning) and of the W3C test suite
// (w3c/trace-context test/test.py, TraceContextTest.test_traceparent_*),
// written out as tables; the ids and their writing.

#include <apikit/obs/trace_context.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace obs = apikit::obs;

namespace {

struct tp_accepted {
    std::string_view input;
    std::string_view why;
    std::string_view trace;
    std::string_view parent;
    unsigned version;
    unsigned flags;
};

constexpr std::string_view tp_suite_trace = "12345678901234567890123456789012";
constexpr std::string_view tp_suite_parent = "1234567890123456";

// clang-format off
constexpr tp_accepted tp_accepted_table[] = {
    {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "spec: sampled",
     "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0, 0x01},
    {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "spec: not sampled",
     "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0, 0x00},
    {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "spec: the header example",
     "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0, 0x01},
    {"00-12345678901234567890123456789012-1234567890123456-01", "suite: traceparent included",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {" 00-12345678901234567890123456789012-1234567890123456-01", "suite: leading space",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {"\t00-12345678901234567890123456789012-1234567890123456-01", "suite: leading tab",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {"00-12345678901234567890123456789012-1234567890123456-01 ", "suite: trailing space",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {"00-12345678901234567890123456789012-1234567890123456-01\t", "suite: trailing tab",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {"\t 00-12345678901234567890123456789012-1234567890123456-01 \t", "suite: OWS both sides",
     tp_suite_trace, tp_suite_parent, 0, 0x01},
    {"cc-12345678901234567890123456789012-1234567890123456-01", "suite: future version 0xcc",
     tp_suite_trace, tp_suite_parent, 0xcc, 0x01},
    {"cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
     "suite: future version with more fields", tp_suite_trace, tp_suite_parent, 0xcc, 0x01},
    {"01-12345678901234567890123456789012-1234567890123456-00-", "spec: a later version may end in '-'",
     tp_suite_trace, tp_suite_parent, 0x01, 0x00},
    {"fe-12345678901234567890123456789012-1234567890123456-09", "spec: the highest valid version",
     tp_suite_trace, tp_suite_parent, 0xfe, 0x09},
    {"00-12345678901234567890123456789012-1234567890123456-ff", "spec: every flag (read as sent)",
     tp_suite_trace, tp_suite_parent, 0, 0xff},
    {"00-00000000000000000000000000000001-0000000000000001-00", "spec: only all zeros is invalid",
     "00000000000000000000000000000001", "0000000000000001", 0, 0x00},
};

struct tp_rejected {
    std::string_view input;
    std::string_view why;
};

constexpr tp_rejected tp_rejected_table[] = {
    {"", "empty"},
    {"00-12345678901234567890123456789012-1234567890123456-01.", "suite: version 00, trailing '.'"},
    {"00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
     "suite: version 00 with more fields"},
    {"00-12345678901234567890123456789012-1234567890123456-01-", "spec: version 00 is exactly 55"},
    {"cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
     "suite: future version, flags not followed by '-'"},
    {"cc-12345678901234567890123456789012-1234567890123456-1", "spec: a later version, shorter than 55"},
    {"ff-12345678901234567890123456789012-1234567890123456-01", "suite: version ff is forbidden"},
    {".0-12345678901234567890123456789012-1234567890123456-01", "suite: version illegal character"},
    {"0.-12345678901234567890123456789012-1234567890123456-01", "suite: version illegal character"},
    {"000-12345678901234567890123456789012-1234567890123456-01", "suite: version too long"},
    {"0000-12345678901234567890123456789012-1234567890123456-01", "suite: version too long"},
    {"0-12345678901234567890123456789012-1234567890123456-01", "suite: version too short"},
    {"0A-12345678901234567890123456789012-1234567890123456-01", "spec: upper-case version"},
    {"00-00000000000000000000000000000000-1234567890123456-01", "suite: trace id all zero"},
    {"00-.2345678901234567890123456789012-1234567890123456-01", "suite: trace id illegal character"},
    {"00-1234567890123456789012345678901.-1234567890123456-01", "suite: trace id illegal character"},
    {"00-123456789012345678901234567890123-1234567890123456-01", "suite: trace id too long"},
    {"00-1234567890123456789012345678901-1234567890123456-01", "suite: trace id too short"},
    {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "spec: upper-case trace id"},
    {"00-12345678901234567890123456789012-0000000000000000-01", "suite: parent id all zero"},
    {"00-12345678901234567890123456789012-.234567890123456-01", "suite: parent id illegal character"},
    {"00-12345678901234567890123456789012-123456789012345.-01", "suite: parent id illegal character"},
    {"00-12345678901234567890123456789012-12345678901234567-01", "suite: parent id too long"},
    {"00-12345678901234567890123456789012-123456789012345-01", "suite: parent id too short"},
    {"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", "spec: upper-case parent id"},
    {"00-12345678901234567890123456789012-1234567890123456-.0", "suite: flags illegal character"},
    {"00-12345678901234567890123456789012-1234567890123456-0.", "suite: flags illegal character"},
    {"00-12345678901234567890123456789012-1234567890123456-001", "suite: flags too long"},
    {"00-12345678901234567890123456789012-1234567890123456-1", "suite: flags too short"},
    {"00-12345678901234567890123456789012-1234567890123456-0A", "spec: upper-case flags"},
    {"00_12345678901234567890123456789012-1234567890123456-01", "spec: '-' delimits the fields"},
    {"00-12345678901234567890123456789012_1234567890123456-01", "spec: '-' delimits the fields"},
    {"00-12345678901234567890123456789012-1234567890123456_01", "spec: '-' delimits the fields"},
    {"00-12345678901234567890123456789012-1234567890123456-01\r", "not OWS: a CR"},
    {"00 12345678901234567890123456789012 1234567890123456 01", "spaces for dashes"},
};
// clang-format on

std::string tp_hex(obs::trace_id const& id) {
    return id.hex().to_string();
}
std::string tp_hex(obs::span_id const& id) {
    return id.hex().to_string();
}

} // namespace

TEST_CASE("parse_traceparent: the spec's and the W3C test suite's valid values") {
    for (auto const& row : tp_accepted_table) {
        CAPTURE(row.input);
        CAPTURE(row.why);
        auto const tp = obs::parse_traceparent(row.input);
        REQUIRE(tp.has_value());
        CHECK(tp_hex(tp->trace) == row.trace);
        CHECK(tp_hex(tp->parent) == row.parent);
        CHECK(tp->version == row.version);
        CHECK(tp->flags == row.flags);
        CHECK(tp->sampled() == ((row.flags & 1u) != 0));
    }
}

TEST_CASE("parse_traceparent: the spec's and the W3C test suite's invalid values") {
    for (auto const& row : tp_rejected_table) {
        CAPTURE(row.input);
        CAPTURE(row.why);
        auto const tp = obs::parse_traceparent(row.input);
        REQUIRE_FALSE(tp.has_value());
        CHECK(tp.error() == apikit::errc::malformed_request);
    }
}

TEST_CASE("to_chars writes version 00 with the sampled flag only, and reads back") {
    auto const in =
        obs::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    REQUIRE(in.has_value());
    CHECK(obs::to_string(*in) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    CHECK(obs::to_chars(*in).view().size() == obs::traceparent_size);

    // A later version is answered in the highest version known: 00, with
    // the fields it defines (the reserved flags are zero).
    auto const future = obs::parse_traceparent(
        "cc-12345678901234567890123456789012-1234567890123456-ff-what-the-future-will-be-like");
    REQUIRE(future.has_value());
    auto const written = obs::to_string(*future);
    CHECK(written == "00-12345678901234567890123456789012-1234567890123456-01");
    auto const back = obs::parse_traceparent(written);
    REQUIRE(back.has_value());
    CHECK(back->trace == future->trace);
    CHECK(back->parent == future->parent);
    CHECK(back->version == 0);
    CHECK(back->flags == obs::sampled_flag);
}

TEST_CASE("ids: hex both ways, all zeros and upper case refused") {
    auto const t = obs::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
    REQUIRE(t);
    CHECK(t->bytes[0] == 0x4b);
    CHECK(t->bytes[15] == 0x36);
    CHECK(t->hex().view() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK_FALSE(obs::trace_id::from_hex("00000000000000000000000000000000"));
    CHECK_FALSE(obs::trace_id::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736"));
    CHECK_FALSE(obs::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473"));
    CHECK_FALSE(obs::span_id::from_hex("00f067aa0ba902b"));
    CHECK_FALSE(obs::span_id::from_hex("00f067aa0ba902b7a"));
    auto const s = obs::span_id::from_hex("00f067aa0ba902b7");
    REQUIRE(s);
    CHECK(s->hex().to_string() == "00f067aa0ba902b7");
    CHECK_FALSE(obs::trace_id{}.valid());
    CHECK_FALSE(obs::span_id{}.valid());
}

TEST_CASE("new ids are valid and differ from one another") {
    std::set<std::string> traces;
    std::set<std::string> spans;
    for (int i = 0; i < 1000; ++i) {
        auto const t = obs::new_trace_id();
        auto const s = obs::new_span_id();
        CHECK(t.valid());
        CHECK(s.valid());
        traces.insert(t.hex().to_string());
        spans.insert(s.hex().to_string());
    }
    CHECK(traces.size() == 1000);
    CHECK(spans.size() == 1000);
}

TEST_CASE("request_trace: a continued trace keeps the caller's trace and sampling, not its span") {
    auto const caller =
        obs::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
    REQUIRE(caller.has_value());
    obs::request_trace t;
    t.state.append("stale=1");
    t.continue_from(*caller);
    CHECK(t.trace == caller->trace);
    REQUIRE(t.parent);
    CHECK(*t.parent == caller->parent);
    CHECK(t.span.valid());
    CHECK(t.span != caller->parent);
    CHECK(t.flags == obs::sampled_flag); // the unknown flag 0x02 is not passed on
    CHECK(t.state.empty());
    auto const sent = t.traceparent();
    CHECK(sent.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
    CHECK(sent.substr(36, 16) == t.span.hex().view());
    CHECK(sent.substr(52) == "-01");

    obs::traceparent unsampled = *caller;
    unsampled.flags = 0;
    t.continue_from(unsampled);
    CHECK_FALSE(t.sampled());
}

TEST_CASE("request_trace: a new trace has fresh ids, no parent and the sampling asked for") {
    obs::request_trace t;
    t.start();
    CHECK(t.valid());
    CHECK_FALSE(t.parent);
    CHECK(t.sampled());
    auto const first = t.trace;
    t.start(false);
    CHECK(t.trace != first);
    CHECK_FALSE(t.sampled());
    CHECK(t.traceparent().substr(53) == "00");
    t.clear();
    CHECK_FALSE(t.valid());
}

TEST_CASE("hex: 8 characters at a time agree with the table on every byte in every place") {
    namespace d = apikit::obs::detail;
    // Each of the 8 places of a valid word holds each of the 256 byte values
    // in turn: the word is valid exactly when the table says that byte is a
    // digit, and then decodes to what the table decodes.
    for (std::size_t place = 0; place < 8; ++place) {
        for (unsigned c = 0; c < 256; ++c) {
            char text[9] = "0f9a1b2c";
            text[place] = static_cast<char>(c);
            std::array<std::uint8_t, 4> words{};
            bool const by_words = d::decode_hex(text, words);
            bool by_table = true;
            std::array<std::uint8_t, 4> table{};
            for (std::size_t i = 0; i < 4; ++i)
                by_table &= d::decode_hex_byte(text + 2 * i, table[i]);
            CAPTURE(place);
            CAPTURE(c);
            REQUIRE(by_words == by_table);
            if (by_table)
                REQUIRE(words == table);
        }
    }
    // Every byte value, in each of a word's 4 places, encodes as the table does.
    for (std::size_t place = 0; place < 4; ++place) {
        for (unsigned b = 0; b < 256; ++b) {
            std::array<std::uint8_t, 4> bytes{0x00, 0x9f, 0xa0, 0xff};
            bytes[place] = static_cast<std::uint8_t>(b);
            char words[8];
            d::encode_hex(bytes, words);
            char table[8];
            for (std::size_t i = 0; i < 4; ++i)
                d::encode_hex_byte(bytes[i], table + 2 * i);
            CAPTURE(place);
            CAPTURE(b);
            REQUIRE(std::string_view(words, 8) == std::string_view(table, 8));
        }
    }
    // And at compile time, by table.
    static_assert(obs::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736")->bytes[0] == 0x4b);
    static_assert(obs::span_id::from_hex("00f067aa0ba902b7")->hex().view() == "00f067aa0ba902b7");
}
