/* gst-fdpass benchmark probes
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

/* Loaded by bench/node.py through ctypes, so that the per-frame work of a
 * measurement (a CLOCK_MONOTONIC reading, the checksum of the consumer
 * that reads its frames, getrusage() at the edges of the steady state)
 * runs in C in the streaming thread, without Python's interpreter lock on
 * the path of a frame. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RUSAGE_THREAD */
#endif

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gmodule.h>

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* the interface node.py calls */
G_MODULE_EXPORT gpointer fdpass_bench_probe_new (gpointer element,
    gpointer pad, guint max, guint warm, gint checksum, guint64 frame_size,
    gint gated);
G_MODULE_EXPORT void fdpass_bench_probe_open (gpointer probe);
G_MODULE_EXPORT guint fdpass_bench_probe_count (gpointer probe);
G_MODULE_EXPORT guint fdpass_bench_probe_times (gpointer probe, guint64 * out);
G_MODULE_EXPORT gint fdpass_bench_probe_usage (gpointer probe, gint which,
    gdouble * out);
G_MODULE_EXPORT guint64 fdpass_bench_probe_checksum (gpointer probe);
G_MODULE_EXPORT guint fdpass_bench_probe_bad_sizes (gpointer probe);
G_MODULE_EXPORT gint fdpass_bench_probe_tid (gpointer probe);
G_MODULE_EXPORT void fdpass_bench_bound_pool (gpointer pad, guint max);

typedef struct
{
  gdouble utime;
  gdouble stime;
  gint64 minflt;
  gint64 majflt;
  gint64 nvcsw;
  gint64 nivcsw;
  /* the minor faults of every thread but the main one, which runs the
   * Python harness: GStreamer's own (streaming threads, element threads) */
  gint64 minflt_threads;
  /* involuntary context switches of the thread that runs the probe: the
   * streaming thread that pushes (producer) or receives (consumer) */
  gint64 nivcsw_thread;
} Usage;

typedef struct
{
  GstElement *element;          /* posts the bus messages, not a ref */
  gulong probe_id;

  /* the first buffer waits until fdpass_bench_probe_open() */
  GMutex lock;
  GCond cond;
  gboolean open;

  /* the thread that ran the probe first: the streaming thread */
  gint tid;

  guint64 *times;
  guint max;
  guint warm;
  volatile gint n;

  gboolean checksum;
  guint64 sum;
  gsize frame_size;
  guint bad_sizes;

  Usage ru_first;
  Usage ru_warm;
  Usage ru_last;
} Probe;

/* Sum of the minor faults (field 10 of /proc/self/task/TID/stat) of the
 * threads other than the main one; -1 when /proc cannot tell. */
static gint64
minflt_of_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;
  gint64 sum = 0;
  gchar *main_tid = g_strdup_printf ("%d", (gint) getpid ());

  if (dir == NULL) {
    g_free (main_tid);
    return -1;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path, *contents = NULL, *p;
    gint field;

    if (strcmp (name, main_tid) == 0)
      continue;
    path = g_strdup_printf ("/proc/self/task/%s/stat", name);
    if (g_file_get_contents (path, &contents, NULL, NULL)) {
      /* the command name is in parentheses and may hold spaces */
      p = strrchr (contents, ')');
      for (field = 2; p != NULL && field < 10; field++)
        p = strchr (p + 1, ' ');
      if (p != NULL)
        sum += g_ascii_strtoll (p + 1, NULL, 10);
      g_free (contents);
    }
    g_free (path);
  }
  g_dir_close (dir);
  g_free (main_tid);

  return sum;
}

static void
usage_get (Usage * u)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  u->utime = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  u->stime = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  u->minflt = ru.ru_minflt;
  u->majflt = ru.ru_majflt;
  u->nvcsw = ru.ru_nvcsw;
  u->nivcsw = ru.ru_nivcsw;
  u->minflt_threads = minflt_of_threads ();
  getrusage (RUSAGE_THREAD, &ru);
  u->nivcsw_thread = ru.ru_nivcsw;
}

static guint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
post (Probe * p, const gchar * name, guint n)
{
  gst_element_post_message (p->element,
      gst_message_new_application (GST_OBJECT (p->element),
          gst_structure_new (name, "frames", G_TYPE_UINT, n, NULL)));
}

/* The XOR of the 64-bit words of @data (a shorter tail is folded in byte
 * by byte): a read of every byte at the speed of memory. zlib's crc32()
 * reads about 6 GB/s, which made every 3840x2160 consumer wait on its CPU
 * at the same rate, whatever the transport. */
static guint64
xor_fold (const guint8 * data, gsize size)
{
  typedef guint64 v2 __attribute__ ((vector_size (16)));
  /* no alignment: GStreamer's memory is aligned to 8 bytes at most */
  typedef v2 v2u __attribute__ ((aligned (1)));
  const v2u *w = (const v2u *) data;
  v2 a = { 0, 0 }, b = a, c = a, d = a;
  gsize i, n = size / 64;
  guint64 r;

  for (i = 0; i < n; i++) {
    a ^= w[4 * i];
    b ^= w[4 * i + 1];
    c ^= w[4 * i + 2];
    d ^= w[4 * i + 3];
  }
  a ^= b ^ c ^ d;
  r = a[0] ^ a[1];
  for (i = n * 64; i < size; i++)
    r ^= (guint64) data[i] << (8 * (i % 8));

  return r;
}

static GstPadProbeReturn
probe_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Probe *p = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint n = g_atomic_int_get (&p->n);

  if (n >= p->max)
    return GST_PAD_PROBE_DROP;

  if (n == 0) {
    p->tid = syscall (SYS_gettid);
    g_mutex_lock (&p->lock);
    while (!p->open)
      g_cond_wait (&p->cond, &p->lock);
    g_mutex_unlock (&p->lock);
  }

  p->times[n] = now_ns ();

  if (p->frame_size && gst_buffer_get_size (buf) != p->frame_size)
    p->bad_sizes++;

  if (p->checksum) {
    GstMapInfo map;

    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      p->sum ^= xor_fold (map.data, map.size);
      gst_buffer_unmap (buf, &map);
    } else {
      p->bad_sizes++;
    }
  }

  if (n == 0)
    usage_get (&p->ru_first);
  if (n == p->warm)
    usage_get (&p->ru_warm);
  if (n + 1 == p->max)
    usage_get (&p->ru_last);

  g_atomic_int_set (&p->n, n + 1);

  if (n == p->warm)
    post (p, "fdpass-bench-warm", n + 1);
  if (n + 1 == p->max)
    post (p, "fdpass-bench-done", n + 1);

  return GST_PAD_PROBE_OK;
}

/* Times every buffer that passes @pad (a pad of @element), up to @max of
 * them; rusage is taken at the first, at the @warm-th (counted from 0) and
 * at the last one. With @checksum every byte of every buffer is read
 * (xor_fold()). A non-zero @frame_size counts the buffers of another size.
 * When @gated, the first buffer waits for fdpass_bench_probe_open(). */
gpointer
fdpass_bench_probe_new (gpointer element, gpointer pad, guint max,
    guint warm, gint checksum, guint64 frame_size, gint gated)
{
  Probe *p = g_new0 (Probe, 1);

  p->element = element;
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->open = !gated;
  p->max = MAX (max, 1);
  p->warm = MIN (warm, p->max - 1);
  p->times = g_new0 (guint64, p->max);
  p->checksum = checksum != 0;
  p->frame_size = frame_size;
  p->probe_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe_cb,
      p, NULL);

  return p;
}

void
fdpass_bench_probe_open (gpointer probe)
{
  Probe *p = probe;

  g_mutex_lock (&p->lock);
  p->open = TRUE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

guint
fdpass_bench_probe_count (gpointer probe)
{
  Probe *p = probe;

  return g_atomic_int_get (&p->n);
}

/* Copies the times of the buffers so far into @out (room for max). */
guint
fdpass_bench_probe_times (gpointer probe, guint64 * out)
{
  Probe *p = probe;
  guint n = g_atomic_int_get (&p->n);

  memcpy (out, p->times, n * sizeof (guint64));
  return n;
}

/* @which: 0 first, 1 warm, 2 last; @out: utime, stime, minflt, majflt,
 * nvcsw, nivcsw, minflt of the threads but the main one, nivcsw of the
 * thread of the probe. Returns FALSE
 * when that frame was not reached. */
gint
fdpass_bench_probe_usage (gpointer probe, gint which, gdouble * out)
{
  Probe *p = probe;
  guint n = g_atomic_int_get (&p->n);
  Usage *u;

  if (which == 0 && n > 0)
    u = &p->ru_first;
  else if (which == 1 && n > p->warm)
    u = &p->ru_warm;
  else if (which == 2 && n >= p->max)
    u = &p->ru_last;
  else
    return FALSE;

  out[0] = u->utime;
  out[1] = u->stime;
  out[2] = u->minflt;
  out[3] = u->majflt;
  out[4] = u->nvcsw;
  out[5] = u->nivcsw;
  out[6] = u->minflt_threads;
  out[7] = u->nivcsw_thread;
  return TRUE;
}

guint64
fdpass_bench_probe_checksum (gpointer probe)
{
  return ((Probe *) probe)->sum;
}

guint
fdpass_bench_probe_bad_sizes (gpointer probe)
{
  return ((Probe *) probe)->bad_sizes;
}

/* After the ALLOCATION query on @pad was answered downstream, limit the
 * buffer pool it proposes (or a pool of the proposed size, when it proposed
 * none) to @max buffers: upstream then waits for a buffer to come back once
 * @max are in flight instead of growing its pool. */
static GstPadProbeReturn
bound_pool_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  guint max = GPOINTER_TO_UINT (user_data);
  GstBufferPool *pool = NULL;
  GstCaps *caps = NULL;
  GstVideoInfo vinfo;
  guint size = 0, min = 0, old_max = 0;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;

  if (gst_query_get_n_allocation_pools (query) > 0) {
    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min,
        &old_max);
    gst_query_set_nth_allocation_pool (query, 0, pool, size, MIN (min, max),
        max);
    if (pool)
      gst_object_unref (pool);
  } else {
    gst_query_parse_allocation (query, &caps, NULL);
    if (caps && gst_video_info_from_caps (&vinfo, caps))
      size = GST_VIDEO_INFO_SIZE (&vinfo);
    gst_query_add_allocation_pool (query, NULL, size, 0, max);
  }
  return GST_PAD_PROBE_OK;
}

void
fdpass_bench_bound_pool (gpointer pad, guint max)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_PULL, bound_pool_cb, GUINT_TO_POINTER (max), NULL);
}

/* The id of the thread that ran the probe for the first buffer, or 0. */
gint
fdpass_bench_probe_tid (gpointer probe)
{
  Probe *p = probe;

  return g_atomic_int_get (&p->n) > 0 ? p->tid : 0;
}
