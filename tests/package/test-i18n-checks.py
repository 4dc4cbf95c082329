#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the two i18n checkers in build-aux/: they must fail on the
mistakes they exist to catch, not only pass on the real tree.
Usage: test-i18n-checks.py SOURCE_ROOT"""
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
check_potfiles = os.path.join(root, "build-aux", "check-potfiles.py")
check_po = os.path.join(root, "build-aux", "check-po.py")
failures = 0


def write(base, path, text):
    full = os.path.join(base, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


def expect(name, args, want_ok):
    global failures
    result = subprocess.run([sys.executable] + args, capture_output=True, text=True)
    ok = result.returncode == 0
    status = "ok" if ok == want_ok else "not ok"
    print(f"{status} - {name}")
    if ok != want_ok:
        failures += 1
        print("# " + (result.stdout + result.stderr).replace("\n", "\n# "))


with tempfile.TemporaryDirectory() as tree:
    write(tree, "app/dm-a.c", 'x = _ ("Hello");\n')
    write(tree, "app/dm-b.c", '/* _("in a comment") */ g_print ("_(not a mark)");\n')
    write(tree, "ui/dm-w.ui", '<property name="label" translatable="yes">Hi</property>\n')
    write(tree, "po/POTFILES.in", "# comment\napp/dm-a.c\nui/dm-w.ui\n")
    expect("potfiles: complete list passes", [check_potfiles, tree], True)

    write(tree, "backend/report/dm-report.c", 'title = C_ ("report", "Metrics");\n')
    expect("potfiles: marked file missing from the list fails", [check_potfiles, tree], False)
    write(tree, "po/POTFILES.in", "app/dm-a.c\nbackend/report/dm-report.c\nui/dm-w.ui\n")
    expect("potfiles: list with backend/report passes", [check_potfiles, tree], True)

    write(tree, "po/POTFILES.in", "app/dm-a.c\napp/gone.c\nbackend/report/dm-report.c\nui/dm-w.ui\n")
    expect("potfiles: listed file that does not exist fails", [check_potfiles, tree], False)

    write(tree, "po/POTFILES.in", "app/dm-a.c\nbackend/report/dm-report.c\n")
    expect("potfiles: .ui file missing from the list fails", [check_potfiles, tree], False)

    header = "".join(
        ['msgid ""\nmsgstr ""\n']
        + [f'"{field}\\n"\n' for field in (
            "Project-Id-Version: test", "PO-Revision-Date: 2026-01-01 00:00+0000",
            "Last-Translator: Test", "Language-Team: German", "Language: de",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit", "Plural-Forms: nplurals=2; plural=(n != 1);")]
        + ["\n"])
    write(tree, "de.po", header + 'msgid "_Quit"\nmsgstr "_Beenden"\n')
    expect("po: complete catalogue passes", [check_po, os.path.join(tree, "de.po")], True)
    write(tree, "de.po", header.replace('"Last-Translator: Test\\n"\n', "") + 'msgid "a"\nmsgstr "b"\n')
    expect("po: header field missing fails", [check_po, os.path.join(tree, "de.po")], False)
    write(tree, "de.po", header + 'msgid "_Quit"\nmsgstr ""\n')
    expect("po: untranslated message fails", [check_po, os.path.join(tree, "de.po")], False)
    write(tree, "de.po", header + '#, fuzzy\nmsgid "_Quit"\nmsgstr "_Beenden"\n')
    expect("po: fuzzy message fails", [check_po, os.path.join(tree, "de.po")], False)
    write(tree, "de.po", header + 'msgid "a;b;"\nmsgstr "a;b"\n')
    expect("po: keyword list without final ';' fails", [check_po, os.path.join(tree, "de.po")], False)
    write(tree, "de.po", header + '#, c-format\nmsgid "%d files"\nmsgstr "%s Dateien"\n')
    expect("po: wrong format directive fails", [check_po, os.path.join(tree, "de.po")], False)

sys.exit(1 if failures else 0)
