#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks one translation catalogue (the meson tests "po-<lang>").

The catalogue must compile with `msgfmt --check` without a warning (format
strings, headers, mnemonics), have every message translated and none fuzzy, and keep the
trailing ";" of desktop-file lists. Given the merged desktop file and
metainfo, checks that both carry the language.
Usage: check-po.py LANG.po [MERGED.desktop MERGED.metainfo.xml]
"""
import os
import re
import subprocess
import sys


def parse_po(path):
    """Returns [(flags, msgctxt, msgid, msgstr)] with the header included."""
    entries = []
    flags, fields, key = [], {}, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")

    def flush():
        nonlocal flags, fields, key
        if "msgid" in fields:
            forms = [v for k, v in sorted(fields.items()) if k.startswith("msgstr[")]
            # A plural message is translated when every one of its forms is.
            msgstr = fields.get("msgstr", "") if not forms else ("" if "" in forms else forms[0])
            entries.append((flags, fields.get("msgctxt"), fields["msgid"], msgstr))
        flags, fields, key = [], {}, None

    for line in lines + [""]:
        if not line.strip():
            flush()
        elif line.startswith("#,"):
            flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        else:
            # msgid_plural and msgstr[N] of plural messages count too.
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif line.startswith('"') and key is not None:
                fields[key] += line[1:-1]
    return entries


def main(argv):
    if len(argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        return 2
    po = argv[1]
    lang = os.path.basename(po)[: -len(".po")]
    problems = []

    result = subprocess.run(
        ["msgfmt", "--check", "--check-accelerators=_", "--statistics", "-o", os.devnull, po],
        capture_output=True, text=True,
    )
    stats = (result.stdout + result.stderr).strip()
    print(f"{po}: {stats}")
    if result.returncode != 0:
        problems.append("msgfmt --check failed")
    if "warning" in stats:
        problems.append("msgfmt warns (see above)")
    if "fuzzy" in stats or "untranslated" in stats:
        problems.append("not every message is translated (or some are fuzzy)")

    entries = parse_po(po)
    messages = [e for e in entries if e[2] != ""]
    if not messages:
        problems.append("the catalogue has no messages")
    for flags, ctxt, msgid, msgstr in entries:
        name = msgid[:60] if msgid else "the header"
        if "fuzzy" in flags:
            problems.append(f"fuzzy entry: {name!r}")
        if msgid and not msgstr:
            problems.append(f"untranslated: {name!r}")
        if msgid.endswith(";") and msgstr and not msgstr.endswith(";"):
            problems.append(f"list must end with ';' as the original does: {name!r}")

    if len(argv) == 4:
        with open(argv[2], encoding="utf-8") as f:
            desktop = f.read()
        with open(argv[3], encoding="utf-8") as f:
            metainfo = f.read()
        for key in ("Comment", "GenericName", "Keywords"):
            if f"\n{key}[{lang}]=" not in desktop:
                problems.append(f"{argv[2]} has no {key}[{lang}]")
        if f'xml:lang="{lang}"' not in metainfo:
            problems.append(f"{argv[3]} has nothing in {lang}")

    for problem in problems:
        print(f"{po}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
