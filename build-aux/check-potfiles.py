#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks po/POTFILES.in against the sources (the meson test "potfiles").

Fails when a C or .ui file under the scanned folders marks strings for
translation (_(), N_(), C_(), NC_(), Q_(), ngettext(), translatable="yes")
but is missing from POTFILES.in, when a desktop file, metainfo or GSettings
schema under resources/ is missing, or when POTFILES.in lists a file that
does not exist. Usage: check-potfiles.py SOURCE_ROOT
"""
import os
import re
import sys

# Folders whose C and .ui files hold user-visible strings. backend/report/
# writes reports that users read; the rest of the backend only has error
# messages, which stay in English.
SCANNED_DIRS = ("app", "ui", "resources", "backend/report")

C_MARK = re.compile(r"(?<![\w])(?:_|N_|C_|NC_|Q_|ngettext)\s*\(")
UI_MARK = re.compile(r"""translatable\s*=\s*["'](?:yes|true|1)["']""", re.IGNORECASE)
# Comments and literals are removed before looking for C marks, so that
# "_(" in a comment or a string does not count.
C_NOISE = re.compile(
    r"""/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""", re.DOTALL
)
ALWAYS_TRANSLATABLE = (".desktop.in", ".metainfo.xml.in", ".gschema.xml")


def read_potfiles(root):
    listed = []
    with open(os.path.join(root, "po", "POTFILES.in"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            # Entries may carry a "[type: gettext/glade]" prefix.
            line = re.sub(r"^\[[^]]*\]\s*", "", line)
            listed.append(line)
    return listed


def has_marks(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if path.endswith((".c", ".h")):
        code = C_NOISE.sub(lambda m: '""' if m.group(0)[0] in "\"'" else " ", text)
        return C_MARK.search(code) is not None
    if path.endswith(".ui"):
        return UI_MARK.search(text) is not None
    return path.endswith(ALWAYS_TRANSLATABLE)


def files_with_marks(root):
    found = []
    for top in SCANNED_DIRS:
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith((".c", ".h", ".ui") + ALWAYS_TRANSLATABLE):
                    continue
                path = os.path.join(dirpath, name)
                if has_marks(path):
                    found.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return found


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    listed = read_potfiles(root)
    problems = []
    for entry in listed:
        if not os.path.isfile(os.path.join(root, entry)):
            problems.append(f"po/POTFILES.in lists {entry}, which does not exist")
    listed_set = set(listed)
    for path in files_with_marks(root):
        if path not in listed_set:
            problems.append(f"{path} has translatable strings but is missing from po/POTFILES.in")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Add or remove the lines in po/POTFILES.in (keep it sorted).", file=sys.stderr)
        return 1
    print(f"po/POTFILES.in: {len(listed)} files, all present, none missing")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
