#!/usr/bin/env python3
# Checks `meson devenv -C BUILDDIR`: it puts the build's plugin first in
# GST_PLUGIN_PATH and the library on LD_LIBRARY_PATH (and, when the typelib
# is built, on GI_TYPELIB_PATH), gst-inspect-1.0 finds fdpay from there with
# nothing set beforehand, and Python finds GstFdPass through GI.
#
# usage: devenv.py BUILDDIR TYPELIB_BUILT(yes|no)
# Exits 77 (skipped) when meson is not in PATH.

import os
import shutil
import subprocess
import sys
import tempfile

from checks import check, finish

builddir, typelib_built = os.path.abspath(sys.argv[1]), sys.argv[2] == "yes"
meson = shutil.which("meson")
if meson is None:
    print("meson is not in PATH: skipped")
    sys.exit(77)



tmp = tempfile.TemporaryDirectory()
# what the user has before `meson devenv`: none of our variables, another
# plugin directory already in GST_PLUGIN_PATH, a registry of its own
env = {k: v for k, v in os.environ.items()
       if k not in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0",
                    "LD_LIBRARY_PATH", "GI_TYPELIB_PATH", "GST_REGISTRY",
                    "GST_REGISTRY_1_0")}
env["GST_PLUGIN_PATH"] = "/nonexistent/plugins"
env["GST_REGISTRY"] = os.path.join(tmp.name, "registry.bin")


def devenv(*cmd):
    return subprocess.run([meson, "devenv", "-C", builddir] + list(cmd),
                          env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


proc = devenv("env")
values = dict(line.split("=", 1) for line in proc.stdout.splitlines()
              if "=" in line)
plugin_dir = os.path.join(builddir, "gst", "fdpass")
lib_dir = os.path.join(builddir, "gst-libs", "gst", "fdpass")
paths = values.get("GST_PLUGIN_PATH", "").split(":")
check("GST_PLUGIN_PATH", proc.returncode == 0 and paths[:1] == [plugin_dir]
      and "/nonexistent/plugins" in paths,
      "%r starts with the build's plugin directory and keeps the user's"
      % values.get("GST_PLUGIN_PATH"))
check("LD_LIBRARY_PATH",
      lib_dir in values.get("LD_LIBRARY_PATH", "").split(":"),
      "%r holds the library's directory" % values.get("LD_LIBRARY_PATH"))
if typelib_built:
    check("GI_TYPELIB_PATH",
          lib_dir in values.get("GI_TYPELIB_PATH", "").split(":")
          and os.path.exists(os.path.join(lib_dir, "GstFdPass-1.0.typelib")),
          "%r holds GstFdPass-1.0.typelib" % values.get("GI_TYPELIB_PATH"))

proc = devenv("gst-inspect-1.0", "fdpay")
check("gst-inspect-1.0 fdpay", proc.returncode == 0
      and "Factory Details" in proc.stdout
      and os.path.join(plugin_dir, "libgstfdpass.so") in proc.stdout,
      "exit %d, fdpay found in %s" % (proc.returncode, plugin_dir))

# the same command without devenv does not find it: what the test shows is
# devenv's doing
proc = subprocess.run(["gst-inspect-1.0", "fdpay"], env=env,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True, timeout=120)
check("without devenv", proc.returncode != 0,
      "gst-inspect-1.0 fdpay fails outside it (exit %d)" % proc.returncode)

GI_SCRIPT = """
import gi, os
gi.require_version("Gst", "1.0")
gi.require_version("GstAllocators", "1.0")
gi.require_version("GstFdPass", "1.0")
from gi.repository import Gst, GstAllocators, GstFdPass
Gst.init(None)
allocator = GstFdPass.TmpFileAllocator.new()
# Gst.Allocator.alloc: GI resolves allocator.alloc to GstFdAllocator's
mem = Gst.Allocator.alloc(allocator, 4096, None)
fd = GstAllocators.fd_memory_get_fd(mem)
ok, info = GstFdPass.fdpass_message_new_eos().map(Gst.MapFlags.READ)
print(GstFdPass.is_tmp_file_memory(mem), os.fstat(fd).st_size,
      os.readlink("/proc/self/fd/%d" % fd).startswith("/memfd:"),
      bytes(info.data).hex())
"""
try:
    import gi  # noqa: F401
    has_gi = True
except ImportError:
    has_gi = False
if typelib_built and has_gi:
    proc = devenv(sys.executable, "-c", GI_SCRIPT)
    check("GI GstFdPass", proc.returncode == 0 and proc.stdout.split() == [
        "True", "4096", "True", "46445053040000000000000000000000"],
          "from gi.repository import GstFdPass: a GstTmpFileAllocator memfd "
          "of 4096 bytes and an EOS message (%r %r)"
          % (proc.stdout.strip(), proc.stderr.strip()[-300:]))
else:
    print("skipped: GI: %s" % ("no python3-gi" if typelib_built else
                               "the typelib is not built (no g-ir-scanner)"))

finish()
