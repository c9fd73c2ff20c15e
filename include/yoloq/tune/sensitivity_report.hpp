#pragma once
// How a sensitivity analysis is shown: a terminal table, JSON, and a Markdown report with a bar
// chart (SVG) of what returning each measured op to float recovers, also as a self-contained HTML
// page.
#include <nlohmann/json.hpp>
#include <string>

#include "yoloq/tune/sensitivity.hpp"

namespace yoloq {

// The `rows` most sensitive ops (0 = all), one line each.
std::string sensitivity_table(const SensitivityResult& result, std::size_t rows);
nlohmann::json to_json(const SensitivityResult& result);
// The measured ops as horizontal bars: the end metric with the op float, against the fully
// quantized model's and the float model's (a self-contained <svg> element).
std::string sensitivity_chart_svg(const SensitivityResult& result);
std::string sensitivity_markdown(const SensitivityResult& result);
// The Markdown and the chart as one self-contained page.
std::string sensitivity_html(const SensitivityResult& result);

}  // namespace yoloq
