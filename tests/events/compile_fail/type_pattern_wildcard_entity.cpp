// A subscription pattern's wildcard stands for the whole action only
// (`user.*`) or for everything (`*`): `*.created` does not compile.
// expect: a_type_pattern_is_a_type_name_or_entity_dot_star_or_star
#include <apikit/events/type_name.hpp>

int main() {
    apikit::events::type_pattern const p = "*.created";
    return p.is_any() ? 1 : 0;
}
