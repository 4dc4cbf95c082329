#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints the meson options of a release build, one per line: the
config-opts of the Flatpak manifest's dinomaly-studio module. They live in
one place, so README command 1 (run-studio.sh), the packaged build and the
CI check of both configure exactly alike.
Usage: release-options.py [MANIFEST]
"""
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "flatpak", "org.dinomaly.Studio.json")
with open(path, encoding="utf-8") as f:
    manifest = json.load(f)
module = [m for m in manifest["modules"] if isinstance(m, dict) and m.get("name") == "dinomaly-studio"]
if len(module) != 1 or module[0].get("buildsystem") != "meson":
    sys.exit(f"{path}: no meson module named dinomaly-studio")
for opt in module[0].get("config-opts", []):
    print(opt)
