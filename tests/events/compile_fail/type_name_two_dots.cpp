// A literal type name is `<entity>.<action>`, exactly one dot: a versioned
// name with a second dot does not compile.
// expect: a_type_name_has_exactly_one_dot_between_entity_and_action
#include <apikit/events/type_name.hpp>

int main() {
    apikit::events::type_name const t = "user.created.v2";
    return static_cast<int>(t.size());
}
