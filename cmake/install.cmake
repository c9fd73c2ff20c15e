# Installation and the CMake package, included at the end of CMakeLists.txt.
#
#   cmake --install build --prefix P
#
# installs
#   P/lib/libyoloq_<module>.a             one static library per module, as they are built
#   P/include/yoloq/**                    the public headers
#   P/bin/yoloq                           the CLI
#   P/lib/cmake/yoloq/yoloqConfig.cmake   find_package(yoloq), with yoloqConfigVersion.cmake and
#                                         the exported targets yoloq::yoloq (pipeline and eval,
#                                         what libyoloq is), yoloq::<module> and yoloq::synth
# and, when the build used the ONNX Runtime copy of third_party/onnxruntime (no system package),
#   P/lib/libonnxruntime.so.1 (+ libonnxruntime.so) and P/include/onnxruntime/
#
# Why the modules stay separate static libraries: they are what the build and tests link, the
# dependency order of docs/architecture.md is in their link interfaces, and CMake links them in
# that order for a consumer, so `target_link_libraries(app yoloq::yoloq)` is all a user writes. A
# combined archive would be a second artefact to keep in step, for no gain to a CMake user.
#
# What a consumer's find_package(yoloq) recreates (cmake/yoloqConfig.cmake.in): the public
# headers include ONNX's protobuf classes, OpenCV core and nlohmann/json, and the static libraries
# need ONNX Runtime, OpenCV, libzip, protobuf and Threads at link time.
#  - Packages with a CMake package or module on Debian are found again with find_dependency:
#    Threads, Protobuf, ONNX, nlohmann_json (and onnxruntime when the system provided it).
#  - ONNX Runtime from third_party/ is installed under the prefix and imported from there: the
#    copy in the source tree is a build input that a user may delete or never have, and yoloq's
#    CLI needs the library at run time anyway (it finds it through RPATH $ORIGIN/../lib). The
#    library is the pinned official build and its C API is versioned, so it serves a consumer that
#    also calls ONNX Runtime directly; a consumer that found its own onnxruntime::onnxruntime
#    first keeps it.
#  - OpenCV (core, imgcodecs, imgproc) and libzip are system libraries that Debian ships without a
#    usable CMake package (OpenCV's is in libopencv-dev, which pulls in all of OpenCV; libzip's
#    checks for the zipcmp/zipmerge/ziptool programs of libzip-tools). Copying them under the
#    prefix would duplicate the distribution's libraries, and recording only absolute paths would
#    break when they move, so the config finds them again with find_library/find_path, hinted with
#    the folders this build used: the same files on this machine, the system's on another. They
#    become yoloq::opencv_* and yoloq::libzip (the names the build links), which cannot clash
#    with a consumer's own find_package(OpenCV) targets, and need no pkg-config at the consumer.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(YOLOQ_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/yoloq")

# Every module of yoloq_module(), in declaration order (from "name: deps" entries).
get_property(yoloq_module_entries GLOBAL PROPERTY YOLOQ_MODULE_DEPS)
set(yoloq_module_targets "")
foreach(entry ${yoloq_module_entries})
  string(REGEX REPLACE ":.*" "" module "${entry}")
  # yoloq::support rather than yoloq::yoloq_support. The headers use C++20, so the targets say so.
  set_target_properties(yoloq_${module} PROPERTIES EXPORT_NAME ${module})
  target_compile_features(yoloq_${module} PUBLIC cxx_std_20)
  list(APPEND yoloq_module_targets yoloq_${module})
endforeach()
set_target_properties(yoloq PROPERTIES EXPORT_NAME yoloq)

install(TARGETS yoloq ${yoloq_module_targets} EXPORT yoloqTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/yoloq DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")

set_target_properties(yoloq_cli PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS yoloq_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

if(YOLOQ_ORT_BUNDLED)
  # The file itself even when YOLOQ_ORT_ROOT's libonnxruntime.so.1 is a link (official tarballs),
  # under the soname the CLI and the consumers look for; libonnxruntime.so for -lonnxruntime.
  file(REAL_PATH "${YOLOQ_ORT_ROOT}/lib/libonnxruntime.so.1" yoloq_ort_library)
  install(FILES "${yoloq_ort_library}" DESTINATION ${CMAKE_INSTALL_LIBDIR} RENAME libonnxruntime.so.1
    PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  install(CODE "file(CREATE_LINK libonnxruntime.so.1
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libonnxruntime.so\" SYMBOLIC)
    message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libonnxruntime.so\")")
  install(DIRECTORY "${YOLOQ_ORT_ROOT}/include/" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/onnxruntime)
endif()

# Where this build found OpenCV and libzip: hints for the config's find_library calls.
get_filename_component(YOLOQ_OPENCV_LIBRARY_DIR "${OPENCV_core_LIBRARY}" DIRECTORY)
set(YOLOQ_LIBZIP_LIBRARY_DIRS "${LIBZIP_LIBRARY_DIRS}")
set(YOLOQ_LIBZIP_INCLUDE_DIRS "${LIBZIP_INCLUDE_DIRS}")
foreach(lib ${LIBZIP_LINK_LIBRARIES})
  get_filename_component(dir "${lib}" DIRECTORY)
  list(APPEND YOLOQ_LIBZIP_LIBRARY_DIRS "${dir}")
endforeach()
foreach(var YOLOQ_LIBZIP_LIBRARY_DIRS YOLOQ_LIBZIP_INCLUDE_DIRS)
  list(REMOVE_DUPLICATES ${var})
endforeach()

install(EXPORT yoloqTargets NAMESPACE yoloq:: DESTINATION ${YOLOQ_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/yoloqConfig.cmake.in ${CMAKE_BINARY_DIR}/yoloqConfig.cmake
  INSTALL_DESTINATION ${YOLOQ_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/yoloqConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/yoloqConfig.cmake ${CMAKE_BINARY_DIR}/yoloqConfigVersion.cmake
  DESTINATION ${YOLOQ_INSTALL_CMAKEDIR})
