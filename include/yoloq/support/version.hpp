#pragma once
// yoloq's version, the project VERSION of CMakeLists.txt: --version and every report state it.
namespace yoloq {

const char* version();

}  // namespace yoloq
