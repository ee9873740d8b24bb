#!/usr/bin/env python3
# gst-fdpass
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails when a public symbol of libgstfdpass is not documented.

Reads what the gtk-doc build of docs/libs left in the build directory and
the comments in the sources, and checks that:

- gtk-doc counts no undocumented or incomplete symbol, no documentation of
  an unknown symbol and no symbol of the sections file that is not declared;
- every declaration gtkdoc-scan found in the public headers, and every
  function the library exports, is listed in the sections file (a symbol
  that is not listed there is not checked by gtk-doc at all);
- every listed symbol but the GType boilerplate, every property and signal
  of the library's types and every section has a `Since:` version.

Exits 77 (skipped) when the reference was not built (no gtk-doc).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

SKIP = 77

COMMENT = re.compile(r'/\*\*[ \t]*\n[ \t]*\*[ \t]*([A-Za-z_][\w:-]*):[ \t]*\n(.*?)\*/',
                     re.S)
SINCE = re.compile(r'^\s*\*\s*Since:\s*(\S+)\s*$', re.M)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def sections(path):
    """(listed symbols, symbols outside Standard/Private subsections)."""
    every, public = set(), set()
    subsection = ''
    for line in read(path).splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        m = re.match(r'<SUBSECTION\s*(\w*)>', line)
        if m:
            subsection = m.group(1)
            continue
        if line == '<SECTION>':
            subsection = ''
            continue
        if line.startswith('<'):
            continue
        every.add(line)
        if subsection not in ('Standard', 'Private'):
            public.add(line)
    return every, public


def decl_list(path):
    return {line.strip() for line in read(path).splitlines()
            if line.strip() and not line.startswith('<')}


def exported_functions(library):
    nm = shutil.which('nm')
    if nm is None:
        print('note: no nm, the exported functions are not compared')
        return set()
    out = subprocess.run([nm, '-D', '--defined-only', library],
                         check=True, capture_output=True, text=True).stdout
    return {fields[2] for fields in (line.split() for line in out.splitlines())
            if len(fields) == 3 and fields[1] == 'T'}


def gobject_names(path):
    """Property or signal names from gtkdoc-scangobj's .args/.signals."""
    if not os.path.exists(path):
        return set()
    return set(re.findall(r'<NAME>([^<]+)</NAME>', read(path)))


def doc_comments(source_dir):
    comments = {}
    for name in sorted(os.listdir(source_dir)):
        if name.endswith(('.c', '.h')):
            for m in COMMENT.finditer(read(os.path.join(source_dir, name))):
                comments.setdefault(m.group(1), []).append((name, m.group(2)))
    return comments


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--doc-dir', required=True,
                        help='build directory of the gtk-doc module')
    parser.add_argument('--module', required=True)
    parser.add_argument('--source-dir', required=True,
                        help='gst-libs/gst/fdpass of the source tree')
    parser.add_argument('--library', help='the built libgstfdpass-1.0.so')
    parser.add_argument('--skip', metavar='REASON',
                        help='skip the test (the reference is not built)')
    args = parser.parse_args()

    if args.skip:
        print('skipped: %s' % args.skip)
        return SKIP

    def doc_file(suffix):
        return os.path.join(args.doc_dir, args.module + suffix)

    problems = []

    # 1. gtk-doc's own counts
    status = read(doc_file('-undocumented.txt'))
    m_undoc = re.search(r'^(\d+) not documented\.$', status, re.M)
    m_incomplete = re.search(r'^(\d+) symbols? incomplete\.$', status, re.M)
    if not m_undoc or not m_incomplete:
        problems.append('cannot read the counts of %s' %
                        doc_file('-undocumented.txt'))
    elif int(m_undoc.group(1)) or int(m_incomplete.group(1)):
        problems.append('gtk-doc: %s undocumented and %s incomplete symbols:\n%s'
                        % (m_undoc.group(1), m_incomplete.group(1),
                           status.split('\n\n', 1)[-1].strip()))
    for suffix, what in (('-undeclared.txt', 'listed in the sections file '
                          'but declared in no public header'),
                         ('-unused.txt', 'documented but not in the '
                          'sections file')):
        names = read(doc_file(suffix)).split()
        if names:
            problems.append('%s: %s' % (what, ', '.join(sorted(names))))

    # 2. everything public is listed, so that gtk-doc checks it
    listed, public = sections(doc_file('-sections.txt'))
    declared = decl_list(doc_file('-decl-list.txt'))
    unlisted = sorted(declared - listed)
    if unlisted:
        problems.append('declared in a public header but not in %s: %s' %
                        (args.module + '-sections.txt', ', '.join(unlisted)))
    if args.library:
        unlisted = sorted(exported_functions(args.library) - listed)
        if unlisted:
            problems.append('exported by %s but not in the sections file: %s'
                            % (os.path.basename(args.library),
                               ', '.join(unlisted)))

    # 3. Since: on every public symbol, property, signal and section
    comments = doc_comments(args.source_dir)
    wanted = set(public)
    for prop in gobject_names(doc_file('.args')):
        wanted.add(prop.replace('::', ':'))
    wanted |= gobject_names(doc_file('.signals'))
    wanted |= {name for name in comments if name.startswith('SECTION:')}
    no_since, bad_since = [], []
    for name in sorted(wanted):
        versions = [v for _, body in comments.get(name, [])
                    for v in SINCE.findall(body)]
        if not versions:
            no_since.append(name)
        bad_since += ['%s (%s)' % (name, v) for v in versions
                      if not re.fullmatch(r'\d+\.\d+', v)]
    if no_since:
        problems.append('no "Since:" in the documentation of: %s' %
                        ', '.join(no_since))
    if bad_since:
        problems.append('"Since:" is not a MAJOR.MINOR version: %s' %
                        ', '.join(bad_since))

    if problems:
        for p in problems:
            print('error: ' + p)
        print('\nDocument every public symbol of gst-libs/gst/fdpass/ with a '
              'gtk-doc comment ending in "Since: <version>" and list it in '
              'docs/libs/%s-sections.txt.' % args.module)
        return 1

    print('%d public symbols, %d properties and signals, %d sections: all '
          'documented, all with Since:' % (
              len(public),
              len([w for w in wanted if ':' in w and
                   not w.startswith('SECTION:')]),
              len([w for w in wanted if w.startswith('SECTION:')])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
