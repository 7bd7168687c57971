find_package(apikit CONFIG REQUIRED COMPONENTS redis)
