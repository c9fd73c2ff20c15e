#include "yoloq/support/version.hpp"

namespace yoloq {

const char* version() { return YOLOQ_VERSION; }  // defined by CMakeLists.txt from project(VERSION)

}  // namespace yoloq
