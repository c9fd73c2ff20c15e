#pragma once
// How a quantize run is shown: the terminal summary, and the full report (settings, plan, ranges
// and scales, what stayed float and why, the worst-quantized activations, verification) as JSON,
// Markdown and a self-contained HTML page that also draws the worst activations' histograms.
#include <nlohmann/json.hpp>
#include <string>

#include "yoloq/pipeline/quantize.hpp"

namespace yoloq {

std::string summary_text(const QuantizeResult& result);
nlohmann::json to_json(const QuantizeResult& result, const QuantizeOptions& options);
std::string markdown_report(const QuantizeResult& result, const QuantizeOptions& options);
std::string html_report(const QuantizeResult& result, const QuantizeOptions& options);

}  // namespace yoloq
