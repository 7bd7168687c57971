# Warning flags for apikit's own targets (tests, examples, benchmarks). They are
# never put on apikit::apikit: a consumer's flags are the consumer's business.
add_library(apikit_warnings INTERFACE)
target_compile_options(apikit_warnings INTERFACE -Wall -Wextra -Wpedantic
  $<$<BOOL:${APIKIT_WARNINGS_AS_ERRORS}>:-Werror>)
