#!/usr/bin/env python3
"""Checks that an HTML report is well formed and self-contained: every element is closed in order,
it draws at least one SVG, and it refers to nothing outside itself (no scripts, style sheets,
images, frames or links; the SVG namespace name is a name, not a reference).
Usage: check_report_html.py FILE. Prints one line per problem; exit 1 if any."""
import html.parser
import pathlib
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FETCHING = {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source", "base"}
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.problems, self.tags = [], [], set()

    def where(self):
        return f"line {self.getpos()[0]}"

    def check_element(self, tag, attrs):
        self.tags.add(tag)
        if tag in FETCHING:
            self.problems.append(f"{self.where()}: <{tag}> (a report must not load anything)")
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data"):
                self.problems.append(f"{self.where()}: <{tag} {name}=...> refers to another resource")

    def handle_starttag(self, tag, attrs):
        self.check_element(tag, attrs)
        if tag not in VOID:
            self.open.append((tag, self.where()))

    def handle_startendtag(self, tag, attrs):  # <line .../>: opened and closed at once
        self.check_element(tag, attrs)

    def handle_endtag(self, tag):
        if not self.open:
            self.problems.append(f"{self.where()}: </{tag}> closes nothing")
        elif self.open[-1][0] != tag:
            self.problems.append(f"{self.where()}: </{tag}> closes <{self.open[-1][0]}> opened at {self.open[-1][1]}")
        else:
            self.open.pop()


text = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
checker = Checker()
checker.feed(text)
checker.close()
problems = checker.problems
problems += [f"<{tag}> opened at {where} is never closed" for tag, where in checker.open]
if not text.startswith("<!DOCTYPE html>"):
    problems.append("no <!DOCTYPE html> first")
for required in ("html", "head", "title", "style", "body", "svg"):
    if required not in checker.tags:
        problems.append(f"no <{required}>")
outside = text.replace(SVG_NAMESPACE, "")
for reference in ("http://", "https://", "src=", "url(", "@import"):
    if reference in outside:
        problems.append(f"refers to something outside the file: {reference!r}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
