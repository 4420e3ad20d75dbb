# Installation layout, CMake package config, pkg-config file and the Debian package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS sopskit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET sopskit-kms-emulator)
  # Beside sopskit, where `sopskit kms-emulator` looks for it.
  install(TARGETS sopskit-kms-emulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(TARGETS sopskit_lib sopskit_shared EXPORT sopskitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/sopskit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/lib/include/sopskit/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sopskit)
install(EXPORT sopskitTargets NAMESPACE sopskit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sopskit)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sopskitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sopskitConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sopskit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sopskitConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sopskitConfig.cmake ${PROJECT_BINARY_DIR}/sopskitConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sopskit)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sopskit.pc.in ${PROJECT_BINARY_DIR}/sopskit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sopskit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages and shell completions, generated from the CLI's own definitions.
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/doc/sopskit.1 ${PROJECT_BINARY_DIR}/doc/sopskit.bash ${PROJECT_BINARY_DIR}/doc/_sopskit
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/doc
  COMMAND $<TARGET_FILE:sopskit> completion bash > ${PROJECT_BINARY_DIR}/doc/sopskit.bash
  COMMAND $<TARGET_FILE:sopskit> completion zsh > ${PROJECT_BINARY_DIR}/doc/_sopskit
  COMMAND $<TARGET_FILE:sopskit> manpage ${PROJECT_BINARY_DIR}/doc
  DEPENDS sopskit VERBATIM)
add_custom_target(sopskit_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/doc/sopskit.1)
install(DIRECTORY ${PROJECT_BINARY_DIR}/doc/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
install(FILES ${PROJECT_BINARY_DIR}/doc/sopskit.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sopskit)
install(FILES ${PROJECT_BINARY_DIR}/doc/_sopskit DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sopskit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "sopskit developers <sopskit@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Encrypt and decrypt Kubernetes secrets in the SOPS format")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # runtime dependencies from the Debian libraries linked
# Loaded with dlopen on first use (PGP keys, SSH keys, cloud KMS keys), so dpkg-shlibdeps
# cannot see them.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libgpgme11, libssh-4")
if(SOPSKIT_WITH_KMS)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libcurl4")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnupg")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/rotate-fleet.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/sopskit)
