#!/usr/bin/env python3
"""Checks that every #include between folders of src/ (and of include/yoloq/) follows the module
dependencies CMakeLists.txt declares (written to the build's module-deps.txt): a module may include
its own headers and those of the modules it links, directly or through them, and nothing else.
Usage: check_includes.py SOURCE_DIR MODULE_DEPS_FILE. Prints one line per violation; exit 1 if any."""
import pathlib
import re
import sys

source_dir, deps_file = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
direct = {}
for line in deps_file.read_text().splitlines():
    if ":" in line:
        name, deps = line.split(":", 1)
        direct[name.strip()] = deps.split()


def reachable(module):
    seen, todo = set(), list(direct.get(module, []))
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(direct.get(m, []))
    return seen | {module}


include = re.compile(r'#include "(?:yoloq/)?([a-z_]+)/')
violations = []
for root, module_of in ((source_dir / "src", lambda p: p.parts[0]),
                        (source_dir / "include" / "yoloq", lambda p: p.parts[0])):
    for path in sorted(root.rglob("*.[ch]pp")):
        module = module_of(path.relative_to(root))
        if module not in direct:
            violations.append(f"{path}: folder '{module}' is not a module of CMakeLists.txt")
            continue
        allowed = reachable(module)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = include.match(line)
            if m and m.group(1) not in allowed:
                violations.append(f"{path}:{number}: module '{module}' includes '{m.group(1)}', "
                                  f"which it does not link (it links: {' '.join(sorted(allowed - {module}))})")
for v in violations:
    print(v)
print(f"{len(violations)} include(s) against the module dependencies")
sys.exit(1 if violations else 0)
