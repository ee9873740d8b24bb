/* GStreamer fd passing example: HLS demo, report
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

/* Collects the timeline (the state changes the analysis processes report,
 * and the restarts between them) and shows it: a progress line and one
 * line per state change on stderr while the stream runs, the timeline
 * table on stdout and summary.json in the snapshot directory at the end.
 *
 * With --json, stdout carries JSON lines instead, one object per line,
 * written and flushed as it happens, for a program to follow (alerting).
 * Every object has "event" and "wall_time" (UTC, ISO 8601); the fields of
 * each event are listed in README.md and must stay stable:
 *
 *   start             uri, snapshot_dir, demux, variant (as asked for, or
 *                     null)
 *   variants          variants [{bandwidth, width, height, uri}], pinned
 *                     (the index --variant chose, or null)
 *   variant           at, variant (index, or null), width, height,
 *                     bandwidth
 *   playlist          live, media_sequence (of the first playlist read),
 *                     first_segment {uri, media_sequence,
 *                     program_date_time (or null)} or null (not known
 *                     yet; a second line follows when it is)
 *   analyzer_started  analyzer (its number, from 0), pid
 *   state             state, start, previous {state, start, end} or null,
 *                     evidence, snapshot, analyzer
 *   analyzer_killed   pid, reason
 *   analyzer_restart  at, analyzer, pid, reason, backoff_ms, restarts
 *   analyzer_ended    reason
 *   end               ok, exit_status, eos, end, frames_decoded,
 *                     frames_sent, restarts, states, error, summary
 *
 * Times in the stream ("start", "end", "at") are in seconds. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "report.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

typedef struct
{
  gdouble start;
  gchar *state;
  gchar *evidence;
  gchar *snapshot;
  guint instance;
  /* a restart note, not a state */
  gchar *note;
} TimelineEntry;

struct _Report
{
  gchar *uri;
  gchar *demux;
  gchar *variant_spec;
  /* of the master playlist (Variant), or NULL before it is read */
  GPtrArray *variants;
  gint pinned;
  /* PipelineVariant, one per switch */
  GArray *variant_log;
  /* the "playlist" object of a media playlist, or NULL */
  gchar *playlist;
  gboolean quiet;
  gboolean json;

  GPtrArray *timeline;
  /* the most entries the timeline keeps, and how many older ones it let
   * go (a live stream runs for ever; they went to stderr or stdout as
   * they came) */
  guint max_timeline;
  guint64 timeline_dropped;
  gchar *current_state;
  gdouble end_time;
  guint n_restarts;
  gboolean progress_shown;
};

static void
timeline_entry_free (gpointer data)
{
  TimelineEntry *e = data;

  g_free (e->state);
  g_free (e->evidence);
  g_free (e->snapshot);
  g_free (e->note);
  g_free (e);
}

/* The evidence object of a state line, shortened to what matters for the
 * state: {"mean_luma":16.00,...} -> mean_luma=16.00 ... */
static gchar *
summarize_evidence (const gchar * state, const gchar * raw)
{
  static const gchar *black_keys[] = { "mean_luma", "luma_stddev",
    "dark_fraction", NULL
  };
  static const gchar *bars_keys[] = { "pattern", "score", NULL };
  static const gchar *motion_keys[] = { "hash_distance", "cell_delta",
    "mean_luma", NULL
  };
  const gchar **keys;
  GString *s = g_string_new (NULL);
  guint i;

  if (raw == NULL || state == NULL)
    return g_string_free (s, FALSE);

  if (strcmp (state, "black") == 0)
    keys = black_keys;
  else if (strcmp (state, "bars") == 0)
    keys = bars_keys;
  else
    keys = motion_keys;

  for (i = 0; keys[i]; i++) {
    gchar *value = json_get_raw (raw, keys[i]);

    if (value && strcmp (value, "null") != 0) {
      g_strdelimit (value, "\"", ' ');
      g_strstrip (value);
      g_string_append_printf (s, "%s%s=%s", s->len ? " " : "", keys[i], value);
    }
    g_free (value);
  }
  if (s->len > 60) {
    g_string_truncate (s, 57);
    g_string_append (s, "...");
  }

  return g_string_free (s, FALSE);
}

/* With @quiet, no live state lines on stderr; with @json, JSON lines on
 * stdout instead of them and of the timeline. The timeline keeps the last
 * @max_timeline entries. */
Report *
report_new (gboolean quiet, gboolean json, guint max_timeline)
{
  Report *r = g_new0 (Report, 1);

  r->max_timeline = MAX (max_timeline, 1);
  r->quiet = quiet || json;
  r->json = json;
  r->timeline = g_ptr_array_new_with_free_func (timeline_entry_free);
  r->end_time = -1;
  r->pinned = -1;
  r->variant_log = g_array_new (FALSE, FALSE, sizeof (PipelineVariant));

  return r;
}

void
report_free (Report * r)
{
  if (r == NULL)
    return;

  g_ptr_array_unref (r->timeline);
  g_free (r->current_state);
  g_free (r->uri);
  g_free (r->demux);
  g_free (r->variant_spec);
  g_clear_pointer (&r->variants, g_ptr_array_unref);
  g_array_unref (r->variant_log);
  g_free (r->playlist);
  g_free (r);
}

/* --- JSON lines --------------------------------------------------------- */

static GString *
json_line_new (const gchar * event)
{
  GString *s = g_string_new ("{\"event\":");

  json_append_string (s, event);

  return s;
}

/* Ends the object of @s with the wall time, writes it on one line of
 * stdout, flushed, and frees @s. */
static void
json_line_emit (GString * s)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *wall = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  g_string_append (s, ",\"wall_time\":");
  json_append_string (s, wall);
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
  fflush (stdout);

  g_free (wall);
  g_date_time_unref (now);
  g_string_free (s, TRUE);
}

/* A process id as a JSON number */
static void
json_append_pid (GString * s, const gchar * pid)
{
  g_string_append_printf (s, "%" G_GINT64_FORMAT, g_ascii_strtoll (pid, NULL,
          10));
}

/* --- while it runs ------------------------------------------------------- */

/* The stream starts playing, with @demux, and the variant the user asked
 * for (NULL: the demuxer's choice). */
void
report_started (Report * r, const gchar * uri, const gchar * snapshot_dir,
    const gchar * demux, const gchar * variant)
{
  GString *s;

  g_free (r->uri);
  r->uri = g_strdup (uri);
  g_free (r->demux);
  r->demux = g_strdup (demux);
  g_free (r->variant_spec);
  r->variant_spec = g_strdup (variant);
  if (!r->json)
    return;

  s = json_line_new ("start");
  g_string_append (s, ",\"uri\":");
  json_append_string (s, uri);
  g_string_append (s, ",\"snapshot_dir\":");
  json_append_string (s, snapshot_dir);
  g_string_append (s, ",\"demux\":");
  json_append_string (s, demux);
  g_string_append (s, ",\"variant\":");
  json_append_string (s, variant);
  json_line_emit (s);
}

static void
append_variant_list (GString * s, GPtrArray * variants)
{
  guint i;

  g_string_append_c (s, '[');
  for (i = 0; i < variants->len; i++) {
    Variant *v = g_ptr_array_index (variants, i);

    g_string_append_printf (s, "%s{\"bandwidth\":%u,\"width\":%d,"
        "\"height\":%d,\"uri\":", i ? "," : "", v->bandwidth, v->width,
        v->height);
    json_append_string (s, v->uri);
    g_string_append_c (s, '}');
  }
  g_string_append_c (s, ']');
}

/* The first playlist was read: the @variants of a master playlist (none
 * for a media playlist), @pinned the one --variant chose or -1. */
void
report_variants (Report * r, GPtrArray * variants, gint pinned)
{
  guint i;

  g_clear_pointer (&r->variants, g_ptr_array_unref);
  r->variants = g_ptr_array_ref (variants);
  r->pinned = pinned;

  if (variants->len > 0) {
    report_clear_progress (r);
    g_printerr ("%s: master playlist of %u variant%s:", PROGRAM_NAME,
        variants->len, variants->len == 1 ? "" : "s");
    for (i = 0; i < variants->len; i++) {
      gchar *d = variant_describe (g_ptr_array_index (variants, i));

      g_printerr ("%s %u: %s", i ? ";" : "", i, d);
      g_free (d);
    }
    if (pinned >= 0)
      g_printerr ("; analysing variant %d (--variant)\n", pinned);
    else
      g_printerr ("; analysing the variants %s plays\n", r->demux);
  } else if (r->variant_spec) {
    report_clear_progress (r);
    g_printerr ("%s: %s is a media playlist, not a master playlist: "
        "--variant %s ignored\n", PROGRAM_NAME, r->uri, r->variant_spec);
  }

  if (r->json) {
    GString *s = json_line_new ("variants");

    g_string_append (s, ",\"variants\":");
    append_variant_list (s, variants);
    g_string_append (s, ",\"pinned\":");
    if (pinned >= 0)
      g_string_append_printf (s, "%d", pinned);
    else
      g_string_append (s, "null");
    json_line_emit (s);
  }
}

static void
append_variant (GString * s, const PipelineVariant * v)
{
  json_append_double (s, v->at);
  if (v->index >= 0)
    g_string_append_printf (s, ",\"variant\":%d", v->index);
  else
    g_string_append (s, ",\"variant\":null");
  g_string_append_printf (s, ",\"width\":%d,\"height\":%d,"
      "\"bandwidth\":", v->width, v->height);
  if (v->bandwidth > 0)
    g_string_append_printf (s, "%u", v->bandwidth);
  else
    g_string_append (s, "null");
}

/* The frames come from @variant from now on. */
void
report_variant (Report * r, const PipelineVariant * variant)
{
  g_array_append_val (r->variant_log, *variant);

  report_clear_progress (r);
  if (variant->index >= 0)
    g_printerr ("%s: %8.3f s  analysing variant %d (%dx%d, %u bit/s)\n",
        PROGRAM_NAME, variant->at, variant->index, variant->width,
        variant->height, variant->bandwidth);
  else
    g_printerr ("%s: %8.3f s  analysing %dx%d frames\n", PROGRAM_NAME,
        variant->at, variant->width, variant->height);

  if (r->json) {
    GString *s = json_line_new ("variant");

    g_string_append (s, ",\"at\":");
    append_variant (s, variant);
    json_line_emit (s);
  }
}

/* Clears the progress line, before any other line goes to stderr. */
void
report_clear_progress (Report * r)
{
  if (r->progress_shown) {
    g_printerr ("\r\033[K");
    r->progress_shown = FALSE;
  }
}

void
report_show_progress (Report * r, GstClockTime position, guint64 frames,
    guint64 delivered, guint restarts)
{
  g_printerr ("\r\033[K%s t=%.1fs frames=%" G_GUINT64_FORMAT " sent=%"
      G_GUINT64_FORMAT " restarts=%u state=%s", PROGRAM_NAME,
      GST_CLOCK_TIME_IS_VALID (position) ?
      position / (gdouble) GST_SECOND : 0.0, frames, delivered, restarts,
      r->current_state ? r->current_state : "-");
  r->progress_shown = TRUE;
}

/* Analysis process number @instance started. */
void
report_analyzer_started (Report * r, guint instance, const gchar * pid)
{
  report_clear_progress (r);
  g_printerr ("%s: analyzer pid %s\n", PROGRAM_NAME, pid);

  if (r->json) {
    GString *s = json_line_new ("analyzer_started");

    g_string_append_printf (s, ",\"analyzer\":%u,\"pid\":", instance);
    json_append_pid (s, pid);
    json_line_emit (s);
  }
}

/* Adds @e to the timeline, letting the oldest entry go when it is full:
 * memory stays bounded however long a live stream runs. */
static void
report_add_entry (Report * r, TimelineEntry * e)
{
  if (r->timeline->len >= r->max_timeline) {
    g_ptr_array_remove_index (r->timeline, 0);
    r->timeline_dropped++;
  }
  g_ptr_array_add (r->timeline, e);
}

/* The last state entry of the timeline, or NULL. */
static TimelineEntry *
report_last_state (Report * r)
{
  guint i;

  for (i = r->timeline->len; i > 0; i--) {
    TimelineEntry *e = g_ptr_array_index (r->timeline, i - 1);

    if (e->state)
      return e;
  }

  return NULL;
}

static void
report_emit_state (TimelineEntry * e, TimelineEntry * previous)
{
  GString *s = json_line_new ("state");

  g_string_append (s, ",\"state\":");
  json_append_string (s, e->state);
  g_string_append (s, ",\"start\":");
  json_append_double (s, e->start);
  g_string_append (s, ",\"previous\":");
  if (previous) {
    g_string_append (s, "{\"state\":");
    json_append_string (s, previous->state);
    g_string_append (s, ",\"start\":");
    json_append_double (s, previous->start);
    g_string_append (s, ",\"end\":");
    json_append_double (s, e->start);
    g_string_append_c (s, '}');
  } else {
    g_string_append (s, "null");
  }
  g_string_append_printf (s, ",\"evidence\":%s,\"snapshot\":",
      e->evidence ? e->evidence : "null");
  json_append_string (s, e->snapshot);
  g_string_append_printf (s, ",\"analyzer\":%u", e->instance);
  json_line_emit (s);
}

/* A line of analysis process number @instance: a state change, or its
 * end. The process reports stream times; the report counts from @origin,
 * the stream time of the first frame. */
void
report_analyzer_line (Report * r, guint instance, const gchar * line,
    gdouble origin)
{
  gchar *state, *event;
  gdouble t;

  event = json_get_string (line, "event");
  if (g_strcmp0 (event, "eos") == 0 && json_get_double (line, "end", &t))
    r->end_time = MAX (t - origin, 0.0);
  g_free (event);

  state = json_get_string (line, "state");
  if (state != NULL && json_get_double (line, "start", &t)) {
    TimelineEntry *last = report_last_state (r);

    t = MAX (t - origin, 0.0);

    /* a new process reports the state it joins in, which continues the
     * one before the restart */
    if (last == NULL || last->instance == instance ||
        strcmp (last->state, state) != 0) {
      TimelineEntry *e = g_new0 (TimelineEntry, 1);
      gchar *raw = json_get_raw (line, "evidence");

      e->start = t;
      e->state = g_strdup (state);
      e->evidence = raw;
      e->snapshot = json_get_string (line, "snapshot");
      e->instance = instance;
      report_add_entry (r, e);

      if (r->json)
        report_emit_state (e, last);
      if (!r->quiet) {
        gchar *sum = summarize_evidence (state, raw);

        report_clear_progress (r);
        g_printerr ("%s: %8.3f s  %-6s %s\n", PROGRAM_NAME, t, state, sum);
        g_free (sum);
      }
    }
    g_free (r->current_state);
    r->current_state = g_strdup (state);
  }
  g_free (state);
}

void
report_analyzer_killed (Report * r, const gchar * pid, const gchar * reason)
{
  report_clear_progress (r);
  g_printerr ("%s: killing the analysis process (pid %s): %s\n",
      PROGRAM_NAME, pid, reason);

  if (r->json) {
    GString *s = json_line_new ("analyzer_killed");

    g_string_append (s, ",\"pid\":");
    json_append_pid (s, pid);
    g_string_append (s, ",\"reason\":");
    json_append_string (s, reason);
    json_line_emit (s);
  }
}

/* Analysis process number @instance went away at stream time @at. */
void
report_analyzer_restarting (Report * r, gdouble at, guint instance,
    const gchar * pid, const gchar * why, guint backoff_ms)
{
  TimelineEntry *e = g_new0 (TimelineEntry, 1);

  report_clear_progress (r);
  g_printerr ("%s: the analysis process (pid %s) %s; restarting it in "
      "%u ms\n", PROGRAM_NAME, pid, why, backoff_ms);

  e->start = at;
  e->note = g_strdup_printf ("analysis process restarted: %s", why);
  e->instance = instance;
  report_add_entry (r, e);
  r->n_restarts++;

  if (r->json) {
    GString *s = json_line_new ("analyzer_restart");

    g_string_append (s, ",\"at\":");
    json_append_double (s, at);
    g_string_append_printf (s, ",\"analyzer\":%u,\"pid\":", instance);
    json_append_pid (s, pid);
    g_string_append (s, ",\"reason\":");
    json_append_string (s, why);
    g_string_append_printf (s, ",\"backoff_ms\":%u,\"restarts\":%u",
        backoff_ms, r->n_restarts);
    json_line_emit (s);
  }
}

/* The analysis process did not end cleanly, but the stream is over. */
void
report_analyzer_ended (Report * r, const gchar * why)
{
  report_clear_progress (r);
  g_printerr ("%s: the analysis process %s at the end of the stream\n",
      PROGRAM_NAME, why);

  if (r->json) {
    GString *s = json_line_new ("analyzer_ended");

    g_string_append (s, ",\"reason\":");
    json_append_string (s, why);
    json_line_emit (s);
  }
}

void
report_analyzer_output_failed (Report * r, const gchar * message)
{
  report_clear_progress (r);
  g_printerr ("%s: reading the analysis output failed: %s\n", PROGRAM_NAME,
      message);
}

/* The first playlist is the media playlist @playlist, and @segment the
 * first segment fetched (NULL: not known yet).
 * For a live stream, that is where it was joined: the times of the report
 * count from its first frame. */
void
report_playlist (Report * r, const MediaPlaylist * playlist,
    const Segment * segment)
{
  gchar *pdt = segment && segment->program_date_time ?
      g_date_time_format_iso8601 (segment->program_date_time) : NULL;
  GString *s = g_string_new (NULL);

  report_clear_progress (r);
  if (segment)
    g_printerr ("%s: %s playlist, first segment: media sequence %"
        G_GINT64_FORMAT "%s%s\n", PROGRAM_NAME, playlist->live ? "live" :
        "VOD", segment->media_sequence, pdt ? ", program date-time " : "",
        pdt ? pdt : "");
  else if (playlist->live)
    g_printerr ("%s: live playlist, media sequence %" G_GINT64_FORMAT
        " to %" G_GINT64_FORMAT "\n", PROGRAM_NAME, playlist->media_sequence,
        playlist->media_sequence + playlist->segments->len - 1);

  g_string_append_printf (s, "{\"live\":%s,\"media_sequence\":%"
      G_GINT64_FORMAT ",\"first_segment\":", playlist->live ? "true" :
      "false", playlist->media_sequence);
  if (segment) {
    g_string_append (s, "{\"uri\":");
    json_append_string (s, segment->uri);
    g_string_append_printf (s, ",\"media_sequence\":%" G_GINT64_FORMAT
        ",\"program_date_time\":", segment->media_sequence);
    json_append_string (s, pdt);
    g_string_append_c (s, '}');
  } else {
    g_string_append (s, "null");
  }
  g_string_append_c (s, '}');
  g_free (r->playlist);
  r->playlist = g_string_free (s, FALSE);
  g_free (pdt);

  if (r->json) {
    GString *line = json_line_new ("playlist");

    /* the same fields, in the line */
    g_string_append_c (line, ',');
    g_string_append_len (line, r->playlist + 1, strlen (r->playlist) - 2);
    json_line_emit (line);
  }
}

/* --- at the end ---------------------------------------------------------- */

guint
report_count_states (Report * r)
{
  guint i, n = 0;

  for (i = 0; i < r->timeline->len; i++)
    if (((TimelineEntry *) g_ptr_array_index (r->timeline, i))->state)
      n++;

  return n;
}

static void
report_print_timeline (Report * r, FILE * f, guint restarts)
{
  guint i, n_states = 0;

  fprintf (f, "\nDetected timeline of %s\n", r->uri);
  fprintf (f, "%9s  %-6s  %-60s  %s\n", "start (s)", "state", "evidence",
      "snapshot");
  if (r->timeline_dropped)
    fprintf (f, "%9s  (%" G_GUINT64_FORMAT " earlier entries left out)\n",
        "...", r->timeline_dropped);
  for (i = 0; i < r->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (r->timeline, i);

    if (e->state) {
      gchar *sum = summarize_evidence (e->state, e->evidence);

      fprintf (f, "%9.3f  %-6s  %-60s  %s\n", e->start, e->state, sum,
          e->snapshot ? e->snapshot : "-");
      g_free (sum);
      n_states++;
    } else {
      fprintf (f, "%9.3f  %-6s  (%s)\n", e->start, "-", e->note);
    }
  }
  if (r->end_time >= 0)
    fprintf (f, "%9.3f  end\n", r->end_time);
  fprintf (f, "%u state change%s, %u restart%s of the analysis process\n",
      n_states, n_states == 1 ? "" : "s", restarts, restarts == 1 ? "" : "s");
}

static void
append_timeline (Report * r, GString * s)
{
  gboolean first = TRUE;
  guint i;

  g_string_append (s, "  \"timeline\": [");
  for (i = 0; i < r->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (r->timeline, i);

    if (!e->state)
      continue;
    g_string_append_printf (s, "%s\n    {\"start\": ", first ? "" : ",");
    json_append_double (s, e->start);
    g_string_append (s, ", \"state\": ");
    json_append_string (s, e->state);
    g_string_append_printf (s, ", \"evidence\": %s, \"snapshot\": ",
        e->evidence ? e->evidence : "null");
    json_append_string (s, e->snapshot);
    g_string_append_printf (s, ", \"analyzer\": %u}", e->instance);
    first = FALSE;
  }
  g_string_append (s, "\n  ],\n");
}

static void
append_variant_log (Report * r, GString * s)
{
  guint i;

  g_string_append (s, "  \"variant_log\": [");
  for (i = 0; i < r->variant_log->len; i++) {
    g_string_append_printf (s, "%s\n    {\"at\":", i ? "," : "");
    append_variant (s, &g_array_index (r->variant_log, PipelineVariant, i));
    g_string_append_c (s, '}');
  }
  g_string_append (s, "\n  ],\n");
}

static void
append_restart_log (Report * r, GString * s)
{
  gboolean first = TRUE;
  guint i;

  g_string_append (s, "  \"restart_log\": [");
  for (i = 0; i < r->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (r->timeline, i);

    if (e->state)
      continue;
    g_string_append_printf (s, "%s\n    {\"at\": ", first ? "" : ",");
    json_append_double (s, e->start);
    g_string_append (s, ", \"reason\": ");
    json_append_string (s, e->note);
    g_string_append_c (s, '}');
    first = FALSE;
  }
  g_string_append (s, "\n  ]\n");
}

/* Writes summary.json into @snapshot_dir; returns its path, or NULL. */
static gchar *
report_write_summary (Report * r, const gchar * snapshot_dir,
    const ReportResult * result)
{
  GString *s = g_string_new ("{\n  \"uri\": ");
  GError *err = NULL;
  gchar *path;

  json_append_string (s, r->uri);
  g_string_append_printf (s, ",\n  \"ok\": %s,\n  \"eos\": %s,\n",
      result->ok ? "true" : "false", result->eos ? "true" : "false");
  g_string_append_printf (s, "  \"frames_decoded\": %" G_GUINT64_FORMAT
      ",\n  \"frames_sent\": %" G_GUINT64_FORMAT ",\n  \"restarts\": %u,\n",
      result->frames, result->delivered, result->restarts);
  g_string_append_printf (s, "  \"transport\": {\"copies\": %"
      G_GUINT64_FORMAT ", \"memfds_created\": %" G_GUINT64_FORMAT
      ", \"memfds_reused\": %" G_GUINT64_FORMAT "},\n", result->copies,
      result->memfds_created, result->memfds_reused);
  if (r->end_time >= 0) {
    g_string_append (s, "  \"end\": ");
    json_append_double (s, r->end_time);
    g_string_append (s, ",\n");
  }
  g_string_append (s, "  \"error\": ");
  json_append_string (s, result->error);
  g_string_append (s, ",\n  \"demux\": ");
  json_append_string (s, r->demux);
  g_string_append (s, ",\n  \"variants\": ");
  if (r->variants)
    append_variant_list (s, r->variants);
  else
    g_string_append (s, "[]");
  g_string_append (s, ",\n  \"variant_pinned\": ");
  if (r->pinned >= 0)
    g_string_append_printf (s, "%d", r->pinned);
  else
    g_string_append (s, "null");
  g_string_append (s, ",\n  \"playlist\": ");
  g_string_append (s, r->playlist ? r->playlist : "null");
  g_string_append_printf (s, ",\n  \"timeline_dropped\": %" G_GUINT64_FORMAT
      ",\n", r->timeline_dropped);
  append_variant_log (r, s);
  append_timeline (r, s);
  append_restart_log (r, s);
  g_string_append (s, "}\n");

  path = g_build_filename (snapshot_dir, "summary.json", NULL);
  if (!g_file_set_contents (path, s->str, s->len, &err)) {
    g_printerr ("%s: cannot write %s: %s\n", PROGRAM_NAME, path, err->message);
    g_clear_error (&err);
    g_clear_pointer (&path, g_free);
  }
  g_string_free (s, TRUE);

  return path;
}

static void
report_emit_end (Report * r, const ReportResult * result, const gchar * summary)
{
  GString *s = json_line_new ("end");

  g_string_append_printf (s, ",\"ok\":%s,\"exit_status\":%d,\"eos\":%s,"
      "\"end\":", result->ok ? "true" : "false", result->exit_status,
      result->eos ? "true" : "false");
  if (r->end_time >= 0)
    json_append_double (s, r->end_time);
  else
    g_string_append (s, "null");
  g_string_append_printf (s, ",\"frames_decoded\":%" G_GUINT64_FORMAT
      ",\"frames_sent\":%" G_GUINT64_FORMAT ",\"restarts\":%u,\"states\":%u"
      ",\"error\":", result->frames, result->delivered, result->restarts,
      report_count_states (r));
  json_append_string (s, result->message);
  g_string_append (s, ",\"summary\":");
  json_append_string (s, summary);
  json_line_emit (s);
}

/* The end of the run: the timeline and summary.json when anything was
 * decoded or detected; with --json, the "end" line in any case.
 * @snapshot_dir may be NULL when the run failed before it had one. */
void
report_finish (Report * r, const gchar * snapshot_dir,
    const ReportResult * result)
{
  gchar *summary = NULL;

  if (snapshot_dir && (result->frames > 0 || report_count_states (r) > 0)) {
    if (!r->json) {
      report_print_timeline (r, stdout, result->restarts);
      printf ("frames: %" G_GUINT64_FORMAT " decoded, %" G_GUINT64_FORMAT
          " sent to the analysis\n", result->frames, result->delivered);
    }
    summary = report_write_summary (r, snapshot_dir, result);
    if (summary && !r->json)
      printf ("summary: %s\n", summary);
  }
  if (r->json)
    report_emit_end (r, result, summary);
  fflush (stdout);
  g_free (summary);
}
