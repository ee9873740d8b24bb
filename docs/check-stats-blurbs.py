#!/usr/bin/env python3
# gst-fdpass
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails when the blurb of a `stats` property does not name every field
of the structure the property returns.

For each element of the fdpass plugin that has a readable GstStructure
property called `stats`, makes the element, reads the property and looks
for each top-level field name in the blurb, as a word of its own. A list
such as "clients-added, -removed" names clients-removed too.

    docs/check-stats-blurbs.py --plugin-dir build/gst/fdpass
"""

import argparse
import os
import re
import sys
import tempfile

PLUGIN = 'fdpass'
SKIP = 77


def named(blurb, field):
    def word(w):
        return re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(w), blurb)

    if word(field):
        return True
    # "prefix-a, -b": -b stands for prefix-b
    if '-' in field:
        prefix, rest = field.split('-', 1)
        return bool(word('-' + rest)) and \
            re.search(r'(?<![\w-])%s-[\w-]' % re.escape(prefix), blurb)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--plugin-dir', required=True)
    args = parser.parse_args()

    plugin_dir = os.path.abspath(args.plugin_dir)
    tmp = tempfile.TemporaryDirectory(prefix='check-stats-blurbs-')
    os.environ.update({
        'GST_PLUGIN_PATH_1_0': plugin_dir,
        'GST_PLUGIN_SYSTEM_PATH_1_0': '',
        'GST_REGISTRY_1_0': os.path.join(tmp.name, 'registry.bin'),
        'LC_ALL': 'C',
    })
    try:
        import gi
        gi.require_version('Gst', '1.0')
        from gi.repository import GObject, Gst
    except (ImportError, ValueError) as e:
        print('skipped: PyGObject with GStreamer is not available (%s)' % e)
        return SKIP

    Gst.init(None)
    registry = Gst.Registry.get()
    if registry.find_plugin(PLUGIN) is None:
        print('error: no plugin "%s" in %s' % (PLUGIN, plugin_dir))
        return 1

    problems = []
    checked = 0
    for feature in sorted(registry.get_feature_list_by_plugin(PLUGIN),
                          key=lambda f: f.get_name()):
        if not isinstance(feature, Gst.ElementFactory):
            continue
        element = feature.create(None)
        pspec = element.find_property('stats')
        if pspec is None or pspec.value_type != Gst.Structure.__gtype__ or \
                not pspec.flags & GObject.ParamFlags.READABLE:
            continue
        stats = element.get_property('stats')
        fields = [stats.nth_field_name(i) for i in range(stats.n_fields())]
        missing = [f for f in fields if not named(pspec.blurb, f)]
        checked += 1
        if missing:
            problems.append('%s: the blurb of "stats" does not name %s\n'
                            '  fields: %s\n  blurb: %s' % (
                                feature.get_name(), ', '.join(missing),
                                ', '.join(fields), pspec.blurb))
        else:
            print('%s: the blurb names all %d fields of %s' % (
                feature.get_name(), len(fields), stats.get_name()))

    if checked == 0:
        problems.append('no element of the plugin has a stats property')
    for p in problems:
        print('error: ' + p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
