#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that every catalogue is complete for the current sources (the meson
test "po-current").

The checked-in catalogues can be complete while the sources have moved on: a
string added or changed since the last `meson compile dinomaly-studio-update-po`
is in no .po file yet. This extracts a fresh template from the files of
po/POTFILES.in into a temporary folder (the tree is not touched), merges it
into a copy of every catalogue of po/LINGUAS as the update-po target would,
and fails when a merged copy has untranslated or fuzzy messages or does not
pass `msgfmt --check`. It names each such message.
Usage: check-po-current.py SOURCE_ROOT [XGETTEXT_ARG...]
(the extra arguments are those po/meson.build gives i18n.gettext)
"""
import os
import subprocess
import sys
import tempfile

# Meson's 'glib' preset for i18n.gettext (mesonbuild/modules/i18n.py), which
# po/meson.build uses; the arguments po/meson.build adds come on the command
# line.
GLIB_PRESET = [
    "--from-code=UTF-8",
    "--add-comments",
    "--keyword=_",
    "--keyword=N_",
    "--keyword=C_:1c,2",
    "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2",
    "--keyword=g_dngettext:2,3",
    "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format",
    "--flag=C_:2:pass-c-format",
    "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format",
    "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format",
    "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format",
    "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format",
    "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format",
    "--flag=g_printerr:1:c-format",
    "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format",
    "--flag=g_sprintf:2:c-format",
    "--flag=g_snprintf:3:c-format",
]


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def msgids(path, *selection):
    """The msgids msgattrib selects (e.g. --untranslated), one line each."""
    result = run(["msgattrib", *selection, "--no-obsolete", "--no-wrap", path])
    names = []
    for line in result.stdout.split("\n"):
        if line.startswith('msgid "') and line != 'msgid ""':
            names.append(line[len("msgid ") :])
    return names


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    extra = argv[2:]
    podir = os.path.join(root, "po")
    with open(os.path.join(podir, "LINGUAS"), encoding="utf-8") as f:
        languages = [w for line in f if not line.startswith("#") for w in line.split()]

    problems = []
    with tempfile.TemporaryDirectory(prefix="dm-po-current-") as tmp:
        pot = os.path.join(tmp, "dinomaly-studio.pot")
        result = run(
            ["xgettext", "--package-name=dinomaly-studio", "-D", root,
             "--files-from=" + os.path.join(podir, "POTFILES.in"), "-o", pot]
            + GLIB_PRESET + extra
        )
        if result.returncode != 0 or not os.path.isfile(pot):
            print(result.stderr, file=sys.stderr)
            print("xgettext could not extract the template", file=sys.stderr)
            return 1
        for lang in languages:
            merged = os.path.join(tmp, lang + ".po")
            result = run(["msgmerge", "--quiet", "-o", merged,
                          os.path.join(podir, lang + ".po"), pot])
            if result.returncode != 0:
                problems.append(f"{lang}: msgmerge failed: {result.stderr.strip()}")
                continue
            result = run(["msgfmt", "--check", "--check-accelerators=_", "--statistics",
                          "-o", os.devnull, merged])
            stats = (result.stdout + result.stderr).strip()
            print(f"po/{lang}.po against the current sources: {stats}")
            if result.returncode != 0:
                problems.append(f"{lang}: msgfmt --check fails on the merged catalogue")
            for name in msgids(merged, "--untranslated"):
                problems.append(f"{lang}: untranslated: {name}")
            for name in msgids(merged, "--only-fuzzy"):
                problems.append(f"{lang}: fuzzy (changed in the sources): {name}")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Run `meson compile -C build dinomaly-studio-update-po`, translate the "
              "messages above and remove their fuzzy flags.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
