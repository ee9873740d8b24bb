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

/* Everything the demo tells its user: the progress line and the live
 * lines on stderr while it runs, and at the end the detected timeline on
 * stdout and summary.json; or with --json, one JSON object per line on
 * stdout for each state change and event, and a last "end" line. The
 * supervisor feeds it the analysis process's lines and what happens to
 * the process. */

#ifndef __HLS_DEMO_REPORT_H__
#define __HLS_DEMO_REPORT_H__

#include <gst/gst.h>

#include "pipeline.h"

G_BEGIN_DECLS

#define PROGRAM_NAME "fdpass-hls-demo"

typedef struct _Report Report;

/* how the run ended */
typedef struct
{
  gboolean ok;
  gint exit_status;
  gboolean eos;
  guint64 frames;
  guint64 delivered;
  guint restarts;
  /* fdpay's stats: see PipelineStats */
  guint64 copies;
  guint64 memfds_created;
  guint64 memfds_reused;
  /* for summary.json: what made the run fail, or NULL */
  const gchar *error;
  /* the error line printed on stderr, or NULL: the "error" of the end
   * line of --json */
  const gchar *message;
} ReportResult;

Report *  report_new                 (gboolean quiet, gboolean json,
                                       guint max_timeline);

void      report_started             (Report * report, const gchar * uri,
                                      const gchar * snapshot_dir,
                                      const gchar * demux,
                                      const gchar * variant);

void      report_variants            (Report * report, GPtrArray * variants,
                                      gint pinned);

void      report_variant             (Report * report,
                                      const PipelineVariant * variant);

void      report_playlist            (Report * report,
                                      const MediaPlaylist * playlist,
                                      const Segment * segment);

void      report_clear_progress      (Report * report);

void      report_show_progress       (Report * report, GstClockTime position,
                                      guint64 frames, guint64 delivered,
                                      guint restarts);

void      report_analyzer_started    (Report * report, guint instance,
                                      const gchar * pid);

void      report_analyzer_line       (Report * report, guint instance,
                                      const gchar * line, gdouble origin);

void      report_analyzer_killed     (Report * report, const gchar * pid,
                                      const gchar * reason);

void      report_analyzer_restarting (Report * report, gdouble at,
                                      guint instance, const gchar * pid,
                                      const gchar * why, guint backoff_ms);

void      report_analyzer_ended      (Report * report, const gchar * why);

void      report_analyzer_output_failed (Report * report,
                                         const gchar * message);

guint     report_count_states        (Report * report);

void      report_finish              (Report * report,
                                      const gchar * snapshot_dir,
                                      const ReportResult * result);

void      report_free                (Report * report);

G_END_DECLS

#endif /* __HLS_DEMO_REPORT_H__ */
