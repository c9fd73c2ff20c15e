#include "yoloq/runtime/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace yoloq {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = ebx & (1u << 5);
    f.avx512f = ebx & (1u << 16);
    f.avx512_vnni = ecx & (1u << 11);
    f.amx_int8 = edx & (1u << 25);
  }
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) f.avx_vnni = eax & (1u << 4);
#endif
  return f;
}

std::string CpuFeatures::text() const {
  if (!avx2) return "no AVX2";
  std::string out = "AVX2";
  if (avx512f) out += ", AVX-512";
  out += vnni() ? ", VNNI" : ", no VNNI";
  if (amx_int8) out += ", AMX";
  return out;
}

}  // namespace yoloq
