/* GStreamer fd passing plugin: tests of fdpasssink and fdpasssrc
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* The bins: their properties are their children's (same type, range,
 * default and blurb, and setting one sets the child's), the children are
 * reachable by name, and raw video goes in one bin and comes out of the
 * other, every frame with its bytes and the caps it had. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>

#include <string.h>

#include "../fdpass-check.h"

#define N_FRAMES 20
#define CAPS "video/x-raw,format=I420,width=320,height=240,framerate=30/1"

/* Each property of @bin that is not GstBin's is one of its children's,
 * with the same type, blurb and default. Returns how many there are. */
static guint
check_proxied (GstElement * bin, const gchar * const *children)
{
  GParamSpec **specs;
  guint n, i, checked = 0;

  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (bin), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *ours = specs[i], *theirs = NULL;
    guint c;

    if (ours->owner_type != G_OBJECT_TYPE (bin))
      continue;
    /* two children may have a property of that name (stats): the one
     * with the same blurb */
    for (c = 0; children[c] && theirs == NULL; c++) {
      GstElement *child = gst_bin_get_by_name (GST_BIN (bin), children[c]);

      fail_unless (child != NULL, "no child %s", children[c]);
      theirs = g_object_class_find_property (G_OBJECT_GET_CLASS (child),
          ours->name);
      if (theirs && g_strcmp0 (g_param_spec_get_blurb (theirs),
              g_param_spec_get_blurb (ours)) != 0)
        theirs = NULL;
      gst_object_unref (child);
    }
    fail_unless (theirs != NULL, "%s is no child's property", ours->name);
    fail_unless_equals_string (g_param_spec_get_blurb (ours),
        g_param_spec_get_blurb (theirs));
    fail_unless (ours->value_type == theirs->value_type, "%s", ours->name);
    fail_unless (ours->flags == (theirs->flags | G_PARAM_STATIC_STRINGS) ||
        ours->flags == theirs->flags, "%s: flags", ours->name);
    if (!G_IS_PARAM_SPEC_BOXED (ours) && !GST_IS_PARAM_SPEC_ARRAY_LIST (ours))
      fail_unless (g_param_values_cmp (ours,
              g_param_spec_get_default_value (ours),
              g_param_spec_get_default_value (theirs)) == 0,
          "%s: default", ours->name);
    checked++;
  }
  g_free (specs);

  return checked;
}

GST_START_TEST (test_sink_properties)
{
  static const gchar *const children[] = { "sink", "pay", NULL };
  GstElement *bin = gst_element_factory_make ("fdpasssink", NULL);
  GstElement *sink;
  gchar *path = NULL;
  guint max_clients = 0, perms = 0;

  fail_unless (bin != NULL);
  fail_unless (check_proxied (bin, children) >= 12);

  g_object_set (bin, "socket-path", "/tmp/fdpassbin-test.sock",
      "max-clients", 3, "perms", 0640, NULL);
  sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  g_object_get (sink, "socket-path", &path, "max-clients", &max_clients,
      "perms", &perms, NULL);
  fail_unless_equals_string (path, "/tmp/fdpassbin-test.sock");
  fail_unless_equals_int (max_clients, 3);
  fail_unless_equals_int (perms, 0640);
  g_free (path);

  /* and the other way round */
  g_object_set (sink, "max-pending", 5, NULL);
  g_object_get (bin, "max-pending", &max_clients, NULL);
  fail_unless_equals_int (max_clients, 5);

  gst_object_unref (sink);
  gst_object_unref (bin);
}

GST_END_TEST;

GST_START_TEST (test_src_properties)
{
  static const gchar *const children[] = { "src", "depay", NULL };
  GstElement *bin = gst_element_factory_make ("fdpasssrc", NULL);
  GstElement *depay;
  gboolean srt = FALSE;
  gchar *path = NULL;

  fail_unless (bin != NULL);
  fail_unless (check_proxied (bin, children) >= 8);

  g_object_set (bin, "sender-running-time", TRUE, "socket-path", "/x/y", NULL);
  depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
  g_object_get (depay, "sender-running-time", &srt, NULL);
  fail_unless (srt);
  g_object_get (bin, "socket-path", &path, NULL);
  fail_unless_equals_string (path, "/x/y");
  g_free (path);

  gst_object_unref (depay);
  gst_object_unref (bin);
}

GST_END_TEST;

/* a child's property set on a gst-launch line, child::name=value */
GST_START_TEST (test_child_property_on_launch_line)
{
  GstElement *bin, *pay;
  GError *err = NULL;
  gboolean zero_copy = FALSE;

  bin = gst_parse_launch ("fdpasssink name=s pay::zero-copy-foreign-pools=true "
      "socket-path=/tmp/unused.sock", &err);
  fail_unless (bin != NULL, "%s", err ? err->message : "");
  g_clear_error (&err);
  pay = gst_bin_get_by_name (GST_BIN (bin), "pay");
  fail_unless (pay != NULL);
  g_object_get (pay, "zero-copy-foreign-pools", &zero_copy, NULL);
  fail_unless (zero_copy);
  gst_object_unref (pay);
  gst_object_unref (bin);
}

GST_END_TEST;

/* the CRC of each of the frames videotestsrc makes, as the sender sends
 * them, and their caps */
static GstCaps *
reference_crcs (guint32 * crcs)
{
  GstCaps *caps = NULL;
  GstElement *pipeline, *sink;
  guint i;

  pipeline = gst_parse_launch ("videotestsrc pattern=ball num-buffers="
      G_STRINGIFY (N_FRAMES) " ! " CAPS " ! appsink name=out sync=false", NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (i = 0; i < N_FRAMES; i++) {
    GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));

    fail_unless (sample != NULL);
    crcs[i] = fdpass_check_crc32_buffer (gst_sample_get_buffer (sample));
    if (caps == NULL)
      caps = gst_caps_ref (gst_sample_get_caps (sample));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  return caps;
}

/* raw video into fdpasssink, out of fdpasssrc in another pipeline: every
 * frame, its bytes, its caps; the receiver waits before the sender
 * starts, and the sender's EOS ends the receiver's stream. appsink holds
 * frames until they are pulled: the sender waits for it (block) rather
 * than drop frames for a slow receiver. */
GST_START_TEST (test_roundtrip)
{
  GstElement *sender, *receiver, *out;
  gchar *dir, *path, *desc;
  guint32 crcs[N_FRAMES];
  GstCaps *want;
  GstMessage *msg;
  GstBus *bus;
  gint fds_before;
  guint i;

  want = reference_crcs (crcs);
  /* GLib's global default context (with an eventfd) is made on first use,
   * which the sink's I/O thread is: once for the process, not per run */
  g_main_context_default ();
  fds_before = fdpass_check_count_open_fds ();

  dir = g_dir_make_tmp ("fdpassbin-XXXXXX", NULL);
  path = g_build_filename (dir, "video.sock", NULL);

  desc = g_strdup_printf ("fdpasssrc socket-path=%s retry-interval=10000000 "
      "! appsink name=out sync=false", path);
  receiver = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (receiver != NULL);
  out = gst_bin_get_by_name (GST_BIN (receiver), "out");
  gst_element_set_state (receiver, GST_STATE_PLAYING);

  desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=%d ! " CAPS
      " ! fdpasssink socket-path=%s wait-for-connection=true sync=false "
      "slow-client-policy=block", N_FRAMES, path);
  sender = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (sender != NULL);
  gst_element_set_state (sender, GST_STATE_PLAYING);

  for (i = 0; i < N_FRAMES; i++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
        30 * GST_SECOND);

    fail_unless (sample != NULL, "frame %u did not come: %s", i,
        GST_STR_NULL (fdpass_check_pop_bus_error (receiver)));
    fail_unless (gst_caps_is_equal (gst_sample_get_caps (sample), want),
        "caps %" GST_PTR_FORMAT ", sent %" GST_PTR_FORMAT,
        gst_sample_get_caps (sample), want);
    fail_unless_equals_int (fdpass_check_crc32_buffer
        (gst_sample_get_buffer (sample)), crcs[i]);
    gst_sample_unref (sample);
  }
  gst_caps_unref (want);

  /* the sender's end is the receiver's */
  bus = gst_element_get_bus (receiver);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (sender, GST_STATE_NULL);
  gst_element_set_state (receiver, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (sender);
  gst_object_unref (receiver);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
  fdpass_check_remove_dir (&dir);
  g_free (path);
}

GST_END_TEST;

static Suite *
fdpassbin_suite (void)
{
  Suite *s = suite_create ("fdpassbin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_sink_properties);
  tcase_add_test (tc, test_src_properties);
  tcase_add_test (tc, test_child_property_on_launch_line);
  tcase_add_test (tc, test_roundtrip);

  return s;
}

GST_CHECK_MAIN (fdpassbin);
