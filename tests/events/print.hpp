// How doctest prints an event, a type name or a pattern (and so a result of
// one) when a check fails: its envelope, its text. For the tests only: the library prints events as
// JSON through to_json.
#ifndef APIKIT_TESTS_EVENTS_PRINT_HPP
#define APIKIT_TESTS_EVENTS_PRINT_HPP

#include <apikit/events/event.hpp>

#include <ostream>

namespace apikit::events {

inline std::ostream& operator<<(std::ostream& os, event const& e) {
    return os << to_json(e);
}
inline std::ostream& operator<<(std::ostream& os, type_name const& t) {
    return os << t.view();
}
inline std::ostream& operator<<(std::ostream& os, type_pattern const& p) {
    return os << p.view();
}

} // namespace apikit::events

#endif
