/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * decoder.c: how many times a decoded frame is copied between a video
 * decoder and the receiver, and why
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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/fdpass/fdpass.h>

#include <string.h>

#include "../fdpass-check.h"

#define WIDTH 320
#define HEIGHT 240
#define N_FRAMES 30
#define VIDEO_CAPS_STR "video/x-raw,format=I420,width=320,height=240," \
    "framerate=30/1"

#define WAIT_TIMEOUT (120 * GST_SECOND)

static guint64
get_stat (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 value = 0;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &value), "no %s in %"
      GST_PTR_FORMAT, field, s);
  gst_structure_free (s);

  return value;
}

/* Whether fdpay's pool made @mem (the mark its pool leaves on its memory) */
static gboolean
memory_of_fdpay_pool (GstMemory * mem)
{
  GQuark owned = g_quark_try_string ("fdpass-pool-owned");

  while (mem->parent)
    mem = mem->parent;

  return owned != 0 &&
      gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (mem), owned) != NULL;
}

/* The pool and the allocator fdpay proposes for VIDEO_CAPS_STR */
static void
get_proposal (GstHarness * h, GstBufferPool ** pool, GstAllocator ** allocator)
{
  GstCaps *caps = gst_caps_from_string (VIDEO_CAPS_STR);
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstStructure *config;

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, pool, NULL, NULL, NULL);
  gst_query_parse_nth_allocation_param (query, 0, allocator, NULL);
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (*allocator));

  config = gst_buffer_pool_get_config (*pool);
  gst_buffer_pool_config_set_params (config, caps,
      WIDTH * HEIGHT * 3 / 2, 0, 0);
  fail_unless (gst_buffer_pool_set_config (*pool, config));
  fail_unless (gst_buffer_pool_set_active (*pool, TRUE));

  gst_query_unref (query);
  gst_caps_unref (caps);
}

/* The identity of the file of the next frame message fdpay pushed into
 * @h, the header messages before it skipped */
static void
pull_frame_file (GstHarness * h, guint64 * dev, guint64 * ino)
{
  GstFdPassBufferInfo info;
  GstBuffer *msg;
  gint ret;

  do {
    msg = gst_harness_try_pull (h);
    fail_unless (msg != NULL, "no frame message");
    ret = fdpass_check_parse_frame_message (msg, &info, dev, ino);
    gst_buffer_unref (msg);
  } while (ret == -1);
  fail_unless_equals_int (ret, 1);
}

/* the identity of the file of the first memory of @buf */
static void
buffer_file (GstBuffer * buf, guint64 * dev, guint64 * ino)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  fail_unless (gst_is_fd_memory (mem));
  fail_unless (fdpass_check_stat_fd (gst_fd_memory_get_fd (mem), dev, ino));
}

/* What GstVideoDecoder (1.22) does to a frame that avdec_h264 rendered
 * into fdpay's pool and that libav still references:
 *
 * avdec maps the pool's buffer read-write with gst_video_frame_map() when
 * libav asks for a picture, and keeps that mapping, and the reference to
 * the buffer that comes with it, until libav lets go of the picture, which
 * for a reference frame is after the frame was output.
 * gst_video_decoder_finish_frame() then makes the output buffer writable
 * to set its timestamps: the buffer has two references, so it is copied,
 * and its memory, locked for writing by avdec's mapping, cannot be shared
 * by a second buffer, so gst_buffer_copy_into() copies it with
 * gst_memory_copy().
 *
 * What fdpay can make sure of: the copy lands in a memfd of its allocator
 * and is sent as it is, so the frame is copied once, not twice; and a frame
 * nobody writes any more is not copied at all. */
GST_START_TEST (test_frame_mapped_for_writing_is_copied_once)
{
  GstHarness *h = gst_harness_new ("fdpay");
  GstBufferPool *pool = NULL;
  GstAllocator *allocator = NULL;
  GstBuffer *frame, *out;
  GstVideoFrame vframe;
  GstVideoInfo info;
  GstMemory *mem;
  GstCaps *caps;
  guint64 dev, ino, frame_dev, frame_ino;

  gst_harness_set_src_caps_str (h, VIDEO_CAPS_STR);
  get_proposal (h, &pool, &allocator);
  caps = gst_caps_from_string (VIDEO_CAPS_STR);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);

  /* the decoder keeps the frame mapped for writing, as avdec does for as
   * long as libav references the picture */
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &frame,
          NULL), GST_FLOW_OK);
  fail_unless (gst_video_frame_map (&vframe, &info, frame, GST_MAP_READWRITE));
  memset (GST_VIDEO_FRAME_PLANE_DATA (&vframe, 0), 0x5a,
      GST_VIDEO_FRAME_SIZE (&vframe));

  /* finish_frame(): make the output buffer writable */
  out = gst_buffer_make_writable (gst_buffer_ref (frame));
  fail_unless (out != frame);
  fail_unless (out->pool == NULL);
  mem = gst_buffer_peek_memory (out, 0);
  /* a deep copy, into a memfd of fdpay's allocator (the allocator of the
   * memory copied, which is not GST_ALLOCATOR_FLAG_CUSTOM_ALLOC) */
  fail_if (mem == gst_buffer_peek_memory (frame, 0));
  fail_if (memory_of_fdpay_pool (mem));
  fail_unless (mem->allocator == allocator);
  fail_unless (gst_is_tmp_file_memory (mem));

  fail_unless_equals_int (gst_harness_push (h, out), GST_FLOW_OK);
  /* which fdpay sends as it is: one copy in all */
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 1);
  /* the receiver gets the copy's file, not the one the decoder still may
   * write */
  pull_frame_file (h, &dev, &ino);
  buffer_file (frame, &frame_dev, &frame_ino);
  fail_if (dev == frame_dev && ino == frame_ino);

  gst_video_frame_unmap (&vframe);
  gst_buffer_unref (frame);

  /* a frame the decoder no longer writes: its memory is shared, not
   * copied, and sent as it is */
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &frame,
          NULL), GST_FLOW_OK);
  out = gst_buffer_make_writable (gst_buffer_ref (frame));
  fail_unless (out != frame);
  fail_unless (gst_buffer_peek_memory (out, 0) ==
      gst_buffer_peek_memory (frame, 0));
  fail_unless (memory_of_fdpay_pool (gst_buffer_peek_memory (out, 0)));
  fail_unless_equals_int (gst_harness_push (h, out), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 2);
  pull_frame_file (h, &dev, &ino);
  buffer_file (frame, &frame_dev, &frame_ino);
  fail_unless (dev == frame_dev && ino == frame_ino);
  gst_buffer_unref (frame);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (allocator);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg), err->message,
        dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

/* An H.264 stream of N_FRAMES moving frames, in @dir */
static gchar *
encode_stream (const gchar * dir)
{
  gchar *path = g_build_filename (dir, "stream.h264", NULL);
  gchar *desc;
  GstElement *pipeline;
  GError *err = NULL;

  desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=%d ! "
      VIDEO_CAPS_STR " ! x264enc speed-preset=ultrafast key-int-max=10 ! "
      "h264parse ! video/x-h264,stream-format=byte-stream ! "
      "filesink location=\"%s\"", N_FRAMES, path);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  run_to_eos (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  g_free (desc);

  return path;
}

/* CRC-32 of the visible pixels of a frame, whatever its strides */
static guint32
frame_crc (GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint32 crc = 0;
  guint p, row;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless (gst_video_frame_map (&frame, &info, gst_sample_get_buffer
          (sample), GST_MAP_READ));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint width = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (row = 0; row < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p); row++)
      crc = fdpass_check_crc32 (data + row * stride, width) ^ (crc * 31 + row);
  }
  gst_video_frame_unmap (&frame);

  return crc;
}

/* Pulls every frame of the appsink "sink" of @pipeline until EOS and
 * returns the CRC of each. @fd_memory: each frame must be fd memory, that
 * is map the file it was passed in rather than a copy. */
static GArray *
pull_crcs (GstElement * pipeline, gboolean fd_memory)
{
  GArray *crcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;
  gchar *error;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              WAIT_TIMEOUT))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    guint32 crc = frame_crc (sample);
    guint i;

    for (i = 0; fd_memory && i < gst_buffer_n_memory (buf); i++)
      fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (buf, i)),
          "frame %u was copied by the receiver", crcs->len);
    g_array_append_val (crcs, crc);
    gst_sample_unref (sample);
  }
  error = fdpass_check_pop_bus_error (pipeline);
  fail_unless (error == NULL, "%s", error);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)), "no EOS");
  gst_object_unref (sink);

  return crcs;
}

typedef struct
{
  GstBufferPool *pool;
  guint n_pooled;
  guint n_copied;
  guint n_other;
} InputOrigins;

/* the pool fdpay answered the decoder's ALLOCATION query with */
static GstPadProbeReturn
keep_proposed_pool (GstPad * pad, GstPadProbeInfo * info,
    InputOrigins * origins)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION &&
      gst_query_get_n_allocation_pools (query) > 0 && origins->pool == NULL)
    gst_query_parse_nth_allocation_pool (query, 0, &origins->pool, NULL,
        NULL, NULL);

  return GST_PAD_PROBE_OK;
}

/* Where the memory of each frame fdpay gets comes from: the decoder wrote
 * it in fdpay's pool, or the decoder's base class copied it into a memfd
 * of fdpay's allocator (the deep copy described above), or anything else. */
static GstPadProbeReturn
classify_input (GstPad * pad, GstPadProbeInfo * info, InputOrigins * origins)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  if (gst_buffer_n_memory (buf) != 1)
    origins->n_other++;
  else if (buf->pool && buf->pool == origins->pool &&
      memory_of_fdpay_pool (mem))
    origins->n_pooled++;
  else if (buf->pool == NULL && gst_is_tmp_file_memory (mem) &&
      !memory_of_fdpay_pool (mem))
    origins->n_copied++;
  else
    origins->n_other++;

  return GST_PAD_PROBE_OK;
}

/* avdec_h264 ! fdpay ! fddepay: the receiver gets the frames the decoder
 * made, bit for bit, and each frame is copied at most once on the way: by
 * GstVideoDecoder for the frames libav still references when they are
 * output (see test_frame_mapped_for_writing_is_copied_once), never by fdpay
 * nor by the receiver.
 *
 * Measured with GStreamer 1.22.0 and libavcodec 59: 28 of 30 frames with
 * two decoder threads, 29 of 30 with one; the others reach fdpay in the
 * pool's own buffers. */
GST_START_TEST (test_avdec_copies)
{
  gchar *dir, *path, *desc;
  GArray *reference, *received;
  GstElement *pipeline, *pay, *depay;
  InputOrigins origins = { NULL, 0, 0, 0 };
  GstStructure *config;
  GstPad *pad;
  GError *err = NULL;
  guint i;

  /* libav's dependencies use instructions that valgrind does not know
   * (libhwy's rdtscp) and die of SIGILL when the decoder is loaded */
  if (g_strrstr (GST_STR_NULL (g_getenv ("LD_PRELOAD")), "vgpreload")) {
    GST_WARNING ("under valgrind, skipping");
    return;
  }
  if (!fdpass_check_have_elements ("x264enc", "h264parse", "avdec_h264",
          NULL)) {
    GST_WARNING ("skipping, x264enc, h264parse or avdec_h264 missing");
    return;
  }

  dir = g_dir_make_tmp ("fdpass-decoder-XXXXXX", &err);
  fail_unless (dir != NULL, "%s", err ? err->message : "");
  path = encode_stream (dir);

  /* the frames as the decoder makes them, without fdpay */
  desc = g_strdup_printf ("filesrc location=\"%s\" ! h264parse ! avdec_h264 ! "
      "appsink name=sink sync=false", path);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  reference = pull_crcs (pipeline, FALSE);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  fail_unless_equals_int (reference->len, N_FRAMES);
  /* the frames differ: a receiver that got one frame again and again
   * would not match */
  fail_if (g_array_index (reference, guint32, 0) ==
      g_array_index (reference, guint32, N_FRAMES - 1));

  desc = g_strdup_printf ("filesrc location=\"%s\" ! h264parse ! "
      "avdec_h264 ! fdpay name=pay ! fddepay name=depay ! "
      "appsink name=sink sync=false", path);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  depay = gst_bin_get_by_name (GST_BIN (pipeline), "depay");
  pad = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_PULL, (GstPadProbeCallback) keep_proposed_pool,
      &origins, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) classify_input, &origins, NULL);
  gst_object_unref (pad);

  /* the receiver maps the memfds it was passed */
  received = pull_crcs (pipeline, TRUE);

  /* bit for bit the decoder's frames, in order */
  fail_unless_equals_int (received->len, N_FRAMES);
  for (i = 0; i < N_FRAMES; i++)
    fail_unless_equals_int (g_array_index (received, guint32, i),
        g_array_index (reference, guint32, i));

  /* avdec rendered into fdpay's pool: it set the pool up for libav's
   * strides and padding */
  fail_unless (origins.pool != NULL);
  config = gst_buffer_pool_get_config (origins.pool);
  fail_unless (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT));
  gst_structure_free (config);

  GST_INFO ("%u of %d frames copied by the decoder, %u straight from the "
      "pool, memfds created: %" G_GUINT64_FORMAT, origins.n_copied, N_FRAMES,
      origins.n_pooled, get_stat (pay, "memfds-created"));
  fail_unless_equals_int (origins.n_other, 0);
  fail_unless_equals_int (origins.n_pooled + origins.n_copied, N_FRAMES);
  /* no second copy, whatever the decoder did */
  fail_unless_equals_uint64 (get_stat (pay, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (pay, "zero-copy-buffers"), N_FRAMES);
  fail_unless_equals_uint64 (get_stat (depay, "unsealed-copies"), 0);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (origins.pool);
  gst_object_unref (depay);
  gst_object_unref (pay);
  gst_object_unref (pipeline);
  g_array_unref (received);
  g_array_unref (reference);
  g_free (path);
  fdpass_check_remove_dir (&dir);
}

GST_END_TEST;

static Suite *
decoder_suite (void)
{
  Suite *s = suite_create ("decoder");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_frame_mapped_for_writing_is_copied_once);
  tcase_add_test (tc_chain, test_avdec_copies);

  return s;
}

GST_CHECK_MAIN (decoder);
