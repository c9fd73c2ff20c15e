#include "yoloq/data/fingerprint.hpp"

#include <cstdio>
#include <cstring>
#include <sstream>

namespace yoloq {

std::uint64_t sample_fingerprint(const std::vector<std::span<const float>>& inputs) {
  // FNV-1a over 64-bit words, then a final mix: fast enough to hash every sample (a 640x640 image
  // is 4.9 MB of floats, under a millisecond) and not meant to resist anyone.
  std::uint64_t h = 0xcbf29ce484222325ull;
  constexpr std::uint64_t kPrime = 0x100000001b3ull;
  for (const auto& values : inputs) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
    const std::size_t size = values.size_bytes();
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i, 8);
      h = (h ^ word) * kPrime;
    }
    for (; i < size; ++i) h = (h ^ bytes[i]) * kPrime;
    h = (h ^ size) * kPrime;  // input boundaries count
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

void record_calibration_fingerprints(Model& model, const std::vector<std::uint64_t>& fingerprints) {
  std::string text;
  text.reserve(fingerprints.size() * 17);
  char hex[17];
  for (const auto f : fingerprints) {
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(f));
    if (!text.empty()) text += ' ';
    text += hex;
  }
  auto* props = model.proto.mutable_metadata_props();
  for (auto& p : *props)
    if (p.key() == kCalibrationFingerprintsKey) {
      p.set_value(text);
      return;
    }
  auto* p = props->Add();
  p->set_key(kCalibrationFingerprintsKey);
  p->set_value(text);
}

std::vector<std::uint64_t> recorded_calibration_fingerprints(const Model& model) {
  for (const auto& p : model.proto.metadata_props()) {
    if (p.key() != kCalibrationFingerprintsKey) continue;
    std::vector<std::uint64_t> fingerprints;
    std::istringstream in(p.value());
    std::string word;
    while (in >> word) {
      if (word.size() != 16 || word.find_first_not_of("0123456789abcdef") != std::string::npos) return {};
      fingerprints.push_back(std::stoull(word, nullptr, 16));
    }
    return fingerprints;
  }
  return {};
}

}  // namespace yoloq
