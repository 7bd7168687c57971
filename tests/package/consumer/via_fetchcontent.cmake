include(FetchContent)
FetchContent_Declare(apikit
  GIT_REPOSITORY https://github.com/apikit/apikit.git
  GIT_TAG v0.1.0)
FetchContent_MakeAvailable(apikit)
