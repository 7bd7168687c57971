include(FetchContent)
FetchContent_Declare(apikit SOURCE_DIR ${APIKIT_SOURCE_DIR}) # a clone of apikit on this machine
FetchContent_MakeAvailable(apikit)
