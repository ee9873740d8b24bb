"""What the tests of the examples share: one "ok"/"FAIL" line per check,
the count at the end, and the process's open descriptors."""
import os
import sys

failures = []


def check(name, cond, what):
    print("%s: %s: %s" % ("ok" if cond else "FAIL", name, what))
    if not cond:
        failures.append(name)


def finish():
    print("%u failed" % len(failures))
    sys.exit(1 if failures else 0)


def open_fds():
    """The open descriptors below 1024 (listing /proc/self/fd would count
    the directory's own)."""
    fds = set()
    for fd in range(1024):
        try:
            os.fstat(fd)
            fds.add(fd)
        except OSError:
            pass
    return fds
