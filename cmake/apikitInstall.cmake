include(CMakePackageConfigHelpers)

set(APIKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/apikit")

install(TARGETS apikit EXPORT apikitTargets)
install(DIRECTORY include/apikit DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT apikitTargets NAMESPACE apikit:: DESTINATION "${APIKIT_CMAKE_DIR}")

configure_package_config_file(
  cmake/apikitConfig.cmake.in "${CMAKE_CURRENT_BINARY_DIR}/apikitConfig.cmake"
  INSTALL_DESTINATION "${APIKIT_CMAKE_DIR}")
# Header-only, so one build serves any architecture.
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/apikitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/apikitConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/apikitConfigVersion.cmake"
  cmake/apikitDependencies.cmake
  DESTINATION "${APIKIT_CMAKE_DIR}")
