#pragma once
// How a verification is shown: a few lines for the terminal, JSON, and the Markdown section of a
// report.
#include <nlohmann/json.hpp>
#include <string>

#include "yoloq/verify/verify.hpp"

namespace yoloq {

std::string summary_text(const VerifyResult& result);
nlohmann::json to_json(const VerifyResult& result);
std::string markdown_report(const VerifyResult& result);

}  // namespace yoloq
