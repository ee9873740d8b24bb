/* GStreamer fd passing example: unit tests of the stream detectors
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

/* Frames come from videotestsrc (raw, and after an x264 encode/decode
 * round trip) or are synthesised in memory. Each test prints the measured
 * numbers as "# ..." lines. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "fdpass-analysis.h"
#include "fdpass-analysis-gst.h"

#define WIDTH 640
#define HEIGHT 360
#define RAW_CAPS "video/x-raw,format=I420,width=640,height=360,framerate=30/1"
#define X264 "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 " \
  "key-int-max=30 ! h264parse ! avdec_h264 ! video/x-raw,format=I420"

/* --- helpers ------------------------------------------------------------- */

/* Runs a pipeline ending in "appsink name=sink" to EOS and returns its
 * samples. */
static GPtrArray *
capture (const gchar * desc)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *sink;
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_sample_unref);
  GstSample *sample;
  GstBus *bus;
  GstMessage *msg;

  g_assert_no_error (err);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_assert_nonnull (sink);
  g_object_set (sink, "sync", FALSE, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))))
    g_ptr_array_add (samples, sample);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    gst_message_parse_error (msg, &err, NULL);
    g_error ("%s: %s", desc, err->message);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  g_assert_cmpuint (samples->len, >, 0);
  return samples;
}

/* frame `index` of videotestsrc pattern (extra: more properties), raw or
 * after x264 */
static GstSample *
test_frame (const gchar * pattern, const gchar * extra, gint index,
    gboolean x264)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=%s %s num-buffers=%d "
      "! " RAW_CAPS " ! %s ! appsink name=sink", pattern, extra ? extra : "",
      index + 1, x264 ? X264 : "identity");
  GPtrArray *samples = capture (desc);
  GstSample *sample;

  g_assert_cmpuint (samples->len, ==, index + 1);
  sample = gst_sample_ref (g_ptr_array_index (samples, index));
  g_ptr_array_unref (samples);
  g_free (desc);

  return sample;
}

static GstSample *
make_sample (const GstVideoInfo * info, GstBuffer * buf)
{
  GstCaps *caps = gst_video_info_to_caps (info);
  GstSample *sample = gst_sample_new (buf, caps, NULL, NULL);

  gst_caps_unref (caps);
  gst_buffer_unref (buf);
  return sample;
}

typedef guint8 (*LumaFunc) (gint x, gint y, gpointer user_data);

/* an I420 frame with the given luma and neutral chroma */
static GstSample *
synthetic_gray (LumaFunc func, gpointer user_data)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  GstBuffer *buf;
  gint x, y;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  g_assert_true (gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < HEIGHT; y++) {
    guint8 *row = GST_VIDEO_FRAME_COMP_DATA (&vf, 0) +
        y * GST_VIDEO_FRAME_COMP_STRIDE (&vf, 0);

    for (x = 0; x < WIDTH; x++)
      row[x] = func (x, y, user_data);
  }
  for (y = 0; y < HEIGHT / 2; y++) {
    memset (GST_VIDEO_FRAME_COMP_DATA (&vf, 1) +
        y * GST_VIDEO_FRAME_COMP_STRIDE (&vf, 1), 128, WIDTH / 2);
    memset (GST_VIDEO_FRAME_COMP_DATA (&vf, 2) +
        y * GST_VIDEO_FRAME_COMP_STRIDE (&vf, 2), 128, WIDTH / 2);
  }
  gst_video_frame_unmap (&vf);

  return make_sample (&info, buf);
}

/* EBU 100/0/75/0 bars (videotestsrc has none), BT.601 limited range */
static GstSample *
synthetic_ebu (void)
{
  static const gdouble rgb[8][3] = {
    {1, 1, 1}, {.75, .75, 0}, {0, .75, .75}, {0, .75, 0},
    {.75, 0, .75}, {.75, 0, 0}, {0, 0, .75}, {0, 0, 0}
  };
  GstVideoInfo info;
  GstVideoFrame vf;
  GstBuffer *buf;
  gint x, y, c;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  g_assert_true (gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < HEIGHT; y++) {
    for (x = 0; x < WIDTH; x++) {
      const gdouble *p;
      gdouble ey, pb, pr;

      p = rgb[x * 8 / WIDTH];
      ey = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      pb = (p[2] - ey) / 1.772;
      pr = (p[0] - ey) / 1.402;
      GST_VIDEO_FRAME_COMP_DATA (&vf, 0)[y * GST_VIDEO_FRAME_COMP_STRIDE (&vf,
              0) + x] = (guint8) lround (16 + 219 * ey);
      if (x % 2 == 0 && y % 2 == 0) {
        c = (y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (&vf, 1) + x / 2;
        GST_VIDEO_FRAME_COMP_DATA (&vf, 1)[c] = (guint8) lround (128 +
            224 * pb);
        c = (y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (&vf, 2) + x / 2;
        GST_VIDEO_FRAME_COMP_DATA (&vf, 2)[c] = (guint8) lround (128 +
            224 * pr);
      }
    }
  }
  gst_video_frame_unmap (&vf);

  return make_sample (&info, buf);
}

/* sends a sample through x264enc and avdec_h264 a few times, returns the
 * last decoded frame */
static GstSample *
x264_round_trip (GstSample * in)
{
  GError *err = NULL;
  GstElement *pipeline, *src, *sink;
  GstSample *out = NULL, *s;
  gint i;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! " X264
      " ! appsink name=sink sync=false", &err);
  g_assert_no_error (err);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_src_set_caps (GST_APP_SRC (src), gst_sample_get_caps (in));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 10; i++) {
    GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer (in));

    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buf), ==,
        GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (out)
      gst_sample_unref (out);
    out = s;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_assert_nonnull (out);

  return out;
}

static void
analyze (GstSample * sample, const FdpassPHash * previous,
    FdpassSampleResult * result)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  FdpassAnalysisFrame frame;

  g_assert_true (gst_video_info_from_caps (&info,
          gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&vf, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  g_assert_true (fdpass_analysis_frame_from_video_frame (&frame, &vf));
  g_assert_true (fdpass_analysis_analyze (&frame, previous, result));
  gst_video_frame_unmap (&vf);
}

static void
print_result (const gchar * what, const FdpassSampleResult * r)
{
  g_print ("# %-22s mean=%6.2f sd=%6.2f dark=%.3f black=%d bars=%s "
      "(best %s %.3f; smpte %.3f smpte75 %.3f smpte100 %.3f ebu %.3f)",
      what, r->black.mean_luma, r->black.luma_stddev, r->black.dark_fraction,
      r->black.is_black, fdpass_bars_pattern_name (r->bars.pattern),
      fdpass_bars_pattern_name (r->bars.best), r->bars.score,
      r->bars.scores[FDPASS_BARS_SMPTE], r->bars.scores[FDPASS_BARS_SMPTE75],
      r->bars.scores[FDPASS_BARS_SMPTE100], r->bars.scores[FDPASS_BARS_EBU]);
  if (r->have_previous)
    g_print (" dist=%u delta=%.2f", r->hash_distance, r->cell_delta);
  g_print (" class=%s\n", fdpass_sample_class_name (r->klass));
}

static void
assert_not_black_nor_bars (const gchar * what, GstSample * sample)
{
  FdpassSampleResult r;

  analyze (sample, NULL, &r);
  print_result (what, &r);
  g_assert_false (r.black.is_black);
  g_assert_cmpint (r.bars.pattern, ==, FDPASS_BARS_NONE);
}

/* --- black --------------------------------------------------------------- */

static guint8
luma_const (gint x, gint y, gpointer user_data)
{
  return GPOINTER_TO_UINT (user_data);
}

static guint8
luma_noise (gint x, gint y, gpointer user_data)
{
  return 16 + g_random_int_range (0, 9);
}

/* a night scene: mean about 45, a gentle gradient and texture */
static guint8
luma_dark_scene (gint x, gint y, gpointer user_data)
{
  gdouble v = 30 + 30.0 * x / WIDTH + 8 * sin (x / 7.0) * cos (y / 5.0) +
      g_random_int_range (-4, 5);

  return (guint8) CLAMP (v, 0, 255);
}

/* black sky with a few bright windows (1.5% of the picture) */
static guint8
luma_dark_spots (gint x, gint y, gpointer user_data)
{
  if ((x / 8) % 8 == 3 && (y / 8) % 8 == 5 && x % 8 < 8 && y % 8 < 8 &&
      (x / 64 + y / 64) % 2 == 0)
    return 200;
  return 18;
}

static void
test_black (void)
{
  GstSample *s;
  FdpassSampleResult r;

  s = synthetic_gray (luma_const, GUINT_TO_POINTER (16));
  analyze (s, NULL, &r);
  print_result ("black Y=16", &r);
  g_assert_true (r.black.is_black);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_BLACK);
  gst_sample_unref (s);

  s = synthetic_gray (luma_noise, NULL);
  analyze (s, NULL, &r);
  print_result ("near-black noise", &r);
  g_assert_true (r.black.is_black);
  gst_sample_unref (s);

  s = test_frame ("black", NULL, 10, TRUE);
  analyze (s, NULL, &r);
  print_result ("black (x264)", &r);
  g_assert_true (r.black.is_black);
  gst_sample_unref (s);
}

static void
test_not_black (void)
{
  GstSample *s;
  FdpassSampleResult r;

  s = synthetic_gray (luma_dark_scene, NULL);
  analyze (s, NULL, &r);
  print_result ("dark scene", &r);
  g_assert_cmpfloat (r.black.mean_luma, >, 40);
  g_assert_cmpfloat (r.black.mean_luma, <, 50);
  g_assert_false (r.black.is_black);
  g_assert_cmpint (r.bars.pattern, ==, FDPASS_BARS_NONE);
  gst_sample_unref (s);

  s = synthetic_gray (luma_dark_spots, NULL);
  analyze (s, NULL, &r);
  print_result ("dark with bright spots", &r);
  g_assert_cmpfloat (r.black.mean_luma, <, FDPASS_BLACK_MAX_MEAN);
  g_assert_false (r.black.is_black);
  gst_sample_unref (s);

  s = synthetic_gray (luma_const, GUINT_TO_POINTER (235));
  assert_not_black_nor_bars ("white", s);
  gst_sample_unref (s);

  s = test_frame ("white", NULL, 10, TRUE);
  assert_not_black_nor_bars ("white (x264)", s);
  gst_sample_unref (s);

  s = test_frame ("ball", NULL, 0, FALSE);
  assert_not_black_nor_bars ("ball", s);
  gst_sample_unref (s);

  s = test_frame ("pinwheel", NULL, 10, TRUE);
  assert_not_black_nor_bars ("pinwheel (x264)", s);
  gst_sample_unref (s);

  s = test_frame ("snow", NULL, 10, TRUE);
  assert_not_black_nor_bars ("snow (x264)", s);
  gst_sample_unref (s);
}

/* --- bars ---------------------------------------------------------------- */

static void
check_bars (const gchar * what, GstSample * s, FdpassBarsPattern expected)
{
  FdpassSampleResult r;
  guint i;

  analyze (s, NULL, &r);
  print_result (what, &r);
  g_assert_false (r.black.is_black);
  g_assert_cmpint (r.bars.pattern, ==, expected);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_BARS);
  g_assert_cmpfloat (r.bars.score, >=, 0.85);
  /* the others are well apart */
  for (i = FDPASS_BARS_NONE + 1; i < FDPASS_BARS_N_PATTERNS; i++)
    if (i != expected)
      g_assert_cmpfloat (r.bars.scores[i], <, r.bars.score - 0.2);
}

static void
test_bars (void)
{
  static const struct
  {
    const gchar *name;
    FdpassBarsPattern pattern;
  } patterns[] = {
    {"smpte", FDPASS_BARS_SMPTE},
    {"smpte75", FDPASS_BARS_SMPTE75},
    {"smpte100", FDPASS_BARS_SMPTE100},
  };
  GstSample *s, *t;
  gchar *what;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (patterns); i++) {
    s = test_frame (patterns[i].name, NULL, 0, FALSE);
    check_bars (patterns[i].name, s, patterns[i].pattern);
    gst_sample_unref (s);

    s = test_frame (patterns[i].name, NULL, 10, TRUE);
    what = g_strdup_printf ("%s (x264)", patterns[i].name);
    check_bars (what, s, patterns[i].pattern);
    g_free (what);
    gst_sample_unref (s);
  }

  s = synthetic_ebu ();
  check_bars ("ebu (synthetic)", s, FDPASS_BARS_EBU);
  t = x264_round_trip (s);
  check_bars ("ebu (x264)", t, FDPASS_BARS_EBU);
  gst_sample_unref (t);
  gst_sample_unref (s);
}

/* other formats, odd sizes (padded strides) and BT.709 */
static void
test_bars_formats (void)
{
  GPtrArray *a;
  GstSample *s;

  a = capture ("videotestsrc pattern=smpte75 num-buffers=1 ! "
      "video/x-raw,format=NV12,width=650,height=370 ! appsink name=sink");
  s = g_ptr_array_index (a, 0);
  check_bars ("smpte75 NV12 650x370", s, FDPASS_BARS_SMPTE75);
  g_ptr_array_unref (a);

  a = capture ("videotestsrc pattern=smpte num-buffers=1 ! "
      "video/x-raw,format=YV12,width=1280,height=720 ! appsink name=sink");
  s = g_ptr_array_index (a, 0);
  check_bars ("smpte YV12 720p bt709", s, FDPASS_BARS_SMPTE);
  g_ptr_array_unref (a);

  a = capture ("videotestsrc pattern=smpte100 num-buffers=1 ! "
      "video/x-raw,format=NV21,width=1920,height=1080 ! appsink name=sink");
  s = g_ptr_array_index (a, 0);
  check_bars ("smpte100 NV21 1080p", s, FDPASS_BARS_SMPTE100);
  g_ptr_array_unref (a);
}

/* --- hash ---------------------------------------------------------------- */

static void
hash_pair (const gchar * what, const gchar * desc, guint i, guint j,
    FdpassSampleResult * second)
{
  GPtrArray *a = capture (desc);
  FdpassSampleResult first;

  g_assert_cmpuint (a->len, >, MAX (i, j));
  analyze (g_ptr_array_index (a, i), NULL, &first);
  analyze (g_ptr_array_index (a, j), &first.hash, second);
  print_result (what, second);
  g_ptr_array_unref (a);
}

static void
test_hash (void)
{
  FdpassSampleResult r;
  FdpassPHash h;
  GstSample *s;

  /* the same frame twice */
  s = test_frame ("pinwheel", NULL, 5, TRUE);
  analyze (s, NULL, &r);
  h = r.hash;
  analyze (s, &h, &r);
  g_assert_cmpuint (r.hash_distance, ==, 0);
  g_assert_cmpfloat (r.cell_delta, ==, 0.0);
  gst_sample_unref (s);

  /* a static picture, two different encoded frames */
  hash_pair ("static pinwheel x264", "videotestsrc pattern=pinwheel "
      "num-buffers=21 ! " RAW_CAPS " ! " X264 " ! appsink name=sink", 5, 20,
      &r);
  g_assert_cmpuint (r.hash_distance, <=, 1);
  g_assert_cmpfloat (r.cell_delta, <, 2.0);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_FROZEN);

  /* a small moving object: few hash bits but large cell changes */
  hash_pair ("ball 0 vs 15", "videotestsrc pattern=ball num-buffers=16 ! "
      RAW_CAPS " ! appsink name=sink", 0, 15, &r);
  g_assert_cmpuint (r.hash_distance, >=, 2);
  g_assert_cmpfloat (r.cell_delta, >=, 20.0);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_MOTION);

  hash_pair ("ball 0 vs 15 (x264)", "videotestsrc pattern=ball "
      "num-buffers=16 ! " RAW_CAPS " ! " X264 " ! appsink name=sink", 0, 15,
      &r);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_MOTION);

  /* a picture that moves as a whole */
  hash_pair ("scrolling pinwheel", "videotestsrc pattern=pinwheel "
      "horizontal-speed=10 num-buffers=16 ! " RAW_CAPS " ! appsink name=sink",
      0, 15, &r);
  g_assert_cmpuint (r.hash_distance, >=, 10);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_MOTION);
  hash_pair ("scrolling colors (x264)", "videotestsrc pattern=colors "
      "horizontal-speed=10 num-buffers=16 ! " RAW_CAPS " ! " X264 " ! "
      "appsink name=sink", 0, 15, &r);
  g_assert_cmpuint (r.hash_distance, >=, 10);
  g_assert_cmpint (r.klass, ==, FDPASS_SAMPLE_MOTION);
}

/* --- state machine ------------------------------------------------------- */

typedef struct
{
  FdpassStreamState state;
  gdouble start;
} Change;

static guint
run_machine (const gchar * sequence, gdouble interval, Change * changes,
    guint max_changes)
{
  FdpassStateMachine sm;
  guint i, n = 0;

  fdpass_state_machine_init (&sm, 3, 1.5, 3);
  for (i = 0; sequence[i]; i++) {
    FdpassSampleClass klass;

    switch (sequence[i]) {
      case 'B':
        klass = FDPASS_SAMPLE_BLACK;
        break;
      case 'C':
        klass = FDPASS_SAMPLE_BARS;
        break;
      case 'M':
        klass = FDPASS_SAMPLE_MOTION;
        break;
      default:
        klass = FDPASS_SAMPLE_STATIC;
        break;
    }
    if (fdpass_state_machine_push (&sm, klass, i * interval)) {
      g_assert_cmpuint (n, <, max_changes);
      changes[n].state = sm.state;
      changes[n].start = sm.state_start;
      g_print ("# sample %u: %s since %.1f\n", i,
          fdpass_stream_state_name (sm.state), sm.state_start);
      n++;
    }
  }
  return n;
}

static void
test_state_machine (void)
{
  Change c[16];
  guint n;

  /* glitches of one and two samples change nothing; boundaries are the
   * first sample of each run */
  n = run_machine ("BBBBBCBBMMBBB" "CCCCBCCCC" "MMMSMMCMMMSMM" "BBBB",
      0.5, c, G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (c[0].state, ==, FDPASS_STATE_BLACK);
  g_assert_cmpfloat (c[0].start, ==, 0.0);
  g_assert_cmpint (c[1].state, ==, FDPASS_STATE_BARS);
  g_assert_cmpfloat (c[1].start, ==, 13 * 0.5);
  g_assert_cmpint (c[2].state, ==, FDPASS_STATE_LIVE);
  g_assert_cmpfloat (c[2].start, ==, 22 * 0.5);
  g_assert_cmpint (c[3].state, ==, FDPASS_STATE_BLACK);
  g_assert_cmpfloat (c[3].start, ==, 35 * 0.5);

  /* a static picture becomes "still" only after the hold time (1.5 s here,
   * from the sample before the run, which showed the picture already) */
  n = run_machine ("MMMM" "SS" "M" "SSSSSS" "MMM", 0.5, c, G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (c[0].state, ==, FDPASS_STATE_LIVE);
  g_assert_cmpfloat (c[0].start, ==, 0.0);
  g_assert_cmpint (c[1].state, ==, FDPASS_STATE_STILL);
  g_assert_cmpfloat (c[1].start, ==, 6 * 0.5);
  g_assert_cmpint (c[2].state, ==, FDPASS_STATE_LIVE);
  g_assert_cmpfloat (c[2].start, ==, 13 * 0.5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/analysis/black", test_black);
  g_test_add_func ("/analysis/not-black", test_not_black);
  g_test_add_func ("/analysis/bars", test_bars);
  g_test_add_func ("/analysis/bars-formats", test_bars_formats);
  g_test_add_func ("/analysis/hash", test_hash);
  g_test_add_func ("/analysis/state-machine", test_state_machine);

  return g_test_run ();
}
