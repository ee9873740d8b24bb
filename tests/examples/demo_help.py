#!/usr/bin/env python3
# Checks that `scripts/demo.sh --help` (and -h) prints its help at once:
# exit 0, a usage text, no apt-get, dpkg-query, sudo, meson or ninja run
# (each is replaced by a stub that logs its call) and no build directory
# made or touched. Without a build the script prints its own text, which
# must name the same options as fdpass-hls-demo --help; with one it runs
# the demo's own --help.
#
# usage: demo_help.py SOURCE_ROOT HLS_DEMO_BINARY

import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import check, finish

source_root, demo_binary = sys.argv[1], sys.argv[2]


def options(text):
    """The long and short options a help text lists (one per line)."""
    found = set()
    for line in text.splitlines():
        m = re.match(r"\s+(?:(-[a-zA-Z]), )?(--[a-z][a-z-]*)", line)
        if m:
            found.update(o for o in m.groups() if o)
    return found - {"--help-all", "--help-gst"}


tmp = tempfile.TemporaryDirectory()
stubs = os.path.join(tmp.name, "stubs")
log = os.path.join(tmp.name, "calls.log")
os.mkdir(stubs)
for tool in ("apt-get", "dpkg-query", "sudo", "meson", "ninja"):
    path = os.path.join(stubs, tool)
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho %s \"$@\" >> %s\nexit 1\n" % (tool, log))
    os.chmod(path, 0o755)
env = dict(os.environ, PATH=stubs + ":" + os.environ["PATH"])


def run_help(root, arg):
    return subprocess.run(["sh", os.path.join(root, "scripts", "demo.sh"),
                           arg], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def calls():
    if not os.path.exists(log):
        return ""
    with open(log) as f:
        return f.read()


demo_options = options(subprocess.run(
    [demo_binary, "--help"], stdout=subprocess.PIPE, text=True,
    timeout=60).stdout)
check("demo options", len(demo_options) > 10,
      "fdpass-hls-demo --help lists %u options" % len(demo_options))

# a copy of the script in a tree without a build
bare = os.path.join(tmp.name, "tree")
os.makedirs(os.path.join(bare, "scripts"))
shutil.copy(os.path.join(source_root, "scripts", "demo.sh"),
            os.path.join(bare, "scripts"))
for arg in ("--help", "-h"):
    proc = run_help(bare, arg)
    check("no build %s" % arg, proc.returncode == 0
          and proc.stdout.startswith("Usage: ./scripts/demo.sh")
          and calls() == "" and os.listdir(bare) == ["scripts"],
          "exit %d, its own usage, no tool run (%r), no build directory"
          % (proc.returncode, calls()))
    check("no build %s options" % arg, options(proc.stdout) == demo_options,
          "the script names the options of fdpass-hls-demo (only in the "
          "script: %s; only in the demo: %s)"
          % (sorted(options(proc.stdout) - demo_options),
             sorted(demo_options - options(proc.stdout))))

# the script in the source tree, whose build/ may hold the demo
ninja_file = os.path.join(source_root, "build", "build.ninja")
before = os.stat(ninja_file).st_mtime_ns if os.path.exists(ninja_file) \
    else None
built = os.access(os.path.join(source_root, "build", "examples", "hls-demo",
                               "fdpass-hls-demo"), os.X_OK)
for arg in ("--help", "-h"):
    proc = run_help(source_root, arg)
    after = os.stat(ninja_file).st_mtime_ns if os.path.exists(ninja_file) \
        else None
    check("source tree %s" % arg, proc.returncode == 0
          and "Usage:" in proc.stdout and calls() == "" and before == after
          and (not built or "fdpass-hls-demo [OPTION" in proc.stdout),
          "exit %d, %s help, no tool run, build/build.ninja untouched"
          % (proc.returncode, "the demo's" if built else "the script's"))

finish()
