# Installs scopejobs the way find_package and pkg-config look for it: the
# headers, the exported target scopejobs::scopejobs with its package
# config and version files, and scopejobs.pc. Nothing here depends on the
# architecture, so everything goes below the data folder (share/).

include(CMakePackageConfigHelpers)

set(SCOPEJOBS_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/scopejobs")
set(SCOPEJOBS_PC_DIR "${CMAKE_INSTALL_DATADIR}/pkgconfig")

# headers and the exported target
install(DIRECTORY include/scopejobs DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS scopejobs EXPORT scopejobs-targets)
install(EXPORT scopejobs-targets
    NAMESPACE scopejobs::
    FILE scopejobsTargets.cmake
    DESTINATION "${SCOPEJOBS_CMAKE_DIR}")

# Before 1.0 a minor release may break code, so 0.1.x only satisfies a
# request for 0.1; from 1.0 on, any later release of the same major does.
if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(SCOPEJOBS_COMPATIBILITY SameMinorVersion)
else()
    set(SCOPEJOBS_COMPATIBILITY SameMajorVersion)
endif()

# package config and version files
list(JOIN SCOPEJOBS_BOOST_COMPONENTS " " SCOPEJOBS_BOOST_COMPONENT_LIST)
configure_package_config_file(cmake/scopejobsConfig.cmake.in
    "${PROJECT_BINARY_DIR}/scopejobsConfig.cmake"
    INSTALL_DESTINATION "${SCOPEJOBS_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/scopejobsConfigVersion.cmake"
    COMPATIBILITY ${SCOPEJOBS_COMPATIBILITY}
    ARCH_INDEPENDENT)
install(FILES
    "${PROJECT_BINARY_DIR}/scopejobsConfig.cmake"
    "${PROJECT_BINARY_DIR}/scopejobsConfigVersion.cmake"
    DESTINATION "${SCOPEJOBS_CMAKE_DIR}")

# scopejobs.pc, relocatable: its prefix is found from where the file lies
file(RELATIVE_PATH SCOPEJOBS_PC_TO_PREFIX
    "${CMAKE_INSTALL_FULL_DATADIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" SCOPEJOBS_PC_TO_PREFIX "${SCOPEJOBS_PC_TO_PREFIX}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(SCOPEJOBS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
    set(SCOPEJOBS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/scopejobs.pc.in "${PROJECT_BINARY_DIR}/scopejobs.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/scopejobs.pc" DESTINATION "${SCOPEJOBS_PC_DIR}")
