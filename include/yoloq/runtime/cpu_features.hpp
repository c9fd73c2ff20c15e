#pragma once
// The x86 features that decide which integer kernels ONNX Runtime's CPU provider runs: without
// VNNI its u8s8 GEMM multiplies with VPMADDUBSW (pairs summed in int16, see placement.md) and an
// INT8 model gains much less over FP32 than with VNNI (AVX-512 VNNI or AVX-VNNI) or AMX.
#include <string>

namespace yoloq {

struct CpuFeatures {
  bool avx2 = false, avx512f = false, avx512_vnni = false, avx_vnni = false, amx_int8 = false;
  bool vnni() const { return avx512_vnni || avx_vnni; }
  std::string text() const;  // "AVX2, AVX-512, VNNI, AMX" (what is present), or "no AVX2"
};

// From CPUID on x86-64; all false elsewhere.
CpuFeatures cpu_features();

}  // namespace yoloq
