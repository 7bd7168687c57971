#include <apikit/core/log_context.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace {

// The context's members as the JSON object a log line makes of them.
boost::json::object context_object(apikit::log_context const& ctx) {
    std::string text = "{";
    text.append(ctx.members());
    text.push_back('}');
    return boost::json::parse(text).as_object();
}

} // namespace

TEST_CASE("log_context renders its members in the order they were first set") {
    apikit::log_context ctx;
    CHECK(ctx.empty());
    CHECK(ctx.members().empty());
    ctx.set("user_id", "user_42");
    ctx.set("order_id", std::string("order_7"));
    ctx.set("duration_ms", 234);
    ctx.set("bytes", std::uint64_t{18446744073709551615u});
    ctx.set("ratio", 0.5);
    ctx.set("cached", true);
    ctx.set("parent", nullptr);
    CHECK(ctx.members() ==
          R"("user_id":"user_42","order_id":"order_7","duration_ms":234,)"
          R"("bytes":18446744073709551615,"ratio":0.5,"cached":true,"parent":null)");
    CHECK(ctx.size() == 7);
    CHECK(ctx.find("order_id") == R"("order_7")");
    CHECK(ctx.find("duration_ms") == "234");
    CHECK_FALSE(ctx.find("nope"));
    CHECK(ctx[1].key == "order_id");
    CHECK(ctx[1].json == R"("order_id":"order_7")");
    CHECK(ctx[1].value == R"("order_7")");
}

TEST_CASE("log_context: setting a key again replaces its value where it stands") {
    apikit::log_context ctx;
    ctx.set("a", 1);
    ctx.set("b", "short");
    ctx.set("c", 3);
    ctx.set("b", "a much longer value than before");
    CHECK(ctx.members() == R"("a":1,"b":"a much longer value than before","c":3)");
    ctx.set("b", false);
    CHECK(ctx.members() == R"("a":1,"b":false,"c":3)");
    CHECK(ctx.find("c") == "3"); // later members still found after the text moved
    CHECK(ctx[2].json == R"("c":3)");
    CHECK(ctx.size() == 3);
}

TEST_CASE("log_context: erase removes a member and its comma wherever it is") {
    apikit::log_context ctx;
    ctx.set("a", 1);
    ctx.set("b", 2);
    ctx.set("c", 3);
    ctx.erase("b");
    CHECK(ctx.members() == R"("a":1,"c":3)");
    ctx.erase("missing");
    ctx.erase("a");
    CHECK(ctx.members() == R"("c":3)");
    CHECK(ctx.find("c") == "3");
    CHECK(ctx[0].key == "c");
    ctx.set("d", 4);
    ctx.erase("d");
    CHECK(ctx.members() == R"("c":3)");
    ctx.erase("c");
    CHECK(ctx.empty());
    CHECK(ctx.members().empty());
    ctx.set("e", 5);
    CHECK(ctx.members() == R"("e":5)");
}

TEST_CASE("log_context: clear forgets the members and keeps the memory") {
    apikit::log_context ctx;
    for (int i = 0; i < 8; ++i)
        ctx.set("key_" + std::to_string(i), std::string(40, 'x'));
    auto const* before = ctx.members().data();
    ctx.clear();
    CHECK(ctx.empty());
    CHECK_FALSE(ctx.find("key_0"));
    for (int i = 0; i < 8; ++i)
        ctx.set("key_" + std::to_string(i), std::string(40, 'y'));
    CHECK(ctx.members().data() == before); // the same buffer: nothing allocated again
}

TEST_CASE("log_context: keys and values are escaped, so the members are always JSON") {
    apikit::log_context ctx;
    ctx.set("quote\"key", "line\nbreak \"quoted\" \\ tab\t");
    ctx.set("colon:key", "bad \xff utf-8");
    ctx.set("", "empty key");
    ctx.set("nan", std::numeric_limits<double>::quiet_NaN());
    ctx.set("min", std::numeric_limits<std::int64_t>::min());
    auto const obj = context_object(ctx);
    CHECK(obj.at("quote\"key") == "line\nbreak \"quoted\" \\ tab\t");
    CHECK(obj.at("colon:key") == "bad \xef\xbf\xbd utf-8");
    CHECK(obj.at("") == "empty key");
    CHECK(obj.at("nan").is_null()); // JSON has no NaN
    CHECK(obj.at("min") == std::numeric_limits<std::int64_t>::min());
    CHECK(ctx.find("colon:key") == R"("bad \ufffd utf-8")");
    // A member longer than set()'s stack buffer.
    std::string const big(1000, '"');
    ctx.set("big", big);
    CHECK(context_object(ctx).at("big").as_string() == big);
}

TEST_CASE("is_secret_key: credentials by name, without case") {
    for (auto const* key :
         {"authorization", "Authorization", "Proxy-Authorization", "cookie", "Set-Cookie",
          "password", "new_password", "PASSWD", "client_secret", "secret", "token", "refresh_token",
          "X-Api-Key", "api_key", "apiKey", "credentials", "private_key", "AUTHORIZATION_HEADER"})
        CHECK_MESSAGE(apikit::is_secret_key(key), key);
    for (auto const* key : {"user_id", "request_id", "trace_id", "order_id", "duration_ms", "",
                            "author", "cook", "pass", "tok", "api", "key"})
        CHECK_MESSAGE(!apikit::is_secret_key(key), key);
    static_assert(apikit::is_secret_key("X-Auth-Token")); // usable at compile time
    // A long key, the needle deep inside it.
    std::string long_key(120, 'x');
    long_key += "PassWord";
    long_key += std::string(300, 'y');
    CHECK(apikit::is_secret_key(long_key));
    CHECK_FALSE(apikit::is_secret_key(std::string(500, 'z')));
}

TEST_CASE("log_context: a secret's value is redacted whatever it was") {
    apikit::log_context ctx;
    ctx.set("Authorization", "Bearer eyJhbGciOi...");
    ctx.set("password", "hunter2");
    ctx.set("session_token", 12345);
    ctx.set("cookie", true);
    ctx.set("user_id", "user_1");
    CHECK(ctx.members() == R"("Authorization":"[REDACTED]","password":"[REDACTED]",)"
                           R"("session_token":"[REDACTED]","cookie":"[REDACTED]",)"
                           R"("user_id":"user_1")");
    CHECK(ctx.members().find("hunter2") == std::string_view::npos);
}

TEST_CASE("log_context: a log_key and a plain value render as the same set by strings") {
    // Named (log_context.hpp says why): clang 14 cannot build two log_key
    // temporaries in one function that is not a template.
    static constexpr apikit::log_key trace_key{"trace_id"}, user_key{"user_id"}, n_key{"n"},
        long_key{"long"};
    apikit::log_context by_key, by_string;
    std::string const hex = "4bf92f3577b34da6a3ce929d0e0e4736";
    by_key.set(trace_key, apikit::log_value::plain(hex));
    by_key.set(user_key, "a \"quoted\" user\n");
    by_key.set(n_key, 7);
    by_string.set("trace_id", hex);
    by_string.set("user_id", "a \"quoted\" user\n");
    by_string.set("n", 7);
    CHECK(by_key.members() == by_string.members());
    CHECK(by_key.members() ==
          R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","user_id":"a \"quoted\" user\n","n":7)");
    CHECK(context_object(by_key).size() == 3);

    // Replaced where it stands, found by the same key as a string.
    by_key.set(trace_key, apikit::log_value::plain("00f0"));
    CHECK(by_key.find("trace_id") == R"("00f0")");
    CHECK(by_key[0].key == "trace_id");
    CHECK(by_key.size() == 3);

    // A value longer than the stack buffer.
    std::string const long_plain(1000, 'a');
    by_key.set(long_key, apikit::log_value::plain(long_plain));
    CHECK(by_key.find("long") == "\"" + long_plain + "\"");
    CHECK(apikit::log_value::plain(hex).type() == apikit::log_value::kind::string);
}

TEST_CASE("log_value::is_plain_char: what a JSON string holds unescaped") {
    CHECK(apikit::log_value::is_plain_char('a'));
    CHECK(apikit::log_value::is_plain_char(' '));
    CHECK(apikit::log_value::is_plain_char('~'));
    CHECK_FALSE(apikit::log_value::is_plain_char('"'));
    CHECK_FALSE(apikit::log_value::is_plain_char('\\'));
    CHECK_FALSE(apikit::log_value::is_plain_char('\n'));
    CHECK_FALSE(apikit::log_value::is_plain_char('\x7f'));
    CHECK_FALSE(apikit::log_value::is_plain_char('\xc3'));
}
