#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validates the Flatpak manifest without building it (CI is offline).

Checks: the file is JSON; the app id matches the project's; the GNOME
runtime and SDK (44 or newer, for GTK >= 4.8 and libadwaita >= 1.2); the
command; the modules (oneDNN first, the application last, built with meson
from the checkout); every source is pinned (git: tag and commit, or a tag
with a "//" comment saying why the commit is missing; archive: sha256);
and least privilege: only the permissions in ALLOWED (a display, IPC and
the network the Line page's station needs for cameras, brokers, webhooks
and PLCs), no file system, device or bus access.
Usage: check-flatpak.py MANIFEST APP_ID DNNL_VERSION
"""
import json
import os
import re
import sys

ALLOWED = {"--share=ipc", "--share=network", "--socket=wayland", "--socket=fallback-x11"}
REQUIRED = ALLOWED
# Permissions that must never appear, in finish-args or in build-args.
FORBIDDEN = re.compile(
    r"^--(filesystem=|device=|socket=(x11|session-bus|system-bus|pulseaudio|ssh-auth)"
    r"|talk-name=|system-talk-name=|own-name=|persist=|allow=)"
)

problems = []


def problem(text):
    problems.append(text)


def check_source_pinned(module, source):
    where = f"module {module['name']!r}"
    kind = source.get("type")
    if kind == "git":
        if "branch" in source:
            problem(f"{where}: git source follows a branch, not a tag")
        tag, commit = source.get("tag"), source.get("commit")
        if commit is not None:
            if not re.fullmatch(r"[0-9a-f]{40}", commit):
                problem(f"{where}: commit {commit!r} is not a 40-digit hash")
        elif not tag:
            problem(f"{where}: git source has neither tag nor commit")
        elif not any(k.startswith("//") and v for k, v in source.items()):
            problem(f"{where}: git source has a tag but no commit, and no // comment saying why")
    elif kind in ("archive", "file"):
        if not re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")):
            problem(f"{where}: {kind} source without a sha256")
    elif kind == "dir":
        pass  # the checkout itself
    else:
        problem(f"{where}: unexpected source type {kind!r}")


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, app_id, dnnl_version = argv[1:]
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not valid JSON: {e}", file=sys.stderr)
        return 1

    if "app-id" in manifest:
        problem('use "id", not the deprecated "app-id"')
    if manifest.get("id") != app_id:
        problem(f"id is {manifest.get('id')!r}, the project's app id is {app_id!r}")
    if os.path.basename(path) != app_id + ".json":
        problem(f"the manifest should be named {app_id}.json")
    if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
        problem("runtime and sdk must be org.gnome.Platform and org.gnome.Sdk")
    version = str(manifest.get("runtime-version", ""))
    if not (version.isdigit() and int(version) >= 44):
        problem(f"runtime-version {version!r}: GNOME 44 or newer is needed (GTK 4.8, libadwaita 1.2)")
    if manifest.get("command") != "dinomaly-studio":
        problem(f"command is {manifest.get('command')!r}, not dinomaly-studio")

    args = manifest.get("finish-args", [])
    for arg in args:
        if arg not in ALLOWED:
            problem(f"finish-args: {arg} is more than the application needs")
        if FORBIDDEN.match(arg):
            problem(f"finish-args: {arg} is forbidden (files go through the portals; CPU only)")
    for arg in sorted(REQUIRED - set(args)):
        problem(f"finish-args: {arg} is missing")

    modules = manifest.get("modules", [])
    names = [m.get("name") if isinstance(m, dict) else m for m in modules]
    if not names or names[0] != "dnnl":
        problem(f"modules {names}: oneDNN (dnnl) must be built first")
    if not names or names[-1] != "dinomaly-studio":
        problem(f"modules {names}: the application (dinomaly-studio) must be last")
    for module in modules:
        if not isinstance(module, dict):
            problem(f"module {module!r}: keep modules inline so they can be checked")
            continue
        for arg in module.get("build-options", {}).get("build-args", []):
            if FORBIDDEN.match(arg):
                problem(f"module {module['name']!r}: build-args {arg} is forbidden")
        sources = module.get("sources", [])
        if not sources:
            problem(f"module {module['name']!r} has no sources")
        for source in sources:
            check_source_pinned(module, source)

    if names and names[0] == "dnnl":
        dnnl = modules[0]
        if dnnl.get("buildsystem") not in ("cmake", "cmake-ninja"):
            problem("dnnl: oneDNN builds with cmake")
        opts = dnnl.get("config-opts", [])
        for opt in ("-DDNNL_CPU_RUNTIME=OMP", "-DDNNL_GPU_RUNTIME=NONE", "-DDNNL_BUILD_TESTS=OFF"):
            if opt not in opts:
                problem(f"dnnl: config-opts lacks {opt}")
        for source in dnnl.get("sources", []):
            pinned = source.get("tag") or source.get("url", "")
            if dnnl_version not in pinned:
                problem(f"dnnl: source {pinned!r} is not oneDNN {dnnl_version}, the version the engine targets")

    if names and names[-1] == "dinomaly-studio":
        app = modules[-1]
        if app.get("buildsystem") != "meson":
            problem("dinomaly-studio: must build with meson")
        dirs = [s for s in app.get("sources", []) if s.get("type") == "dir"]
        if len(dirs) != 1:
            problem("dinomaly-studio: must build from the checkout (one dir source)")
        else:
            root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), dirs[0].get("path", "")))
            if not os.path.isfile(os.path.join(root, "meson.build")):
                problem(f"dinomaly-studio: dir source {dirs[0].get('path')!r} is not the project root")

    for text in problems:
        print(f"{path}: {text}", file=sys.stderr)
    if not problems:
        print(f"{path}: {app_id}, {manifest['runtime']}//{version}, modules {names}, finish-args {args}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
