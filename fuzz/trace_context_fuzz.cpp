// W3C Trace Context from outside: a client sends any traceparent and any
// tracestate fields. The input's first line is a traceparent value, each
// further line one tracestate field. Whatever the bytes: parsing never
// fails but by saying so; a traceparent that parses has valid ids and
// writes as version 00 text that parses back to the same ids and sampled
// flag, with the input's ids character for character; a tracestate holds at
// most 32 members with unique keys, each in the grammar, counts every
// non-empty member it did not keep, and its text reads back as itself; a
// member put goes first, and erased is gone.
#include "fuzz.hpp"

#include <apikit/obs/trace_context.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace obs = apikit::obs;

namespace {

// Non-empty members of a field, as the spec counts them (independently of
// the parser: split at ',', trim spaces and tabs).
std::size_t nonempty_members(std::string_view field) {
    std::size_t n = 0;
    for (;;) {
        auto const comma = field.find(',');
        auto member = field.substr(0, comma);
        while (!member.empty() && (member.front() == ' ' || member.front() == '\t'))
            member.remove_prefix(1);
        while (!member.empty() && (member.back() == ' ' || member.back() == '\t'))
            member.remove_suffix(1);
        n += member.empty() ? 0 : 1;
        if (comma == std::string_view::npos)
            return n;
        field.remove_prefix(comma + 1);
    }
}

void check_traceparent(std::string_view value) {
    using apikit_fuzz::require;
    auto const tp = obs::parse_traceparent(value);
    if (!tp)
        return;
    require(tp->trace.valid() && tp->parent.valid(), "a parsed traceparent has valid ids");
    require(tp->version != 0xff, "version ff is never accepted");
    auto const written = obs::to_chars(*tp);
    auto const text = written.view();
    require(text.size() == obs::traceparent_size && text.substr(0, 3) == "00-",
            "a traceparent is written as version 00");
    auto trimmed = value;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t'))
        trimmed.remove_prefix(1);
    while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t'))
        trimmed.remove_suffix(1);
    require(trimmed.substr(2, 51) == text.substr(2, 51), "the ids are written as they came");
    require(tp->version != 0 || trimmed.size() == obs::traceparent_size,
            "version 00 is 55 characters");
    require(trimmed.size() == obs::traceparent_size || trimmed[obs::traceparent_size] == '-',
            "a later version goes on after a '-' only");
    auto const back = obs::parse_traceparent(text);
    require(back.has_value(), "a written traceparent parses");
    require(back->trace == tp->trace && back->parent == tp->parent && back->version == 0 &&
                back->flags == (tp->flags & obs::sampled_flag),
            "a written traceparent parses to the same trace, parent and sampled flag");
}

void check_tracestate(std::string_view fields) {
    using apikit_fuzz::require;
    obs::tracestate s;
    std::size_t members = 0;
    for (;;) {
        auto const nl = fields.find('\n');
        auto const field = fields.substr(0, nl);
        s.append(field);
        members += nonempty_members(field);
        if (nl == std::string_view::npos)
            break;
        fields.remove_prefix(nl + 1);
    }
    require(s.size() <= obs::tracestate::max_members, "at most 32 members");
    require(s.size() + s.dropped() == members, "every non-empty member is kept or dropped");
    std::string joined;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const m = s[i];
        require(apikit::obs::detail::valid_tracestate_key(m.key) &&
                    apikit::obs::detail::valid_tracestate_value(m.value),
                "a kept member is in the grammar");
        for (std::size_t j = 0; j < i; ++j)
            require(s[j].key != m.key, "keys are unique");
        require(s.find(m.key) == m.value, "find answers a member's value");
        if (i)
            joined += ',';
        joined.append(m.key).append("=").append(m.value);
    }
    require(joined == s.text(), "the text is the members joined by ','");
    auto const again = obs::tracestate::parse(s.text());
    require(again == s && again.dropped() == 0, "the text reads back as itself");

    auto put = s;
    require(put.put("fuzz@apikit", "1"), "a valid member can be put");
    require(put[0].key == "fuzz@apikit" && put[0].value == "1", "a member put goes first");
    require(put.size() <= obs::tracestate::max_members, "a put list has at most 32 members");
    require(obs::tracestate::parse(put.text()) == put, "a put list reads back as itself");
    put.erase("fuzz@apikit");
    require(!put.find("fuzz@apikit"), "an erased member is gone");
    require(obs::tracestate::parse(put.text()) == put, "an erased-from list reads back as itself");
    if (!s.empty()) {
        // Updating a kept member: it moves to the front, the size stays.
        auto moved = s;
        auto const last = std::string(s[s.size() - 1].key);
        require(moved.put(last, "v"), "a kept key can be put again");
        require(moved.size() == s.size() && moved[0].key == last,
                "an updated member moves to the front");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const in = apikit_fuzz::as_text(data, size);
    auto const nl = in.find('\n');
    check_traceparent(in.substr(0, nl));
    // The whole input is also one traceparent value (a header with odd bytes).
    check_traceparent(in);
    if (nl != std::string_view::npos)
        check_tracestate(in.substr(nl + 1));
    return 0;
}
