/* GStreamer fd passing example: HLS demo, supervisor
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

/* The supervisor of the analysis process (fdpass-analyze): starts it with
 * one end of a socketpair as fd 3 and the other end as the pipeline's
 * client, reads its JSON lines into the report, restarts it with backoff
 * when it dies or hangs mid-stream, and kills it when it must. It calls
 * SupervisorDoneFunc when it has nothing left to supervise. */

#ifndef __HLS_DEMO_SUPERVISOR_H__
#define __HLS_DEMO_SUPERVISOR_H__

#include "pipeline.h"
#include "report.h"

G_BEGIN_DECLS

typedef struct _Supervisor Supervisor;

typedef struct
{
  /* the analysis program, and where its snapshots go */
  const gchar *analyzer;
  const gchar *snapshot_dir;
  /* give up after this many restarts; -1: never */
  gint max_restarts;
  /* passed on to the analysis program when > 0 */
  gint watchdog;
  gint max_memory;
  gboolean seqpacket;
  /* HOST:PORT of an analysis host: the analysis program forwards the
   * frames there (--forward) instead of analysing them */
  const gchar *remote;
} SupervisorOptions;

/* No analysis process is left and none will be started: the stream
 * ended, the supervisor was stopped, or (@error set) it gave up. */
typedef void (*SupervisorDoneFunc) (const gchar * error, gpointer user_data);

Supervisor *  supervisor_new            (const SupervisorOptions * options,
                                         Pipeline * pipeline, Report * report,
                                         SupervisorDoneFunc done,
                                         gpointer user_data);

void          supervisor_start          (Supervisor * sup);

gboolean      supervisor_stream_ended   (Supervisor * sup);

gboolean      supervisor_stop           (Supervisor * sup, gboolean abort);

void          supervisor_eos_delivered  (Supervisor * sup);

void          supervisor_client_removed (Supervisor * sup, GSocket * socket);

guint         supervisor_get_restarts   (Supervisor * sup);

void          supervisor_shutdown       (Supervisor * sup);

void          supervisor_free           (Supervisor * sup);

G_END_DECLS

#endif /* __HLS_DEMO_SUPERVISOR_H__ */
