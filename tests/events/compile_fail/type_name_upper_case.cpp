// A literal type name outside the grammar does not compile, and the error
// names the rule it broke: here, camel case: an upper-case letter inside a part.
// expect: a_type_name_holds_only_lower_case_letters_digits_and_underscores
#include <apikit/events/type_name.hpp>

int main() {
    apikit::events::type_name const t = "order.placedByAdmin";
    return static_cast<int>(t.size());
}
