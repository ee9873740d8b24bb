/* GStreamer fd passing example: HLS demo, frame flow
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

/* Builds and watches the pipeline that pulls the HLS stream, decodes it and
 * hands the frames to the analysis process:
 *
 *   <uri src> ! typefind ! hlsdemux ! decodebin ! concat ! videoconvert !
 *       video/x-raw,format={I420,NV12} ! fdpay ! multisocketsink sync=false
 *
 * (hlsdemux2 in place of hlsdemux when asked for). Variants: hlsdemux
 * exposes a new pad for each variant it switches to (the lowest first, a
 * higher one from the second segment on), as a new group of pads: the old
 * pad ends (EOS) after the new one appears. Each such pad gets a decodebin
 * of its own, whose video goes to a sink pad of concat requested at once,
 * so that concat plays the variants one after the other into the same
 * fdpay, none lost, whatever their resolution or codec; a branch whose
 * pad concat has finished with is removed. hlsdemux2 switches variants on
 * the same pad (the decoder gets new caps), and exposes audio on pads of
 * its own, which go to a fakesink. --variant pins one variant instead: the
 * master playlist is read on its way into the demuxer, and the demuxer is
 * told a connection speed of that variant's bandwidth (variants.c).
 *
 * Flow control: multisocketsink never blocks its upstream, so a decoder
 * faster than the analysis (always the case for a VOD stream read with
 * sync=false) would make it queue without bound. A pad probe on the sink
 * keeps at most PIPELINE_CREDIT_FRAMES frames in flight to the client
 * (counted with multisocketsink's send-dispatched events) and waits at most
 * CREDIT_WAIT_MS per frame for it: a healthy analysis process paces a VOD
 * stream, a stuck one costs only that wait until it is killed. On top of
 * that, units-soft-max with recover-policy=latest bounds the sink's queue
 * for any client, so our memory stays flat whatever the client does.
 * fdpay reads the client's releases (multisocketsink send-messages) and
 * reuses the memfds of the frames it is done with; when it holds 8, fdpay
 * waits for a release (wait-for-release) as long as for credit. With
 * no client, multisocketsink drops the frames; a client that joins
 * mid-stream gets fdpay's HELLO and CAPS (the streamheader) first.
 *
 * The streaming threads only update counters under the lock; everything
 * else is passed to the default main context and reported from there
 * through PipelineCallbacks. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "pipeline.h"
#include "diagnosis.h"
#include "variants.h"

#include <gst/fdpass/fdpass.h>
#include <gst/video/video.h>
#include <string.h>

/* the longest the sender waits for the analysis process, per frame */
#define CREDIT_WAIT_MS 200
/* frames the sink queues for a client before it skips to the newest */
#define SINK_SOFT_MAX 50
/* posted by fdpay's sink pad probe at the first frame, with hlsdemux2 */
#define FIRST_FRAME_MESSAGE "fdpass-hls-demo-first-frame"

/* the most of a master playlist we keep to read its variants */
#define MAX_PLAYLIST_SIZE (1024 * 1024)

/* one pad of the demuxer: its decodebin, and the concat pad its video goes
 * to */
typedef struct
{
  Pipeline *p;
  GstElement *decodebin;
  GstPad *concat_pad;
  gboolean video;
  gboolean done;
} Branch;

struct _Pipeline
{
  GstElement *pipeline;
  GstElement *demux;
  GstElement *pay;
  GstElement *concat;
  GstElement *sink;
  gchar *uri;
  PipelineOptions options;
  Diagnosis *diagnosis;

  PipelineCallbacks callbacks;
  gpointer user_data;

  /* set from streaming threads */
  GMutex lock;
  GCond cond;
  gchar *bad_type;
  gboolean have_video;
  /* the branches (Branch), and those without their no-more-pads yet */
  GList *branches;
  guint branches_pending;
  /* the master playlist as it goes into the demuxer, its variants, and
   * the one pinned (-1: the demuxer chooses) */
  GString *playlist;
  GPtrArray *variants;
  gint pinned;
  /* the first playlist when it is a media playlist, and whether its first
   * segment fetched was seen (main thread) */
  MediaPlaylist *media;
  gboolean first_segment_seen;
  /* the size of the frames at fdpay, to tell the variant played */
  gint width;
  gint height;
  gboolean size_changed;
  gboolean client_active;
  gboolean flushing;
  guint64 credit_sent;
  guint64 credit_done;
  guint64 frames;
  guint64 delivered;
  GstClockTime position;
  /* stream time of the first decoded frame: the demo's times count from
   * there, as a player's do from the first frame of the playlist */
  GstClockTime origin;
};

/* --- the streaming threads ----------------------------------------------- */

static void
pipeline_fail (Pipeline * p, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  p->callbacks.error (message, p->user_data);
  g_free (message);
}

/* The type of the fdpass message in @buf, or -1 */
static gint
fdpass_message_type (GstBuffer * buf)
{
  GstFdPassHeader header;
  GstMapInfo map;
  gint type = -1;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    if (gst_fdpass_header_parse (map.data, map.size, &header, NULL))
      type = header.type;
    gst_buffer_unmap (buf, &map);
  }

  return type;
}

/* multisocketsink's sink pad: count the frames in flight to the analysis
 * process and wait for it when there are too many. */
static GstPadProbeReturn
on_sink_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Pipeline *p = user_data;
  gint64 deadline;

  if (fdpass_message_type (GST_PAD_PROBE_INFO_BUFFER (info)) !=
      GST_FDPASS_MESSAGE_BUFFER)
    return GST_PAD_PROBE_OK;

  deadline = g_get_monotonic_time () + CREDIT_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&p->lock);
  while (p->client_active && !p->flushing &&
      p->credit_sent > p->credit_done + PIPELINE_CREDIT_FRAMES) {
    if (!g_cond_wait_until (&p->cond, &p->lock, deadline))
      break;
  }
  if (p->client_active)
    p->credit_sent++;
  g_mutex_unlock (&p->lock);

  return GST_PAD_PROBE_OK;
}

static gboolean
on_eos_delivered (gpointer user_data)
{
  Pipeline *p = user_data;

  p->callbacks.eos_delivered (p->user_data);

  return G_SOURCE_REMOVE;
}

/* GstNetworkMessageDispatched: multisocketsink wrote a message completely. */
static GstPadProbeReturn
on_sink_upstream_event (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  Pipeline *p = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  GstBuffer *buf = NULL;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM || s == NULL ||
      !gst_structure_has_name (s, "GstNetworkMessageDispatched"))
    return GST_PAD_PROBE_OK;

  if (gst_structure_get (s, "buffer", GST_TYPE_BUFFER, &buf, NULL)) {
    gint type = fdpass_message_type (buf);

    if (type == GST_FDPASS_MESSAGE_BUFFER) {
      g_mutex_lock (&p->lock);
      p->credit_done++;
      p->delivered++;
      g_cond_broadcast (&p->cond);
      g_mutex_unlock (&p->lock);
    } else if (type == GST_FDPASS_MESSAGE_EOS) {
      g_main_context_invoke (NULL, on_eos_delivered, p);
    }
  }
  gst_clear_buffer (&buf);

  return GST_PAD_PROBE_DROP;
}

typedef struct
{
  Pipeline *p;
  GSocket *socket;
} RemovedSocket;

static gboolean
on_socket_removed_main (gpointer user_data)
{
  RemovedSocket *rs = user_data;

  rs->p->callbacks.client_removed (rs->socket, rs->p->user_data);
  g_object_unref (rs->socket);
  g_free (rs);

  return G_SOURCE_REMOVE;
}

/* multisocketsink let go of a socket: we removed it, or it dropped it. */
static void
on_client_socket_removed (GstElement * sink, GSocket * socket,
    gpointer user_data)
{
  RemovedSocket *rs = g_new0 (RemovedSocket, 1);

  if (!g_socket_is_closed (socket))
    g_socket_close (socket, NULL);

  rs->p = user_data;
  rs->socket = g_object_ref (socket);
  g_main_context_invoke (NULL, on_socket_removed_main, rs);
}

typedef struct
{
  Pipeline *p;
  PipelineVariant variant;
} VariantChange;

static gboolean
on_variant_main (gpointer user_data)
{
  VariantChange *vc = user_data;

  vc->p->callbacks.variant (&vc->variant, vc->p->user_data);
  g_free (vc);

  return G_SOURCE_REMOVE;
}

/* The variant that frames of @width x @height come from, with the lock
 * held: the one of that size, else the pinned one, else the only one. */
static void
pipeline_identify_variant (Pipeline * p, gint width, gint height,
    PipelineVariant * variant)
{
  gint index = -1;

  if (p->variants) {
    index = variants_find_by_size (p->variants, width, height);
    if (index < 0 && p->pinned >= 0)
      index = p->pinned;
    if (index < 0 && p->variants->len == 1)
      index = 0;
  }

  variant->index = index;
  variant->bandwidth = index >= 0 ?
      ((Variant *) g_ptr_array_index (p->variants, index))->bandwidth : 0;
  variant->width = width;
  variant->height = height;
}

/* fdpay's sink pad: frames decoded, where the stream is, and the size of
 * the frames, which tells the variant */
static GstPadProbeReturn
on_pay_data (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Pipeline *p = user_data;
  GstBuffer *buf;
  GstEvent *seg_event;
  GstClockTime pos = GST_CLOCK_TIME_NONE;
  VariantChange *vc = NULL;
  gboolean first = FALSE;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstVideoInfo vinfo;
    GstCaps *caps;

    if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    gst_event_parse_caps (event, &caps);
    if (gst_video_info_from_caps (&vinfo, caps)) {
      g_mutex_lock (&p->lock);
      if (vinfo.width != p->width || vinfo.height != p->height) {
        p->width = vinfo.width;
        p->height = vinfo.height;
        p->size_changed = TRUE;
      }
      g_mutex_unlock (&p->lock);
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (seg_event && GST_BUFFER_PTS_IS_VALID (buf)) {
    const GstSegment *segment;

    gst_event_parse_segment (seg_event, &segment);
    pos = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  }
  gst_clear_event (&seg_event);

  g_mutex_lock (&p->lock);
  p->frames++;
  if (GST_CLOCK_TIME_IS_VALID (pos)) {
    if (!GST_CLOCK_TIME_IS_VALID (p->origin)) {
      p->origin = pos;
      first = TRUE;
    }
    p->position = pos > p->origin ? pos - p->origin : 0;
  }
  if (p->size_changed) {
    p->size_changed = FALSE;
    vc = g_new0 (VariantChange, 1);
    vc->p = p;
    pipeline_identify_variant (p, p->width, p->height, &vc->variant);
    vc->variant.at = GST_CLOCK_TIME_IS_VALID (p->position) ?
        p->position / (gdouble) GST_SECOND : 0.0;
  }
  g_mutex_unlock (&p->lock);

  if (vc)
    g_main_context_invoke (NULL, on_variant_main, vc);
  /* hlsdemux2 does not tell which segment it fetched first: the stream
   * time of the first frame does (pipeline_observe_first_frame) */
  if (first && g_str_equal (p->options.demux, "hlsdemux2"))
    gst_element_post_message (p->pipeline,
        gst_message_new_application (GST_OBJECT (pad),
            gst_structure_new (FIRST_FRAME_MESSAGE, "stream-time",
                GST_TYPE_CLOCK_TIME, pos, NULL)));

  return GST_PAD_PROBE_OK;
}

typedef struct
{
  Pipeline *p;
  GPtrArray *variants;
  gint pinned;
  gchar *error;
} MasterPlaylist;

static gboolean
on_master_playlist_main (gpointer user_data)
{
  MasterPlaylist *mp = user_data;

  if (mp->error)
    pipeline_fail (mp->p, "%s", mp->error);
  else
    mp->p->callbacks.variants (mp->variants, mp->pinned, mp->p->user_data);
  /* p->media does not change once set */
  if (mp->p->media && !mp->p->first_segment_seen)
    mp->p->callbacks.playlist (mp->p->media, NULL, mp->p->user_data);
  g_ptr_array_unref (mp->variants);
  g_free (mp->error);
  g_free (mp);

  return G_SOURCE_REMOVE;
}

/* The demuxer's sink pad: the playlist it reads first. At its end, before
 * the demuxer chooses a variant, we read the variants and pin the one
 * --variant names. */
static GstPadProbeReturn
on_demux_playlist (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Pipeline *p = user_data;
  MasterPlaylist *mp;
  GError *err = NULL;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstMapInfo map;

    if (p->playlist->len < MAX_PLAYLIST_SIZE &&
        gst_buffer_map (buf, &map, GST_MAP_READ)) {
      g_string_append_len (p->playlist, (const gchar *) map.data,
          MIN (map.size, MAX_PLAYLIST_SIZE - p->playlist->len));
      gst_buffer_unmap (buf, &map);
    }
    return GST_PAD_PROBE_OK;
  }

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  mp = g_new0 (MasterPlaylist, 1);
  mp->p = p;
  mp->variants = variants_parse (p->playlist->str);
  mp->pinned = -1;
  if (p->options.variant && mp->variants->len > 0) {
    mp->pinned = variants_find (mp->variants, p->options.variant, &err);
    if (mp->pinned >= 0) {
      variants_pin_demux (p->demux, g_ptr_array_index (mp->variants,
              mp->pinned));
    } else {
      mp->error = g_strdup (err->message);
      g_clear_error (&err);
    }
  }
  g_mutex_lock (&p->lock);
  g_clear_pointer (&p->variants, g_ptr_array_unref);
  p->variants = g_ptr_array_ref (mp->variants);
  p->pinned = mp->pinned;
  if (p->media == NULL)
    p->media = media_playlist_parse (p->playlist->str, p->uri);
  g_mutex_unlock (&p->lock);
  g_string_truncate (p->playlist, 0);

  g_main_context_invoke (NULL, on_master_playlist_main, mp);

  return GST_PAD_PROBE_REMOVE;
}

/* --- dynamic pads -------------------------------------------------------- */

static gboolean
on_not_hls (gpointer user_data)
{
  Pipeline *p = user_data;
  gchar *bad_type;

  g_mutex_lock (&p->lock);
  bad_type = g_strdup (p->bad_type);
  g_mutex_unlock (&p->lock);
  pipeline_fail (p, "%s is not an HLS playlist (its content is %s)", p->uri,
      bad_type);
  g_free (bad_type);

  return G_SOURCE_REMOVE;
}

static void
on_have_type (GstElement * typefind, guint probability, GstCaps * caps,
    gpointer user_data)
{
  Pipeline *p = user_data;
  const GstStructure *s = gst_caps_get_structure (caps, 0);

  if (!gst_structure_has_name (s, "application/x-hls")) {
    g_mutex_lock (&p->lock);
    g_free (p->bad_type);
    p->bad_type = g_strdup (gst_structure_get_name (s));
    g_mutex_unlock (&p->lock);
    /* it may not fail by itself: typefind just cannot link */
    g_main_context_invoke (NULL, on_not_hls, p);
  }
}

/* A pad we do not analyse: into a fakesink, so that it does not stop the
 * stream with not-linked. */
static void
pipeline_discard_pad (Pipeline * p, GstPad * pad)
{
  GstElement *fake = gst_element_factory_make ("fakesink", NULL);
  GstPad *fpad;

  g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (p->pipeline), fake);
  gst_element_sync_state_with_parent (fake);
  fpad = gst_element_get_static_pad (fake, "sink");
  gst_pad_link (pad, fpad);
  gst_object_unref (fpad);
}

static gboolean
on_no_video (gpointer user_data)
{
  Pipeline *p = user_data;

  pipeline_fail (p, "the stream %s has no video", p->uri);

  return G_SOURCE_REMOVE;
}

static void
on_decodebin_pad_added (GstElement * decodebin, GstPad * pad,
    gpointer user_data)
{
  Branch *b = user_data;
  Pipeline *p = b->p;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps))
    video = g_str_has_prefix (gst_structure_get_name
        (gst_caps_get_structure (caps, 0)), "video/");
  gst_clear_caps (&caps);

  g_mutex_lock (&p->lock);
  video = video && !b->video && b->concat_pad != NULL;
  if (video)
    b->video = p->have_video = TRUE;
  g_mutex_unlock (&p->lock);

  if (!video || gst_pad_link (pad, b->concat_pad) != GST_PAD_LINK_OK)
    pipeline_discard_pad (p, pad);
}

/* A branch without video (an audio rendition) gives its concat pad back,
 * so that concat does not wait for it; the stream fails when no branch
 * has video. */
static void
on_decodebin_no_more_pads (GstElement * decodebin, gpointer user_data)
{
  Branch *b = user_data;
  Pipeline *p = b->p;
  GstPad *unused = NULL;
  gboolean no_video;

  g_mutex_lock (&p->lock);
  if (!b->done) {
    b->done = TRUE;
    p->branches_pending--;
  }
  if (!b->video)
    unused = g_steal_pointer (&b->concat_pad);
  no_video = !p->have_video && p->branches_pending == 0;
  g_mutex_unlock (&p->lock);

  if (unused) {
    gst_element_release_request_pad (p->concat, unused);
    gst_object_unref (unused);
  }
  if (no_video)
    g_main_context_invoke (NULL, on_no_video, p);
}

/* A new pad of the demuxer: a variant (hlsdemux gives each variant it
 * switches to a new pad) or a rendition. Video, or what may be video, gets
 * a decodebin of its own that feeds the next pad of concat. */
static void
on_demux_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  Pipeline *p = user_data;
  gchar *name = gst_pad_get_name (pad);
  gboolean not_video;
  Branch *b;
  GstPad *sinkpad;

  /* hlsdemux2 names its pads after their type */
  not_video = g_str_has_prefix (name, "audio_") ||
      g_str_has_prefix (name, "subtitle_");
  g_free (name);
  if (not_video) {
    pipeline_discard_pad (p, pad);
    return;
  }

  b = g_new0 (Branch, 1);
  b->p = p;
  b->decodebin = gst_element_factory_make ("decodebin", NULL);
  b->concat_pad = gst_element_request_pad_simple (p->concat, "sink_%u");
  g_signal_connect (b->decodebin, "pad-added",
      G_CALLBACK (on_decodebin_pad_added), b);
  g_signal_connect (b->decodebin, "no-more-pads",
      G_CALLBACK (on_decodebin_no_more_pads), b);

  g_mutex_lock (&p->lock);
  p->branches = g_list_append (p->branches, b);
  p->branches_pending++;
  g_mutex_unlock (&p->lock);

  gst_bin_add (GST_BIN (p->pipeline), gst_object_ref (b->decodebin));
  gst_element_sync_state_with_parent (b->decodebin);
  sinkpad = gst_element_get_static_pad (b->decodebin, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static void
branch_free (gpointer data)
{
  Branch *b = data;

  gst_clear_object (&b->concat_pad);
  gst_object_unref (b->decodebin);
  g_free (b);
}

/* Removes the branch that concat has finished with. */
static gboolean
on_branch_finished (gpointer user_data)
{
  Branch *b = user_data;
  Pipeline *p = b->p;
  GstPad *concat_pad;

  g_mutex_lock (&p->lock);
  if (!b->done)
    p->branches_pending--;
  concat_pad = g_steal_pointer (&b->concat_pad);
  g_mutex_unlock (&p->lock);

  gst_element_set_state (b->decodebin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (p->pipeline), b->decodebin);
  if (concat_pad) {
    gst_element_release_request_pad (p->concat, concat_pad);
    gst_object_unref (concat_pad);
  }

  branch_free (b);

  return G_SOURCE_REMOVE;
}

/* concat went on to the next variant: those before are over. concat
 * plays its pads in the order they were requested, that of the list. */
static void
on_concat_active_pad (GObject * concat, GParamSpec * pspec, gpointer user_data)
{
  Pipeline *p = user_data;
  GstPad *active = NULL;
  GList *l, *finished = NULL;

  g_object_get (concat, "active-pad", &active, NULL);
  g_mutex_lock (&p->lock);
  for (l = p->branches; l && active;) {
    Branch *b = l->data;
    GList *next = l->next;

    if (b->concat_pad == active)
      break;
    /* a branch without video gave its pad back and ends by itself */
    if (b->concat_pad) {
      p->branches = g_list_remove_link (p->branches, l);
      finished = g_list_concat (finished, l);
    }
    l = next;
  }
  g_mutex_unlock (&p->lock);
  gst_clear_object (&active);

  for (l = finished; l; l = l->next)
    g_idle_add (on_branch_finished, l->data);
  g_list_free (finished);
}

/* --- the bus ------------------------------------------------------------- */

static void
pipeline_handle_error (Pipeline * p, GstMessage * msg)
{
  gchar *bad_type, *why;
  guint64 frames;

  g_mutex_lock (&p->lock);
  bad_type = g_strdup (p->bad_type);
  frames = p->frames;
  g_mutex_unlock (&p->lock);

  if (bad_type) {
    pipeline_fail (p, "%s is not an HLS playlist (its content is %s)",
        p->uri, bad_type);
  } else {
    why = diagnosis_explain_error (p->diagnosis, msg, frames);
    p->callbacks.error (why, p->user_data);
    g_free (why);
  }
  g_free (bad_type);
}

static void
pipeline_handle_eos (Pipeline * p)
{
  gchar *why = diagnosis_explain_eos (p->diagnosis);

  /* hlsdemux gives up on a failing segment with an EOS */
  if (why)
    p->callbacks.error (why, p->user_data);
  else
    p->callbacks.eos (p->user_data);
  g_free (why);
}

/* The first segment the demuxer fetches, where a live stream was joined:
 * from the http-headers message of hlsdemux's HTTP source (hlsdemux2
 * downloads by itself and tells nothing of its segments: see
 * pipeline_observe_first_frame). */
static void
pipeline_observe_segment (Pipeline * p, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const Segment *segment = NULL;
  const gchar *uri;

  if (p->first_segment_seen || s == NULL ||
      !gst_structure_has_name (s, "http-headers") ||
      (uri = gst_structure_get_string (s, "uri")) == NULL)
    return;

  g_mutex_lock (&p->lock);
  if (p->media == NULL && p->options.get_media_playlist)
    p->media = p->options.get_media_playlist (p->options.media_playlist_data);
  if (p->media)
    segment = media_playlist_find (p->media, uri);
  g_mutex_unlock (&p->lock);

  if (segment) {
    p->first_segment_seen = TRUE;
    p->callbacks.playlist (p->media, segment, p->user_data);
  }
}

/* The first frame with hlsdemux2, at @stream_time: its segment is where
 * the stream was joined. hlsdemux2 counts a stream's time from the first
 * segment of the first playlist it read, which is p->media (or, below a
 * master playlist, the relay's first media playlist). */
static void
pipeline_observe_first_frame (Pipeline * p, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const Segment *segment = NULL;
  GstClockTime t = GST_CLOCK_TIME_NONE;

  if (p->first_segment_seen || s == NULL ||
      !gst_structure_has_name (s, FIRST_FRAME_MESSAGE) ||
      !gst_structure_get (s, "stream-time", GST_TYPE_CLOCK_TIME, &t, NULL))
    return;

  g_mutex_lock (&p->lock);
  if (p->media == NULL && p->options.get_media_playlist)
    p->media = p->options.get_media_playlist (p->options.media_playlist_data);
  if (p->media)
    segment = media_playlist_find_at (p->media, t / (gdouble) GST_SECOND);
  g_mutex_unlock (&p->lock);

  if (segment) {
    p->first_segment_seen = TRUE;
    p->callbacks.playlist (p->media, segment, p->user_data);
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Pipeline *p = user_data;

  diagnosis_observe (p->diagnosis, msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT)
    pipeline_observe_segment (p, msg);
  else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_APPLICATION)
    pipeline_observe_first_frame (p, msg);
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      pipeline_handle_eos (p);
      break;
    case GST_MESSAGE_ERROR:
      pipeline_handle_error (p, msg);
      break;
    default:
      break;
  }

  return G_SOURCE_CONTINUE;
}

/* --- building ------------------------------------------------------------ */

/* An HTTP source, ours or one that hlsdemux made: a bounded time per
 * request, and @retries retries, so that a dead server makes us fail in
 * bounded time. */
static void
pipeline_configure_source (Pipeline * p, GstElement * element, gint retries)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (element);

  if (!GST_IS_URI_HANDLER (element) ||
      gst_uri_handler_get_uri_type (GST_URI_HANDLER (element)) != GST_URI_SRC)
    return;
  if (g_object_class_find_property (klass, "retries"))
    g_object_set (element, "retries", retries, NULL);
  if (p->options.http_timeout > 0 &&
      g_object_class_find_property (klass, "timeout"))
    g_object_set (element, "timeout", p->options.http_timeout, NULL);
}

static void
on_deep_element_added (GstBin * pipeline, GstBin * bin, GstElement * element,
    gpointer user_data)
{
  /* hlsdemux retries failed downloads by itself */
  pipeline_configure_source (user_data, element, 0);
}

static gboolean
pipeline_build (Pipeline * p, GError ** error)
{
  GstElement *src, *typefind, *convert, *filter, *pay;
  GstCaps *caps;
  GstPad *pad;

  src = gst_element_make_from_uri (GST_URI_SRC, p->uri, "src", error);
  if (src == NULL)
    return FALSE;

  p->pipeline = gst_pipeline_new ("hls-demo");
  typefind = gst_element_factory_make ("typefind", NULL);
  p->demux = gst_element_factory_make (p->options.demux, NULL);
  p->concat = gst_element_factory_make ("concat", NULL);
  convert = gst_element_factory_make ("videoconvert", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  pay = gst_element_factory_make ("fdpay", NULL);
  p->sink = gst_element_factory_make ("multisocketsink", NULL);
  if (!typefind || !p->demux || !p->concat || !convert || !filter || !pay
      || !p->sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing element (need typefind, %s, decodebin, concat, "
        "videoconvert, capsfilter, fdpay and multisocketsink; is "
        "GST_PLUGIN_PATH set?)", p->options.demux);
    gst_object_unref (src);
    gst_clear_object (&typefind);
    gst_clear_object (&p->demux);
    gst_clear_object (&p->concat);
    gst_clear_object (&convert);
    gst_clear_object (&filter);
    gst_clear_object (&pay);
    gst_clear_object (&p->sink);
    return FALSE;
  }

  /* hlsdemux2 only runs in a bin that handles streams appearing and going
   * away, as ours does (one decodebin per pad, see above) */
  if (g_str_equal (p->options.demux, "hlsdemux2"))
    GST_OBJECT_FLAG_SET (p->pipeline, GST_BIN_FLAG_STREAMS_AWARE);

  /* the analysis reads I420 and NV12; for those videoconvert is passthrough
   * and the decoder still writes into fdpay's memfds */
  caps = gst_caps_from_string ("video/x-raw,format={I420,NV12}");
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);

  /* a client that falls SINK_SOFT_MAX frames behind skips to the newest
   * frame: the queue, and so our memory, is bounded. send-messages hands
   * the analysis process's releases to fdpay, which then reuses the
   * memfds of the frames it is done with. */
  g_object_set (p->sink, "sync", p->options.realtime, "send-dispatched",
      TRUE, "send-messages", TRUE, "unit-format", GST_FORMAT_BUFFERS,
      "units-soft-max", (gint64) SINK_SOFT_MAX, NULL);
  p->pay = gst_object_ref (pay);
  /* when the analysis process holds 8 frames, wait for it to release one
   * (as long as for credit) rather than send the next in a new memfd */
  g_object_set (pay, "wait-for-release", (guint64) CREDIT_WAIT_MS *
      GST_MSECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (p->sink), "recover-policy", "latest");
  pipeline_configure_source (p, src, 1);

  gst_bin_add_many (GST_BIN (p->pipeline), src, typefind, p->demux,
      p->concat, convert, filter, pay, p->sink, NULL);
  if (!gst_element_link_many (src, typefind, p->demux, NULL) ||
      !gst_element_link_many (p->concat, convert, filter, pay, p->sink, NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link the pipeline");
    return FALSE;
  }

  g_signal_connect (p->pipeline, "deep-element-added",
      G_CALLBACK (on_deep_element_added), p);
  g_signal_connect (typefind, "have-type", G_CALLBACK (on_have_type), p);
  g_signal_connect (p->demux, "pad-added", G_CALLBACK (on_demux_pad_added), p);
  g_signal_connect (p->concat, "notify::active-pad",
      G_CALLBACK (on_concat_active_pad), p);
  g_signal_connect (p->sink, "client-socket-removed",
      G_CALLBACK (on_client_socket_removed), p);

  pad = gst_element_get_static_pad (p->demux, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_demux_playlist, p, NULL);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_pay_data, p, NULL);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (p->sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_sink_buffer, p, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      on_sink_upstream_event, p, NULL);
  gst_object_unref (pad);

  return TRUE;
}

/* --- the interface ------------------------------------------------------- */

/* Builds the pipeline for @uri and watches its bus; NULL and @error when
 * an element is missing or @uri has no source element. */
Pipeline *
pipeline_new (const gchar * uri, const PipelineOptions * options,
    const PipelineCallbacks * callbacks, gpointer user_data, GError ** error)
{
  Pipeline *p = g_new0 (Pipeline, 1);
  GstBus *bus;

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->uri = g_strdup (uri);
  p->options = *options;
  p->options.demux = g_strdup (options->demux ? options->demux : "hlsdemux");
  p->options.variant = g_strdup (options->variant);
  p->diagnosis = diagnosis_new (uri, options->http_timeout > 0 ?
      options->http_timeout : 15);
  p->playlist = g_string_new (NULL);
  p->pinned = -1;
  p->callbacks = *callbacks;
  p->user_data = user_data;
  p->position = GST_CLOCK_TIME_NONE;
  p->origin = GST_CLOCK_TIME_NONE;

  if (!pipeline_build (p, error)) {
    pipeline_free (p);
    return NULL;
  }

  bus = gst_element_get_bus (p->pipeline);
  gst_bus_add_watch (bus, on_bus_message, p);
  gst_object_unref (bus);

  return p;
}

/* FALSE when the state change failed */
gboolean
pipeline_set_state (Pipeline * p, GstState state)
{
  return gst_element_set_state (p->pipeline, state) != GST_STATE_CHANGE_FAILURE;
}

/* @socket becomes the sink's client, with a fresh credit. */
void
pipeline_add_client (Pipeline * p, GSocket * socket)
{
  g_mutex_lock (&p->lock);
  p->credit_sent = p->credit_done = 0;
  p->client_active = TRUE;
  g_mutex_unlock (&p->lock);

  g_signal_emit_by_name (p->sink, "add", socket);
}

/* The sink drops @socket; client_removed follows. */
void
pipeline_remove_client (Pipeline * p, GSocket * socket)
{
  g_signal_emit_by_name (p->sink, "remove", socket);
}

/* The client is gone or going: the sender stops waiting for it. */
void
pipeline_deactivate_client (Pipeline * p)
{
  g_mutex_lock (&p->lock);
  p->client_active = FALSE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

/* Frames given to the current client, and those it has been sent
 * completely. */
void
pipeline_get_credit (Pipeline * p, guint64 * sent, guint64 * done)
{
  g_mutex_lock (&p->lock);
  *sent = p->credit_sent;
  *done = p->credit_done;
  g_mutex_unlock (&p->lock);
}

void
pipeline_get_stats (Pipeline * p, PipelineStats * stats)
{
  GstStructure *s = NULL;

  g_mutex_lock (&p->lock);
  stats->frames = p->frames;
  stats->delivered = p->delivered;
  stats->position = p->position;
  g_mutex_unlock (&p->lock);

  stats->copies = stats->memfds_created = stats->memfds_reused = 0;
  if (p->pay)
    g_object_get (p->pay, "stats", &s, NULL);
  if (s) {
    gst_structure_get (s, "copies", G_TYPE_UINT64, &stats->copies,
        "memfds-created", G_TYPE_UINT64, &stats->memfds_created,
        "memfds-reused", G_TYPE_UINT64, &stats->memfds_reused, NULL);
    gst_structure_free (s);
  }
}

/* The time of the last decoded frame in seconds, from the first one (see
 * pipeline_get_origin()), 0 before any. */
gdouble
pipeline_get_stream_time (Pipeline * p)
{
  PipelineStats stats;

  pipeline_get_stats (p, &stats);

  return GST_CLOCK_TIME_IS_VALID (stats.position) ?
      stats.position / (gdouble) GST_SECOND : 0.0;
}

/* The stream time of the first decoded frame, in seconds: the analysis
 * process reports stream times, the demo counts from this one. 0 before
 * the first frame. */
gdouble
pipeline_get_origin (Pipeline * p)
{
  GstClockTime origin;

  g_mutex_lock (&p->lock);
  origin = p->origin;
  g_mutex_unlock (&p->lock);

  return GST_CLOCK_TIME_IS_VALID (origin) ? origin / (gdouble) GST_SECOND : 0.0;
}

/* The sender stops waiting for the client for good. */
void
pipeline_set_flushing (Pipeline * p)
{
  g_mutex_lock (&p->lock);
  p->flushing = TRUE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

/* Why the stream stopped before its end, when a download failed: for a
 * run that ended without the pipeline's EOS or error message (the client
 * can finish on the EOS it was sent before the bus says so). NULL when no
 * download failed. */
gchar *
pipeline_explain_stop (Pipeline * p)
{
  return diagnosis_explain_eos (p->diagnosis);
}

/* Stops the pipeline (NULL state) and its bus watch. */
void
pipeline_shutdown (Pipeline * p)
{
  GstBus *bus;

  g_mutex_lock (&p->lock);
  p->flushing = TRUE;
  p->client_active = FALSE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  bus = gst_element_get_bus (p->pipeline);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
}

void
pipeline_free (Pipeline * p)
{
  if (p == NULL)
    return;

  gst_clear_object (&p->pay);
  gst_clear_object (&p->pipeline);
  /* the branches left: the last one, those without video */
  g_list_free_full (p->branches, branch_free);
  g_string_free (p->playlist, TRUE);
  g_clear_pointer (&p->variants, g_ptr_array_unref);
  media_playlist_free (p->media);
  g_free ((gchar *) p->options.demux);
  g_free ((gchar *) p->options.variant);
  diagnosis_free (p->diagnosis);
  g_free (p->bad_type);
  g_free (p->uri);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}
