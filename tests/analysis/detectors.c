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

/* Frames come from videotestsrc (raw, after an x264 encode/decode round
 * trip, with a clock or a logo over them), from ffmpeg's lavfi generators
 * decoded by GStreamer (skipped, with a message, without ffmpeg), or are
 * synthesised in memory. Each test prints the measured numbers as "# ..."
 * lines. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
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

  bus = gst_element_get_bus (pipeline);
  while (!gst_app_sink_is_eos (GST_APP_SINK (sink))) {
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    if (sample)
      g_ptr_array_add (samples, sample);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      g_error ("%s: %s", desc, err->message);
    }
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
      "(best %s %.3f; smpte %.3f smpte75 %.3f smpte100 %.3f ebu %.3f "
      "rp219 %.3f)",
      what, r->black.mean_luma, r->black.luma_stddev, r->black.dark_fraction,
      r->black.is_black, fdpass_bars_pattern_name (r->bars.pattern),
      fdpass_bars_pattern_name (r->bars.best), r->bars.score,
      r->bars.scores[FDPASS_BARS_SMPTE], r->bars.scores[FDPASS_BARS_SMPTE75],
      r->bars.scores[FDPASS_BARS_SMPTE100], r->bars.scores[FDPASS_BARS_EBU],
      r->bars.scores[FDPASS_BARS_SMPTE_RP219]);
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

typedef struct
{
  gdouble mean;                 /* luma of the scene */
  gint noise;                   /* uniform noise of +-noise */
} DimScene;

/* a dim scene: a broad gentle relief around the mean and sensor noise */
static guint8
luma_dim_noisy (gint x, gint y, gpointer user_data)
{
  const DimScene *scene = user_data;
  gdouble v = scene->mean + 6.0 * sin (x / 40.0) * cos (y / 30.0) +
      g_random_int_range (-scene->noise, scene->noise + 1);

  return (guint8) CLAMP (v, 0, 255);
}

/* dark but not black: a dim noisy scene is never black, raw or encoded */
static void
test_dim_noisy (void)
{
  static const DimScene scenes[] = {
    {40, 3}, {40, 10}, {40, 20}, {45, 6}, {45, 15}, {50, 4}, {50, 25},
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (scenes); i++) {
    for (j = 0; j < 2; j++) {
      GstSample *s = synthetic_gray (luma_dim_noisy, (gpointer) & scenes[i]);
      FdpassSampleResult r;
      gchar *what;

      if (j == 1) {
        GstSample *t = x264_round_trip (s);

        gst_sample_unref (s);
        s = t;
      }
      analyze (s, NULL, &r);
      what = g_strdup_printf ("dim %.0f +-%d%s", scenes[i].mean,
          scenes[i].noise, j ? " (x264)" : "");
      print_result (what, &r);
      g_assert_cmpfloat (r.black.mean_luma, >=, scenes[i].mean - 3);
      g_assert_cmpfloat (r.black.mean_luma, <=, scenes[i].mean + 3);
      g_assert_false (r.black.is_black);
      g_assert_cmpint (r.klass, !=, FDPASS_SAMPLE_BLACK);
      g_assert_cmpint (r.bars.pattern, ==, FDPASS_BARS_NONE);
      g_free (what);
      gst_sample_unref (s);
    }
  }
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

typedef struct
{
  const gchar *name;
  gint width, height;
} Size;

/* 240p in 16:9 and 4:3; 2160p (the last) gets fewer cases */
static const Size sizes[] = {
  {"240p", 426, 240}, {"240p-4:3", 320, 240}, {"360p", 640, 360},
  {"480p", 854, 480}, {"720p", 1280, 720}, {"1080p", 1920, 1080},
  {"2160p", 3840, 2160},
};

#define N_SIZES G_N_ELEMENTS (sizes)
#define SIZE_2160P (N_SIZES - 1)

/* overlays at 240p, 720p and 1080p (the rest takes time) */
#define OVERLAY_SIZE(s) ((s) == 0 || (s) == 4 || (s) == 5)

/* moderate quality: about what ffmpeg -crf 26 gives */
#define ENCODE "x264enc speed-preset=ultrafast pass=qual quantizer=26 ! " \
  "h264parse ! avdec_h264 ! video/x-raw,format=I420"

typedef enum
{
  VARIANT_RAW,
  VARIANT_X264,
  VARIANT_CLOCK,                /* a large clock in the middle, then x264 */
  VARIANT_LOGO,                 /* a red box near the top right, then x264 */
  N_VARIANTS
} Variant;

static const gchar *variant_names[N_VARIANTS] = {
  "raw", "x264", "clock+x264", "logo+x264"
};

static gdouble
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

  return r.bars.score;
}

static gboolean
have_element (const gchar * name)
{
  GstElementFactory *factory = gst_element_factory_find (name);

  if (factory == NULL)
    return FALSE;
  gst_object_unref (factory);
  return TRUE;
}

/* one videotestsrc frame of a pattern */
static GstSample *
videotestsrc_frame (const gchar * pattern, const Size * size, Variant variant)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=I420,width=%d,"
      "height=%d,framerate=30/1", size->width, size->height);
  gchar *desc = NULL;
  GPtrArray *samples;
  GstSample *sample;

  switch (variant) {
    case VARIANT_RAW:
      desc = g_strdup_printf ("videotestsrc pattern=%s num-buffers=1 ! %s ! "
          "appsink name=sink", pattern, caps);
      break;
    case VARIANT_X264:
      desc = g_strdup_printf ("videotestsrc pattern=%s num-buffers=1 ! %s ! "
          ENCODE " ! appsink name=sink", pattern, caps);
      break;
    case VARIANT_CLOCK:
      desc = g_strdup_printf ("videotestsrc pattern=%s num-buffers=1 ! %s ! "
          "timeoverlay halignment=center valignment=center "
          "font-desc=\"Sans Bold 24\" ! " ENCODE " ! appsink name=sink",
          pattern, caps);
      break;
    case VARIANT_LOGO:
      desc = g_strdup_printf ("compositor name=mix sink_1::xpos=%d "
          "sink_1::ypos=%d ! %s ! " ENCODE " ! appsink name=sink "
          "videotestsrc pattern=%s num-buffers=1 ! %s ! mix.sink_0 "
          "videotestsrc pattern=red num-buffers=1 ! video/x-raw,format=I420,"
          "width=%d,height=%d,framerate=30/1 ! mix.sink_1",
          size->width * 4 / 5, size->height / 20, caps, pattern, caps,
          size->width / 8, size->height / 8);
      break;
    default:
      g_assert_not_reached ();
  }

  samples = capture (desc);
  sample = gst_sample_ref (g_ptr_array_index (samples, samples->len - 1));
  g_ptr_array_unref (samples);
  g_free (desc);
  g_free (caps);

  return sample;
}

static void
test_bars_videotestsrc (void)
{
  static const struct
  {
    const gchar *name;
    FdpassBarsPattern pattern;
  } patterns[] = {
    {"smpte", FDPASS_BARS_SMPTE},
    {"smpte75", FDPASS_BARS_SMPTE75},
    {"smpte100", FDPASS_BARS_SMPTE100},
    {"smpte-rp-219", FDPASS_BARS_SMPTE_RP219},
  };
  gboolean have_clock = have_element ("timeoverlay");
  guint p, s, v;

  if (!have_clock)
    g_test_message ("timeoverlay (gst-plugins-base pango) is not installed: "
        "no clock overlay cases");

  for (p = 0; p < G_N_ELEMENTS (patterns); p++) {
    for (s = 0; s < N_SIZES; s++) {
      for (v = 0; v < N_VARIANTS; v++) {
        GstSample *sample;
        gchar *what;

        if ((v == VARIANT_CLOCK && !have_clock) || (v > VARIANT_X264
                && !OVERLAY_SIZE (s)))
          continue;
        /* 2160p: raw and x264 of smpte and smpte-rp-219 */
        if (s == SIZE_2160P && (patterns[p].pattern == FDPASS_BARS_SMPTE75
                || patterns[p].pattern == FDPASS_BARS_SMPTE100
                || v > VARIANT_X264))
          continue;

        sample = videotestsrc_frame (patterns[p].name, &sizes[s], v);
        what = g_strdup_printf ("%s %s %s", patterns[p].name, sizes[s].name,
            variant_names[v]);
        check_bars (what, sample, patterns[p].pattern);
        g_free (what);
        gst_sample_unref (sample);
      }
    }
  }
}

/* EBU 100/0/75/0 bars written in memory (BT.601 limited range): EBU bars
 * without ffmpeg */
static void
test_bars_synthetic_ebu (void)
{
  GstSample *s, *t;

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

  a = capture ("videotestsrc pattern=smpte-rp-219 num-buffers=1 ! "
      "video/x-raw,format=I420,width=1280,height=720,colorimetry=bt601 ! "
      "appsink name=sink");
  s = g_ptr_array_index (a, 0);
  check_bars ("smpte-rp-219 720p bt601", s, FDPASS_BARS_SMPTE_RP219);
  g_ptr_array_unref (a);

  if (!have_element ("clockoverlay")) {
    g_test_message ("clockoverlay (gst-plugins-base pango) is not "
        "installed: no clock overlay case");
    return;
  }
  a = capture ("videotestsrc pattern=smpte num-buffers=1 ! "
      "video/x-raw,format=I420,width=1280,height=720 ! clockoverlay ! "
      "appsink name=sink");
  s = g_ptr_array_index (a, 0);
  check_bars ("smpte 720p clockoverlay", s, FDPASS_BARS_SMPTE);
  g_ptr_array_unref (a);
}

/* --- ffmpeg -------------------------------------------------------------- */

static gboolean
have_ffmpeg (void)
{
  gchar *path = g_find_program_in_path ("ffmpeg");

  g_free (path);
  return path != NULL;
}

/* Runs ffmpeg with these arguments. FALSE when it is not installed. */
static gboolean
run_ffmpeg (GPtrArray * args)
{
  gchar *path = g_find_program_in_path ("ffmpeg");
  gchar *out = NULL, *err_out = NULL;
  GError *err = NULL;
  gint status = 0;

  if (path == NULL)
    return FALSE;

  g_ptr_array_insert (args, 0, path);
  g_ptr_array_add (args, NULL);
  g_assert_true (g_spawn_sync (NULL, (gchar **) args->pdata, NULL,
          G_SPAWN_DEFAULT, NULL, NULL, &out, &err_out, &status, &err));
  g_assert_no_error (err);
  if (!g_spawn_check_wait_status (status, &err))
    g_error ("ffmpeg failed: %s\n%s", err->message, err_out);
  g_free (out);
  g_free (err_out);

  return TRUE;
}

static void
add_arg (GPtrArray * args, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static void add_arg (GPtrArray * args, const gchar * format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_ptr_array_add (args, g_strdup_vprintf (format, ap));
  va_end (ap);
}

static gchar *
ffmpeg_file (const gchar * dir, const gchar * source, guint size,
    Variant variant)
{
  gchar *name = g_strdup_printf ("%s-%s-%s.%s", source, sizes[size].name,
      variant_names[variant], variant == VARIANT_RAW ? "y4m" : "mkv");
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (name);
  return path;
}

/* Generates one frame of a lavfi source at every size, raw (y4m) and
 * through libx264 (crf 26, moderate quality), plain and (at some sizes)
 * with a clock (drawtext) and a logo (drawbox), in one ffmpeg run. FALSE
 * without ffmpeg. */
static gboolean
ffmpeg_generate (const gchar * dir, const gchar * source)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  gboolean ret;
  guint s, v;

  add_arg (args, "-nostdin");
  add_arg (args, "-loglevel");
  add_arg (args, "error");
  add_arg (args, "-y");
  for (s = 0; s < N_SIZES; s++) {
    add_arg (args, "-f");
    add_arg (args, "lavfi");
    add_arg (args, "-i");
    add_arg (args, "%s=s=%dx%d:d=0.04", source, sizes[s].width,
        sizes[s].height);
    add_arg (args, "-f");
    add_arg (args, "lavfi");
    add_arg (args, "-i");
    add_arg (args, "%s=s=%dx%d:d=0.04,drawtext=text='12\\:34\\:56':"
        "fontsize=h/10:fontcolor=white:x=(w-tw)/2:y=h/3,"
        "drawbox=x=iw*4/5:y=ih/20:w=iw/8:h=ih/8:color=red:t=fill", source,
        sizes[s].width, sizes[s].height);
  }
  for (s = 0; s < N_SIZES; s++) {
    for (v = VARIANT_RAW; v <= VARIANT_CLOCK; v++) {
      /* 2160p: x264 only */
      if ((s == SIZE_2160P && v != VARIANT_X264) || (v == VARIANT_CLOCK
              && !OVERLAY_SIZE (s)))
        continue;
      add_arg (args, "-map");
      add_arg (args, "%u", 2 * s + (v == VARIANT_CLOCK ? 1 : 0));
      add_arg (args, "-frames:v");
      add_arg (args, "1");
      add_arg (args, "-pix_fmt");
      add_arg (args, "yuv420p");
      if (v != VARIANT_RAW) {
        add_arg (args, "-c:v");
        add_arg (args, "libx264");
        add_arg (args, "-preset");
        add_arg (args, "ultrafast");
        add_arg (args, "-crf");
        add_arg (args, "26");
      }
      g_ptr_array_add (args, ffmpeg_file (dir, source, s, v));
    }
  }

  ret = run_ffmpeg (args);
  g_ptr_array_unref (args);
  return ret;
}

static void
test_bars_ffmpeg (void)
{
  static const struct
  {
    const gchar *source;
    FdpassBarsPattern pattern;
  } sources[] = {
    {"smptebars", FDPASS_BARS_SMPTE},
    {"smptehdbars", FDPASS_BARS_SMPTE_RP219},
    {"pal75bars", FDPASS_BARS_EBU},
    {"pal100bars", FDPASS_BARS_EBU},
  };
  GError *err = NULL;
  gchar *dir;
  guint i, s, v;

  if (!have_ffmpeg ()) {
    g_test_skip ("ffmpeg is not installed: no frames of ffmpeg's "
        "smptebars, smptehdbars, pal75bars and pal100bars");
    return;
  }

  dir = g_dir_make_tmp ("fdpass-detectors-XXXXXX", &err);
  g_assert_no_error (err);

  for (i = 0; i < G_N_ELEMENTS (sources); i++) {
    g_assert_true (ffmpeg_generate (dir, sources[i].source));

    for (s = 0; s < N_SIZES; s++) {
      for (v = VARIANT_RAW; v <= VARIANT_CLOCK; v++) {
        gchar *path, *desc, *what;
        GPtrArray *a;

        if ((s == SIZE_2160P && v != VARIANT_X264) || (v == VARIANT_CLOCK
                && !OVERLAY_SIZE (s)))
          continue;

        path = ffmpeg_file (dir, sources[i].source, s, v);
        if (v == VARIANT_RAW)
          desc = g_strdup_printf ("filesrc location=%s ! y4mdec ! "
              "appsink name=sink", path);
        else
          desc = g_strdup_printf ("filesrc location=%s ! matroskademux ! "
              "h264parse ! avdec_h264 ! appsink name=sink", path);
        a = capture (desc);
        what = g_strdup_printf ("ffmpeg %s %s %s", sources[i].source,
            sizes[s].name, v == VARIANT_CLOCK ? "clock+logo+x264" :
            variant_names[v]);
        check_bars (what, g_ptr_array_index (a, 0), sources[i].pattern);
        g_ptr_array_unref (a);
        g_unlink (path);
        g_free (what);
        g_free (desc);
        g_free (path);
      }
    }
  }

  g_rmdir (dir);
  g_free (dir);
}

/* --- not bars ------------------------------------------------------------ */

static void
assert_not_bars (const gchar * what, GstSample * sample)
{
  FdpassSampleResult r;

  analyze (sample, NULL, &r);
  print_result (what, &r);
  g_assert_cmpint (r.bars.pattern, ==, FDPASS_BARS_NONE);
  g_assert_cmpfloat (r.bars.score, <, 0.6);
}

/* a photo-like picture: sky, a sun, hills, texture; colour everywhere */
static GstSample *
synthetic_photo (gint width, gint height)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  GstBuffer *buf;
  gint x, y;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  g_assert_true (gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < height; y++) {
    for (x = 0; x < width; x++) {
      gdouble fx = (gdouble) x / width, fy = (gdouble) y / height;
      gdouble hill = 0.6 + 0.1 * sin (fx * 7.0) + 0.05 * sin (fx * 23.0);
      gdouble sun = hypot (fx - 0.7, fy - 0.2) < 0.08 ? 1.0 : 0.0;
      gdouble l, u, v;

      if (fy < hill) {
        l = 170 - 60 * fy + 60 * sun;
        u = 150 - 30 * fy - 40 * sun;
        v = 115 + 10 * fy + 30 * sun;
      } else {
        l = 70 + 25 * sin (x / 3.0) * cos (y / 4.0) + 20 * fx;
        u = 100 + 10 * sin (x / 9.0);
        v = 110 + 8 * cos (y / 7.0);
      }
      l += g_random_int_range (-6, 7);
      GST_VIDEO_FRAME_COMP_DATA (&vf, 0)[y * GST_VIDEO_FRAME_COMP_STRIDE (&vf,
              0) + x] = (guint8) CLAMP (l, 16, 235);
      if (x % 2 == 0 && y % 2 == 0) {
        GST_VIDEO_FRAME_COMP_DATA (&vf, 1)[(y / 2) *
            GST_VIDEO_FRAME_COMP_STRIDE (&vf, 1) + x / 2] =
            (guint8) CLAMP (u, 16, 240);
        GST_VIDEO_FRAME_COMP_DATA (&vf, 2)[(y / 2) *
            GST_VIDEO_FRAME_COMP_STRIDE (&vf, 2) + x / 2] =
            (guint8) CLAMP (v, 16, 240);
      }
    }
  }
  gst_video_frame_unmap (&vf);

  return make_sample (&info, buf);
}

static void
test_not_bars (void)
{
  static const gchar *patterns[] = { "snow", "ball", "pinwheel", "spokes",
    "gradient", "colors", "zone-plate", "chroma-zone-plate", "gamut",
    "checkers-8", "circular", "bar", "white", "red", "blue"
  };
  static const gchar *ffmpeg_sources[] = { "rgbtestsrc", "testsrc",
    "testsrc2", "yuvtestsrc"
  };
  GstSample *s, *t;
  gchar *what;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (patterns); i++) {
    s = videotestsrc_frame (patterns[i], &sizes[2], VARIANT_X264);
    what = g_strdup_printf ("%s 360p x264", patterns[i]);
    assert_not_bars (what, s);
    g_free (what);
    gst_sample_unref (s);

    s = videotestsrc_frame (patterns[i], &sizes[5], VARIANT_RAW);
    what = g_strdup_printf ("%s 1080p", patterns[i]);
    assert_not_bars (what, s);
    g_free (what);
    gst_sample_unref (s);
  }

  s = synthetic_photo (WIDTH, HEIGHT);
  assert_not_bars ("photo", s);
  t = x264_round_trip (s);
  assert_not_bars ("photo (x264)", t);
  gst_sample_unref (t);
  gst_sample_unref (s);

  if (!have_ffmpeg ()) {
    g_test_skip ("ffmpeg is not installed: no frames of ffmpeg's "
        "rgbtestsrc, testsrc, testsrc2 and yuvtestsrc");
    return;
  }
  for (i = 0; i < G_N_ELEMENTS (ffmpeg_sources); i++) {
    GError *err = NULL;
    gchar *dir = g_dir_make_tmp ("fdpass-detectors-XXXXXX", &err);
    gchar *path = g_build_filename (dir, "frame.y4m", NULL);
    gchar *desc;
    GPtrArray *args = g_ptr_array_new_with_free_func (g_free), *a;

    g_assert_no_error (err);
    add_arg (args, "-nostdin");
    add_arg (args, "-loglevel");
    add_arg (args, "error");
    add_arg (args, "-f");
    add_arg (args, "lavfi");
    add_arg (args, "-i");
    add_arg (args, "%s=s=1280x720:d=0.04", ffmpeg_sources[i]);
    add_arg (args, "-frames:v");
    add_arg (args, "1");
    add_arg (args, "-pix_fmt");
    add_arg (args, "yuv420p");
    add_arg (args, "%s", path);
    g_assert_true (run_ffmpeg (args));
    g_ptr_array_unref (args);

    desc = g_strdup_printf ("filesrc location=%s ! y4mdec ! "
        "appsink name=sink", path);
    a = capture (desc);
    what = g_strdup_printf ("ffmpeg %s 720p", ffmpeg_sources[i]);
    assert_not_bars (what, g_ptr_array_index (a, 0));
    g_ptr_array_unref (a);
    g_unlink (path);
    g_rmdir (dir);
    g_free (what);
    g_free (desc);
    g_free (path);
    g_free (dir);
  }
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

/* Frames `every` apart of a pipeline, through the detectors, the drift
 * check and a state machine with the analyzer's defaults, as if they were
 * 100 ms apart. Returns the number of state changes to `forbidden`. */
static guint
run_samples (const gchar * desc, guint every, FdpassStreamState forbidden,
    FdpassStreamState * final)
{
  GPtrArray *a = capture (desc);
  FdpassStateMachine sm;
  FdpassPHash prev, anchor;
  guint i, n = 0, n_forbidden = 0;

  fdpass_state_machine_init (&sm, FDPASS_DEFAULT_HYSTERESIS,
      FDPASS_DEFAULT_STILL_HOLD, FDPASS_DEFAULT_FROZEN_SAMPLES);
  for (i = 0; i < a->len; i += every, n++) {
    FdpassSampleResult r;

    analyze (g_ptr_array_index (a, i), n ? &prev : NULL, &r);
    if (n)
      fdpass_analysis_check_drift (&anchor, &r);
    if (r.klass != FDPASS_SAMPLE_STATIC && r.klass != FDPASS_SAMPLE_FROZEN)
      anchor = r.hash;
    prev = r.hash;
    if (fdpass_state_machine_push (&sm, r.klass, n * 0.1)) {
      g_print ("# frame %u: %s since %.1f (%s, dist %u, delta %.2f)\n", i,
          fdpass_stream_state_name (sm.state), sm.state_start,
          fdpass_sample_class_name (r.klass), r.hash_distance, r.cell_delta);
      if (sm.state == forbidden)
        n_forbidden++;
    }
  }
  *final = sm.state;
  g_ptr_array_unref (a);

  return n_forbidden;
}

/* a frozen picture is still at once; scenes that move slowly never are */
static void
test_frozen_and_slow (void)
{
  FdpassStreamState final;

  /* a static picture through x264: near-identical samples (the encoder
   * still refines it at first, the picture may be live for a while) */
  g_assert_cmpuint (run_samples ("videotestsrc pattern=pinwheel "
          "num-buffers=45 ! " RAW_CAPS " ! " X264 " ! appsink name=sink", 3,
          FDPASS_STATE_STILL, &final), ==, 1);
  g_assert_cmpint (final, ==, FDPASS_STATE_STILL);

  /* 1 pixel per frame, sampled every frame (4 px/s at 30 fps sampled every
   * 100 ms would be slower than anything the motion test sees) */
  g_assert_cmpuint (run_samples ("videotestsrc pattern=pinwheel "
          "horizontal-speed=1 num-buffers=90 ! " RAW_CAPS " ! " X264 " ! "
          "appsink name=sink", 1, FDPASS_STATE_STILL, &final), ==, 0);
  g_assert_cmpint (final, ==, FDPASS_STATE_LIVE);

  /* the ball, sampled every 100 ms: it stands still for 8 frames (267 ms)
   * at the top of its path, less than the 500 ms of 5 frozen samples */
  g_assert_cmpuint (run_samples ("videotestsrc pattern=ball "
          "num-buffers=120 ! " RAW_CAPS " ! " X264 " ! appsink name=sink", 3,
          FDPASS_STATE_STILL, &final), ==, 0);
  g_assert_cmpint (final, ==, FDPASS_STATE_LIVE);
}

/* --- state machine ------------------------------------------------------- */

typedef struct
{
  FdpassStreamState state;
  gdouble start;
  gdouble confirmed;            /* time of the sample that made the change */
} Change;

static guint
run_machine_full (const gchar * sequence, gdouble interval, guint hysteresis,
    gdouble still_hold, guint frozen_samples, Change * changes,
    guint max_changes)
{
  FdpassStateMachine sm;
  guint i, n = 0;

  fdpass_state_machine_init (&sm, hysteresis, still_hold, frozen_samples);
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
      case 'F':
        klass = FDPASS_SAMPLE_FROZEN;
        break;
      default:
        klass = FDPASS_SAMPLE_STATIC;
        break;
    }
    if (fdpass_state_machine_push (&sm, klass, i * interval)) {
      g_assert_cmpuint (n, <, max_changes);
      changes[n].state = sm.state;
      changes[n].start = sm.state_start;
      changes[n].confirmed = i * interval;
      g_print ("# sample %u: %s since %.1f\n", i,
          fdpass_stream_state_name (sm.state), sm.state_start);
      n++;
    }
  }
  return n;
}

static guint
run_machine (const gchar * sequence, gdouble interval, Change * changes,
    guint max_changes)
{
  return run_machine_full (sequence, interval, 3, 1.5, 3, changes, max_changes);
}

/* with the analyzer's defaults, 100 ms apart */
static guint
run_machine_defaults (const gchar * sequence, Change * changes,
    guint max_changes)
{
  return run_machine_full (sequence, FDPASS_DEFAULT_SAMPLE_INTERVAL_MS /
      1000.0, FDPASS_DEFAULT_HYSTERESIS, FDPASS_DEFAULT_STILL_HOLD,
      FDPASS_DEFAULT_FROZEN_SAMPLES, changes, max_changes);
}

static void
assert_change (const Change * c, FdpassStreamState state, gdouble start,
    gdouble max_delay)
{
  g_print ("# %s at %.2f, known at %.2f (%.2f s later)\n",
      fdpass_stream_state_name (c->state), c->start, c->confirmed,
      c->confirmed - c->start);
  g_assert_cmpint (c->state, ==, state);
  g_assert_cmpfloat (fabs (c->start - start), <, 1e-9);
  g_assert_cmpfloat (c->confirmed - c->start, <=, max_delay + 1e-9);
}

/* timing with the defaults: every change is dated at the first sample of
 * the new state, a frozen picture is known 0.5 s after
 * the first sample that showed it */
static void
test_state_machine_timing (void)
{
  Change c[16];
  guint n;

  /* live, then frozen at sample 10: the first frozen sample (11) equals
   * sample 10, which already showed the picture */
  n = run_machine_defaults ("MMMMMMMMMM" "MFFFFFFFFF" "MMMMMM", c,
      G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 3);
  assert_change (&c[0], FDPASS_STATE_LIVE, 0.0, 0.4);
  assert_change (&c[1], FDPASS_STATE_STILL, 1.0, 0.5);
  assert_change (&c[2], FDPASS_STATE_LIVE, 2.0, 0.4);

  /* an encoder refining the frozen picture: a static sample among the
   * frozen ones delays it, does not stop it */
  n = run_machine_defaults ("MMMMMM" "MFSFFFFF", c, G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 2);
  assert_change (&c[1], FDPASS_STATE_STILL, 0.6, 0.7);

  /* the same picture for 4 samples only (videotestsrc's ball at the top
   * of its path in the HLS demo) is not still */
  n = run_machine_defaults ("MMMMMM" "MSFFFFS" "MMMMMM", c, G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 1);

  /* black, then a dim noisy scene whose samples are now motion, now
   * static: live from its first sample */
  n = run_machine_defaults ("BBBBBBBBBB" "MSMSSMSSMS" "SMSMSMSM", c,
      G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 2);
  assert_change (&c[0], FDPASS_STATE_BLACK, 0.0, 0.4);
  assert_change (&c[1], FDPASS_STATE_LIVE, 1.0, 0.4);

  /* black, then a frozen picture: still from the picture's first sample */
  n = run_machine_defaults ("BBBBBBBBBB" "MFFFFFFF", c, G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 2);
  assert_change (&c[1], FDPASS_STATE_STILL, 1.0, 0.5);

  /* bars, then black, then bars: each from its first sample */
  n = run_machine_defaults ("CCCCCCCC" "BBBBBBB" "CCCCCCC", c,
      G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 3);
  assert_change (&c[0], FDPASS_STATE_BARS, 0.0, 0.4);
  assert_change (&c[1], FDPASS_STATE_BLACK, 0.8, 0.4);
  assert_change (&c[2], FDPASS_STATE_BARS, 1.5, 0.4);

  /* a static but not frozen picture (noise, slow encoder): still after
   * the hold time only, dated from the sample before its run */
  n = run_machine_defaults ("MMMMM" "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS", c,
      G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 2);
  assert_change (&c[1], FDPASS_STATE_STILL, 0.4, FDPASS_DEFAULT_STILL_HOLD);
  g_assert_cmpfloat (c[1].confirmed - c[1].start, >=,
      FDPASS_DEFAULT_STILL_HOLD - 1e-9);

  /* glitches shorter than the hysteresis change nothing */
  n = run_machine_defaults ("MMMMM" "BBBB" "MM" "CCCC" "MFF" "MMMM", c,
      G_N_ELEMENTS (c));
  g_assert_cmpuint (n, ==, 1);
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
  g_test_add_func ("/analysis/dim-noisy", test_dim_noisy);
  g_test_add_func ("/analysis/bars/videotestsrc", test_bars_videotestsrc);
  g_test_add_func ("/analysis/bars/synthetic-ebu", test_bars_synthetic_ebu);
  g_test_add_func ("/analysis/bars/formats", test_bars_formats);
  g_test_add_func ("/analysis/bars/ffmpeg", test_bars_ffmpeg);
  g_test_add_func ("/analysis/not-bars", test_not_bars);
  g_test_add_func ("/analysis/hash", test_hash);
  g_test_add_func ("/analysis/state-machine", test_state_machine);
  g_test_add_func ("/analysis/state-machine/timing", test_state_machine_timing);
  g_test_add_func ("/analysis/frozen-and-slow", test_frozen_and_slow);

  return g_test_run ();
}
