add_subdirectory(${APIKIT_SOURCE_DIR} apikit) # a copy of apikit, or a git submodule
