find_package(apikit CONFIG REQUIRED)
