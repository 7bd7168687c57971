find_package(apikit)
