#!/usr/bin/python3
# GStreamer fd passing plugin
# Copyright (C) 2026 gst-fdpass contributors
#
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Library General Public
# License as published by the Free Software Foundation; either
# version 2 of the License, or (at your option) any later version.
"""Builds the Debian packages of debian/ and uses them without installing them.

Usage: deb_install.py SOURCE_DIR BUILD_DIR VERSION

A copy of SOURCE_DIR (the files git knows, or the tree without its build
directories) is built with `dpkg-buildpackage -us -uc -b` in a scratch
directory; the four packages are unpacked with `dpkg-deb -x` into a scratch
root, and then:

- gst-inspect-1.0, which sees no plugin but the unpacked one, loads fdpay,
  and the plugin's features, long names and version match those of the plugin
  in BUILD_DIR;
- the plugin resolves libgstfdpass-1.0.so.0 in the scratch root;
- the pkg-config file (relocated into the scratch root) gives flags with which
  a small C program, compiled against the unpacked headers and library,
  allocates a memfd through GstTmpFileAllocator;
- /usr/bin/python3 imports GstFdPass from the unpacked typelib (when
  python3-gi is installed).

Exits 77 (skipped) when dpkg-buildpackage, debhelper or a Build-Depends of
debian/control is missing. Nothing is written into SOURCE_DIR. The scratch
directory is removed on success and kept (its path printed) on failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

PACKAGES = (
    "gstreamer1.0-fdpass",
    "libgstfdpass-1.0-0",
    "libgstfdpass-1.0-dev",
    "gir1.2-gstfdpass-1.0",
)

ELEMENT = "fdpay"
PLUGIN = "fdpass"

TOOLS = ("dpkg-buildpackage", "dpkg-checkbuilddeps", "dpkg-architecture",
         "dpkg-deb", "dh", "gst-inspect-1.0", "pkg-config", "cc")

C_PROGRAM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <gst/fdpass/fdpass.h>

int
main (int argc, char **argv)
{
  GstAllocator *allocator;
  GstMemory *mem;
  GstMapInfo map;
  Dl_info info;

  gst_init (&argc, &argv);

  allocator = gst_tmp_file_allocator_new ();
  mem = gst_allocator_alloc (allocator, 4096, NULL);
  if (mem == NULL || !gst_is_tmp_file_memory (mem) || !gst_is_fd_memory (mem)
      || gst_fd_memory_get_fd (mem) < 0)
    return 2;
  if (!gst_memory_map (mem, &map, GST_MAP_WRITE) || map.size != 4096)
    return 3;
  memset (map.data, 0x5a, map.size);
  gst_memory_unmap (mem, &map);

  if (dladdr ((void *) gst_tmp_file_allocator_new, &info) == 0)
    return 4;
  g_print ("library %s\n", info.dli_fname);
  g_print ("memory %s\n", allocator->mem_type);

  gst_memory_unref (mem);
  gst_object_unref (allocator);
  return 0;
}
"""

PY_PROGRAM = r"""
import re
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstFdPass", "1.0")
from gi.repository import Gst, GstFdPass

Gst.init(None)
allocator = GstFdPass.TmpFileAllocator.new()
# GstFdAllocator.alloc (gst_fd_allocator_alloc) hides GstAllocator.alloc
mem = Gst.Allocator.alloc(allocator, 4096, None)
assert GstFdPass.is_tmp_file_memory(mem), "not a tmp file memory"
print("typelib", gi.Repository.get_default().get_typelib_path("GstFdPass"))
print("type", type(allocator).__name__)
with open("/proc/self/maps") as maps:
    for line in maps:
        # the mapped file: the soname's target, libgstfdpass-1.0.so.0.x.y
        if re.search(r"/libgstfdpass-1\.0\.so\.0[.0-9]*$", line):
            print("library", line.split()[-1])
            break
"""


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def run(cmd, env=None, cwd=None, log=None):
    """Runs cmd, returns its stdout; raises Failure with its output if it fails."""
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if log is not None:
        with open(log, "w") as f:
            f.write(proc.stdout)
    if proc.returncode != 0:
        tail = proc.stdout if log is None else \
            "\n".join(proc.stdout.splitlines()[-40:]) + \
            "\n(whole output in %s)" % log
        raise Failure("%s exited with %d:\n%s" %
                      (" ".join(cmd), proc.returncode, tail))
    return proc.stdout


def clean_env():
    """The environment without what points GStreamer, the loader, pkg-config
    or GI at the build tree or the system."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("GST_", "GI_", "PKG_CONFIG", "LD_")):
            del env[key]
    env["LC_ALL"] = "C"
    return env


def copy_source(src, dest):
    """Copies the files git knows (tracked, or untracked and not ignored), or
    the whole tree without build directories when src is not a git checkout."""
    try:
        top = subprocess.run(["git", "-C", src, "rev-parse", "--show-toplevel"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True)
    except FileNotFoundError:
        top = None
    if top is not None and top.returncode == 0 and \
            os.path.realpath(top.stdout.strip()) == os.path.realpath(src):
        listing = run(["git", "-C", src, "ls-files", "-z", "--cached",
                       "--others", "--exclude-standard"])
        for rel in listing.split("\0"):
            path = os.path.join(src, rel)
            # a file deleted in the work tree is still in the index
            if not rel or not os.path.lexists(path):
                continue
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(path, target, follow_symlinks=False)
        return

    top_dir = os.path.realpath(src)
    subprojects = os.path.join(top_dir, "subprojects")

    def ignore(directory, names):
        directory = os.path.realpath(directory)
        if directory == top_dir:
            # .git, build directories, dpkg-buildpackage's obj-<triplet>
            return {n for n in names
                    if n == ".git" or n.startswith(("build", "obj-"))}
        if directory == subprojects:
            # the checkouts of the wraps, not the .wrap files
            return {n for n in names
                    if os.path.isdir(os.path.join(directory, n))}
        return set()

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def inspect(args, env):
    return run(["gst-inspect-1.0"] + args, env=env)


def field(output, name):
    """The value of the first "name   value" line of gst-inspect output."""
    m = re.search(r"^\s*%s\s+(.*\S)\s*$" % re.escape(name), output, re.M)
    return m.group(1) if m else None


def plugin_env(base, plugin_dir, registry, ld_path=None):
    env = dict(base)
    for suffix in ("", "_1_0"):
        env["GST_PLUGIN_SYSTEM_PATH" + suffix] = plugin_dir
        env["GST_PLUGIN_PATH" + suffix] = plugin_dir
        env["GST_REGISTRY" + suffix] = registry
    if ld_path:
        env["LD_LIBRARY_PATH"] = ld_path
    return env


def under(path, root):
    path = os.path.realpath(path)
    root = os.path.realpath(root)
    return os.path.commonpath([path, root]) == root


def test_plugin(scratch, root, libdir, build_dir, version, base_env):
    plugin_dir = os.path.join(libdir, "gstreamer-1.0")
    plugin_file = os.path.join(plugin_dir, "libgst%s.so" % PLUGIN)
    check(os.path.isfile(plugin_file), "no %s in the plugin package" %
          plugin_file)

    env = plugin_env(base_env, plugin_dir,
                     os.path.join(scratch, "deb.registry"), libdir)

    out = inspect([ELEMENT], env)
    long_name = field(out, "Long-name")
    check(long_name, "gst-inspect-1.0 %s printed no Long-name:\n%s" %
          (ELEMENT, out))
    filename = field(out, "Filename")
    check(filename and os.path.samefile(filename, plugin_file),
          "%s was loaded from %r, not from %s" %
          (ELEMENT, filename, plugin_file))

    out = inspect([PLUGIN], env)
    filename = field(out, "Filename")
    check(filename and os.path.samefile(filename, plugin_file),
          "plugin %s was loaded from %r, not from %s" %
          (PLUGIN, filename, plugin_file))
    check(field(out, "Version") == version,
          "the packaged plugin has version %r, the project %r" %
          (field(out, "Version"), version))
    features = sorted(re.findall(r"^\s+(\w+): ", out, re.M))
    check(ELEMENT in features,
          "gst-inspect-1.0 %s does not list %s:\n%s" % (PLUGIN, ELEMENT, out))

    # the same plugin as the one the rest of the test suite runs
    built_dir = os.path.join(build_dir, "gst", "fdpass")
    built_env = plugin_env(base_env, built_dir,
                           os.path.join(scratch, "build.registry"))
    built = inspect([ELEMENT], built_env)
    check(field(built, "Long-name") == long_name,
          "packaged %s is %r, the built one %r" %
          (ELEMENT, long_name, field(built, "Long-name")))
    built_features = sorted(re.findall(r"^\s+(\w+): ",
                                       inspect([PLUGIN], built_env), re.M))
    check(features == built_features,
          "packaged plugin has features %s, the built one %s" %
          (features, built_features))

    # the plugin finds the library of the library package, with no RUNPATH
    # left over from the build tree
    if shutil.which("readelf"):
        dynamic = run(["readelf", "-d", plugin_file], env=base_env)
        check("RPATH" not in dynamic and "RUNPATH" not in dynamic,
              "the packaged plugin keeps a run path:\n%s" % dynamic)
    ldd = run(["ldd", plugin_file], env=dict(base_env, LD_LIBRARY_PATH=libdir))
    m = re.search(r"libgstfdpass-1\.0\.so\.0 => (\S+)", ldd)
    check(m and under(m.group(1), root),
          "the plugin does not resolve libgstfdpass-1.0.so.0 in %s:\n%s" %
          (root, ldd))

    print("plugin: %s (%s) from %s; features %s" %
          (ELEMENT, long_name, plugin_file, ", ".join(features)))


def test_dev(scratch, root, libdir, version, base_env):
    pc = os.path.join(libdir, "pkgconfig", "gstreamer-fdpass-1.0.pc")
    check(os.path.isfile(pc), "no %s in the -dev package" % pc)
    with open(pc) as f:
        text = f.read()
    check(re.search(r"^prefix=/usr$", text, re.M),
          "%s does not have prefix=/usr:\n%s" % (pc, text))

    # PKG_CONFIG_SYSROOT_DIR would also move the system's GStreamer and GLib
    # flags into the scratch root, and --define-prefix assumes lib/pkgconfig
    # (not lib/<multiarch>/pkgconfig): relocate this one file instead
    pcdir = os.path.join(scratch, "pkgconfig")
    os.makedirs(pcdir)
    with open(os.path.join(pcdir, os.path.basename(pc)), "w") as f:
        f.write(re.sub(r"^prefix=/usr$", "prefix=%s/usr" % root, text,
                       flags=re.M))
    env = dict(base_env, PKG_CONFIG_PATH=pcdir)
    modversion = run(["pkg-config", "--modversion", "gstreamer-fdpass-1.0"],
                     env=env).strip()
    check(modversion == version, "pkg-config --modversion gave %r, not %r" %
          (modversion, version))
    cflags = run(["pkg-config", "--cflags", "gstreamer-fdpass-1.0"],
                 env=env).split()
    libs = run(["pkg-config", "--libs", "gstreamer-fdpass-1.0"],
               env=env).split()
    includedir = os.path.join(root, "usr", "include", "gstreamer-1.0")
    check("-I" + includedir in cflags,
          "pkg-config --cflags does not name %s: %s" % (includedir, cflags))
    check("-L" + libdir in libs and "-lgstfdpass-1.0" in libs,
          "pkg-config --libs does not link %s/libgstfdpass-1.0: %s" %
          (libdir, libs))

    source = os.path.join(scratch, "use-fdpass.c")
    program = os.path.join(scratch, "use-fdpass")
    with open(source, "w") as f:
        f.write(C_PROGRAM)
    deps = program + ".d"
    run(["cc", "-o", program, source, "-MD", "-MF", deps] + cflags + libs +
        ["-lgstallocators-1.0"], env=base_env)
    with open(deps) as f:
        headers = f.read().replace("\\\n", " ").split()
    fdpass_h = [h for h in headers if h.endswith("gst/fdpass/fdpass.h")]
    check(len(fdpass_h) == 1 and under(fdpass_h[0], root),
          "the program was compiled against %s, not the packaged header" %
          fdpass_h)

    out = run([program], env=dict(base_env, LD_LIBRARY_PATH=libdir))
    m = re.search(r"^library (\S+)$", out, re.M)
    check(m and under(m.group(1), root),
          "the program did not run with the packaged library:\n%s" % out)
    check(re.search(r"^memory fdpass-tmpfile$", out, re.M),
          "the packaged allocator has another memory type:\n%s" % out)
    print("dev: compiled against %s, ran with %s" % (fdpass_h[0], m.group(1)))


def test_gir(scratch, root, libdir, base_env):
    typelib = os.path.join(libdir, "girepository-1.0", "GstFdPass-1.0.typelib")
    check(os.path.isfile(typelib), "no %s in the gir1.2 package" % typelib)
    gir = os.path.join(root, "usr", "share", "gir-1.0", "GstFdPass-1.0.gir")
    check(os.path.isfile(gir), "no %s in the -dev package" % gir)

    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import gi"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        print("gir: %s has no gi module (python3-gi): import not tried" %
              python)
        return
    env = dict(base_env,
               GI_TYPELIB_PATH=os.path.dirname(typelib),
               LD_LIBRARY_PATH=libdir,
               GST_REGISTRY=os.path.join(scratch, "gi.registry"),
               GST_PLUGIN_SYSTEM_PATH=os.path.join(libdir, "gstreamer-1.0"))
    out = run([python, "-c", PY_PROGRAM], env=env)
    m = re.search(r"^typelib (\S+)$", out, re.M)
    check(m and os.path.samefile(m.group(1), typelib),
          "GstFdPass was not imported from %s:\n%s" % (typelib, out))
    lib = re.search(r"^library (\S+)$", out, re.M)
    check(lib and under(lib.group(1), root),
          "GstFdPass did not load the packaged library:\n%s" % out)
    check(re.search(r"^type TmpFileAllocator$", out, re.M),
          "GstFdPass.TmpFileAllocator.new() made something else:\n%s" % out)
    print("gir: GstFdPass imported from %s" % typelib)


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    src, build_dir, version = (os.path.abspath(sys.argv[1]),
                               os.path.abspath(sys.argv[2]), sys.argv[3])

    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print("SKIP: not installed: %s" % " ".join(missing))
        return SKIP
    base_env = clean_env()
    deps = subprocess.run(["dpkg-checkbuilddeps"], cwd=src, env=base_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if deps.returncode != 0:
        print("SKIP: %s" % deps.stdout.strip())
        return SKIP

    arch = run(["dpkg-architecture", "-qDEB_HOST_ARCH"], env=base_env).strip()
    multiarch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"],
                    env=base_env).strip()

    scratch = tempfile.mkdtemp(prefix="gst-fdpass-deb-")
    ok = False
    try:
        tree = os.path.join(scratch, "gst-fdpass")
        copy_source(src, tree)
        check(os.path.isfile(os.path.join(tree, "debian", "control")),
              "the copy of %s has no debian/control" % src)

        build_env = dict(base_env)
        build_env.setdefault("DEB_BUILD_OPTIONS", "parallel=%d" %
                             len(os.sched_getaffinity(0)))
        run(["dpkg-buildpackage", "-us", "-uc", "-b"], env=build_env,
            cwd=tree, log=os.path.join(scratch, "dpkg-buildpackage.log"))

        root = os.path.join(scratch, "root")
        os.makedirs(root)
        for package in PACKAGES:
            debs = [f for f in os.listdir(scratch)
                    if re.fullmatch(r"%s_[^_]+_%s\.deb" % (re.escape(package),
                                                        arch), f)]
            check(len(debs) == 1, "dpkg-buildpackage made %s for %s" %
                  (debs or "no package", package))
            deb = os.path.join(scratch, debs[0])
            name = run(["dpkg-deb", "-f", deb, "Package"], env=base_env).strip()
            check(name == package, "%s is package %r" % (deb, name))
            run(["dpkg-deb", "-x", deb, root], env=base_env)
            print("built %s" % debs[0])

        libdir = os.path.join(root, "usr", "lib", multiarch)
        test_plugin(scratch, root, libdir, build_dir, version, base_env)
        test_dev(scratch, root, libdir, version, base_env)
        test_gir(scratch, root, libdir, base_env)
        ok = True
    except Failure as e:
        print("FAIL: %s" % e)
    finally:
        if ok:
            shutil.rmtree(scratch)
        else:
            print("scratch directory kept: %s" % scratch)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
