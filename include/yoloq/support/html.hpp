#pragma once
// Reports as HTML: text escaped for HTML or SVG, the Markdown the reports write turned into HTML,
// and a page that needs nothing else (the style sheet is inline; no scripts, fonts or images are
// fetched), so it opens offline.
#include <string>

namespace yoloq {

// & < > " ' as entities: names, paths and command lines in a report may hold any character.
inline std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
}

// The Markdown that the reports write: headings (#), paragraphs, "- " lists, pipe tables (the row
// after the header says "---:" for a right-aligned column), **bold** and `code`. Everything is
// escaped, and markup without its closing half stays text, so the HTML is always well formed.
std::string markdown_to_html(const std::string& markdown);

// A complete page around `body` (HTML), with its own style sheet.
std::string html_page(const std::string& title, const std::string& body);

}  // namespace yoloq
