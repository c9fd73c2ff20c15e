#include "yoloq/support/html.hpp"

#include <sstream>
#include <string_view>
#include <vector>

namespace yoloq {

namespace {

std::string inline_html(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '`') {
      if (const auto end = text.find('`', i + 1); end != std::string_view::npos) {
        out += "<code>" + html_escape(std::string(text.substr(i + 1, end - i - 1))) + "</code>";
        i = end + 1;
        continue;
      }
    } else if (text.substr(i, 2) == "**") {
      if (const auto end = text.find("**", i + 2); end != std::string_view::npos) {
        out += "<strong>" + inline_html(text.substr(i + 2, end - i - 2)) + "</strong>";
        i = end + 2;
        continue;
      }
    }
    out += html_escape(std::string(1, text[i]));
    ++i;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

// "| a | b |" -> {"a", "b"}
std::vector<std::string_view> table_cells(std::string_view row) {
  row = trim(row);
  if (!row.empty() && row.front() == '|') row.remove_prefix(1);
  if (!row.empty() && row.back() == '|') row.remove_suffix(1);
  std::vector<std::string_view> cells;
  for (std::size_t start = 0;;) {
    const auto bar = row.find('|', start);
    cells.push_back(trim(row.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start)));
    if (bar == std::string_view::npos) return cells;
    start = bar + 1;
  }
}

// The row under a table's header: every cell "---", ":---", "---:" or ":---:".
bool is_alignment_row(const std::vector<std::string_view>& cells) {
  for (auto cell : cells) {
    if (!cell.empty() && cell.front() == ':') cell.remove_prefix(1);
    if (!cell.empty() && cell.back() == ':') cell.remove_suffix(1);
    if (cell.empty() || cell.find_first_not_of('-') != std::string_view::npos) return false;
  }
  return !cells.empty();
}

void write_row(std::ostringstream& html, const std::vector<std::string_view>& cells, const char* tag,
               const std::vector<bool>& right_aligned) {
  html << "<tr>";
  for (std::size_t i = 0; i < cells.size(); ++i)
    html << "<" << tag << (i < right_aligned.size() && right_aligned[i] ? " class=\"r\"" : "") << ">"
         << inline_html(cells[i]) << "</" << tag << ">";
  html << "</tr>\n";
}

void write_table(std::ostringstream& html, const std::vector<std::string_view>& rows) {
  std::vector<bool> right_aligned;
  std::size_t body = 0;
  html << "<table>\n";
  if (rows.size() >= 2 && is_alignment_row(table_cells(rows[1]))) {
    for (auto cell : table_cells(rows[1])) right_aligned.push_back(cell.back() == ':');
    html << "<thead>\n";
    write_row(html, table_cells(rows[0]), "th", right_aligned);
    html << "</thead>\n";
    body = 2;
  }
  html << "<tbody>\n";
  for (std::size_t i = body; i < rows.size(); ++i) write_row(html, table_cells(rows[i]), "td", right_aligned);
  html << "</tbody>\n</table>\n";
}

int heading_level(std::string_view line) {
  const auto hashes = line.find_first_not_of('#');
  if (hashes == 0 || hashes > 6 || hashes == std::string_view::npos || line[hashes] != ' ') return 0;
  return static_cast<int>(hashes);
}

bool is_list_item(std::string_view line) { return line.substr(0, 2) == "- "; }
bool is_table_row(std::string_view line) { return !line.empty() && line.front() == '|'; }

}  // namespace

std::string markdown_to_html(const std::string& markdown) {
  std::vector<std::string_view> lines;
  const std::string_view text(markdown);
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::ostringstream html;
  std::size_t i = 0;
  // Consecutive lines for which `belongs` holds, from line i on.
  auto take = [&](bool (*belongs)(std::string_view)) {
    std::vector<std::string_view> block;
    while (i < lines.size() && belongs(lines[i])) block.push_back(lines[i++]);
    return block;
  };
  while (i < lines.size()) {
    const std::string_view line = lines[i];
    if (trim(line).empty()) {
      ++i;
    } else if (const int level = heading_level(line)) {
      html << "<h" << level << ">" << inline_html(trim(line.substr(static_cast<std::size_t>(level)))) << "</h"
           << level << ">\n";
      ++i;
    } else if (is_table_row(line)) {
      write_table(html, take(is_table_row));
    } else if (is_list_item(line)) {
      html << "<ul>\n";
      for (auto item : take(is_list_item)) html << "<li>" << inline_html(item.substr(2)) << "</li>\n";
      html << "</ul>\n";
    } else {
      const auto paragraph = take([](std::string_view l) {
        return !trim(l).empty() && !heading_level(l) && !is_table_row(l) && !is_list_item(l);
      });
      html << "<p>";
      for (std::size_t k = 0; k < paragraph.size(); ++k) html << (k ? "\n" : "") << inline_html(paragraph[k]);
      html << "</p>\n";
    }
  }
  return html.str();
}

std::string html_page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         html_escape(title) + "</title>\n<style>\n"
         "body { font-family: sans-serif; color: #222; max-width: 80em; margin: 1.5em auto; padding: 0 1em; }\n"
         "table { border-collapse: collapse; margin: 0.5em 0 1.5em; }\n"
         "th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top;"
         " overflow-wrap: anywhere; }\n"
         "th { background: #f2f2f2; }\n"
         "th.r, td.r { text-align: right; font-variant-numeric: tabular-nums; }\n"
         "code { background: #f4f4f4; padding: 0 0.2em; }\n"
         ".verdict { font-size: 1.15em; padding: 0.5em 0.8em; border-left: 0.4em solid #888; }\n"
         ".verdict.pass { border-color: #2a2; background: #efe; }\n"
         ".verdict.warn { border-color: #e90; background: #ffe; }\n"
         ".verdict.fail { border-color: #c22; background: #fee; }\n"
         ".histograms { display: flex; flex-wrap: wrap; gap: 1em; }\n"
         ".histograms svg { border: 1px solid #ddd; }\n"
         "</style>\n</head>\n<body>\n" +
         body + "</body>\n</html>\n";
}

}  // namespace yoloq
