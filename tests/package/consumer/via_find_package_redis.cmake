find_package(apikit 0.1 CONFIG REQUIRED COMPONENTS redis)
