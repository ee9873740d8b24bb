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

/* Supervision of the analysis process. It is spawned with one end of a
 * socketpair as fd 3; the other end becomes multisocketsink's client.
 * It prints one JSON line per state change on its stdout, which goes to
 * the report.
 *
 * When it exits before the end of the stream (crash, SIGKILL, its own
 * watchdog, its memory limit), or stops reading its socket for
 * HANG_SECONDS, its socket is dropped from the sink, it is killed if
 * needed and a new one starts after a backoff (100 ms, doubled up to 2 s,
 * back to 100 ms after one that ran BACKOFF_RESET_SECONDS). Frames keep
 * flowing meanwhile. At the end of the stream it gets the EOS message and
 * EXIT_GRACE_SECONDS to exit by itself. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "supervisor.h"
#include "json.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define ANALYZER_FD 3

/* no frame read by the analysis process for this long while frames wait:
 * it is hung */
#define HANG_SECONDS 5
/* the same before its first frame: it may have to build its plugin
 * registry first */
#define STARTUP_SECONDS 20
/* how long a finished or disconnected analysis process may take to exit */
#define EXIT_GRACE_SECONDS 10
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* an analysis process that ran this long resets the backoff */
#define BACKOFF_RESET_SECONDS 10

typedef struct
{
  Supervisor *sup;
  guint instance;
  GSubprocess *proc;
  gchar *pid;
  GSocket *socket;
  GDataInputStream *out;
  GCancellable *cancellable;
  gint64 started;

  gboolean stdout_done;
  gboolean exited;
  gboolean in_sink;
  gboolean eos_delivered;
  gboolean saw_eos;
  gboolean killed_by_us;
  gchar *kill_reason;
  guint kill_timeout;
} Analyzer;

struct _Supervisor
{
  SupervisorOptions options;
  Pipeline *pipeline;
  Report *report;
  SupervisorDoneFunc done;
  gpointer user_data;

  Analyzer *analyzer;
  guint n_instances;
  guint restarts;
  guint backoff_ms;
  guint restart_source;
  guint watch_source;

  gboolean stopping;
  gboolean stream_ended;

  /* the hang check */
  guint64 last_done;
  gint64 last_done_change;
};

static void supervisor_start_analyzer (Supervisor * sup);

static void
supervisor_fail (Supervisor * sup, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sup->done (message, sup->user_data);
  g_free (message);
}

/* --- one analysis process ------------------------------------------------ */

static void
analyzer_free (Analyzer * an)
{
  if (an->kill_timeout)
    g_source_remove (an->kill_timeout);
  g_clear_object (&an->cancellable);
  g_clear_object (&an->out);
  g_clear_object (&an->proc);
  g_clear_object (&an->socket);
  g_free (an->pid);
  g_free (an->kill_reason);
  g_free (an);
}

static void
analyzer_remove_from_sink (Analyzer * an)
{
  Pipeline *pipeline = an->sup->pipeline;

  pipeline_deactivate_client (pipeline);
  if (an->in_sink) {
    an->in_sink = FALSE;
    /* the sink closes it when it lets go */
    pipeline_remove_client (pipeline, an->socket);
  }
  if (!g_socket_is_closed (an->socket))
    g_socket_close (an->socket, NULL);
}

static gboolean
analyzer_kill_timeout (gpointer user_data)
{
  Analyzer *an = user_data;

  an->kill_timeout = 0;
  if (!an->exited) {
    an->killed_by_us = TRUE;
    g_subprocess_force_exit (an->proc);
  }

  return G_SOURCE_REMOVE;
}

/* Gives it @seconds to exit by itself, then kills it. */
static void
analyzer_grant_grace (Analyzer * an, guint seconds)
{
  if (!an->kill_timeout)
    an->kill_timeout = g_timeout_add_seconds (seconds, analyzer_kill_timeout,
        an);
}

static void
analyzer_kill (Analyzer * an, const gchar * reason)
{
  if (an->exited || an->killed_by_us)
    return;

  if (an->kill_reason == NULL)
    an->kill_reason = g_strdup (reason);
  if (!an->sup->stopping)
    report_analyzer_killed (an->sup->report, an->pid, reason);
  an->killed_by_us = TRUE;
  g_subprocess_force_exit (an->proc);
}

static gchar *
analyzer_describe_exit (Analyzer * an)
{
  if (g_subprocess_get_if_signaled (an->proc)) {
    gint sig = g_subprocess_get_term_sig (an->proc);

    return g_strdup_printf ("killed by signal %d (%s)%s%s", sig,
        g_strsignal (sig), an->kill_reason ? ": " : "",
        an->kill_reason ? an->kill_reason : "");
  }
  if (g_subprocess_get_if_exited (an->proc)) {
    gint status = g_subprocess_get_exit_status (an->proc);

    if (status == 3)
      return g_strdup ("exited with status 3 (its watchdog: no frames)");
    return g_strdup_printf ("exited with status %d", status);
  }

  return g_strdup ("ended");
}

static gboolean
restart_analyzer (gpointer user_data)
{
  Supervisor *sup = user_data;

  sup->restart_source = 0;
  supervisor_start_analyzer (sup);

  return G_SOURCE_REMOVE;
}

/* It went away in the middle of the stream: note it, start another. */
static void
supervisor_restart (Supervisor * sup, Analyzer * an)
{
  gchar *why = analyzer_describe_exit (an);

  report_analyzer_restarting (sup->report,
      pipeline_get_stream_time (sup->pipeline), an->instance, an->pid, why,
      sup->backoff_ms);
  g_free (why);

  if (g_get_monotonic_time () - an->started >
      BACKOFF_RESET_SECONDS * G_USEC_PER_SEC)
    sup->backoff_ms = BACKOFF_MIN_MS;
  analyzer_free (an);

  sup->restarts++;
  if (sup->options.max_restarts >= 0 &&
      sup->restarts > (guint) sup->options.max_restarts) {
    supervisor_fail (sup, "the analysis process failed %u times; giving up",
        sup->restarts);
    return;
  }

  sup->restart_source = g_timeout_add (sup->backoff_ms, restart_analyzer, sup);
  sup->backoff_ms = MIN (sup->backoff_ms * 2, BACKOFF_MAX_MS);
}

/* Both the exit status and the end of its output are in: decide. */
static void
analyzer_check_done (Analyzer * an)
{
  Supervisor *sup = an->sup;
  gboolean finished;

  if (!an->exited || !an->stdout_done)
    return;

  analyzer_remove_from_sink (an);
  if (sup->analyzer == an)
    sup->analyzer = NULL;

  finished = an->saw_eos && g_subprocess_get_if_exited (an->proc) &&
      g_subprocess_get_exit_status (an->proc) == 0;

  if (finished || sup->stopping || sup->stream_ended) {
    if (!finished && !sup->stopping) {
      gchar *why = analyzer_describe_exit (an);

      report_analyzer_ended (sup->report, why);
      g_free (why);
    }
    analyzer_free (an);
    sup->done (NULL, sup->user_data);
    return;
  }

  supervisor_restart (sup, an);
}

static void
on_analyzer_line (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Analyzer *an = user_data;
  GError *err = NULL;
  gchar *line, *event;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM
      (source), res, NULL, &err);
  if (line == NULL) {
    if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      report_analyzer_output_failed (an->sup->report, err->message);
    g_clear_error (&err);
    an->stdout_done = TRUE;
    analyzer_check_done (an);
    return;
  }

  event = json_get_string (line, "event");
  if (g_strcmp0 (event, "eos") == 0)
    an->saw_eos = TRUE;
  g_free (event);
  report_analyzer_line (an->sup->report, an->instance, line,
      pipeline_get_origin (an->sup->pipeline));
  g_free (line);

  g_data_input_stream_read_line_async (an->out, G_PRIORITY_DEFAULT,
      an->cancellable, on_analyzer_line, an);
}

static void
on_analyzer_exited (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Analyzer *an = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  an->exited = TRUE;
  analyzer_check_done (an);
}

static GSubprocess *
supervisor_spawn (Supervisor * sup, guint instance, gint child_fd,
    GError ** error)
{
  const SupervisorOptions *o = &sup->options;
  GSubprocessLauncher *launcher;
  GSubprocess *proc;
  GPtrArray *args;
  gchar *dir;

  /* each process numbers its snapshots from 1: one directory each */
  if (instance == 0)
    dir = g_strdup (o->snapshot_dir);
  else
    dir = g_strdup_printf ("%s/restart-%u", o->snapshot_dir, instance);
  g_mkdir_with_parents (dir, 0755);

  args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup (o->analyzer));
  g_ptr_array_add (args, g_strdup ("--fd"));
  g_ptr_array_add (args, g_strdup_printf ("%d", ANALYZER_FD));
  g_ptr_array_add (args, g_strdup ("--snapshot-dir"));
  g_ptr_array_add (args, dir);
  if (o->watchdog > 0) {
    g_ptr_array_add (args, g_strdup ("--watchdog"));
    g_ptr_array_add (args, g_strdup_printf ("%d", o->watchdog));
  }
  if (o->max_memory > 0) {
    g_ptr_array_add (args, g_strdup ("--max-memory"));
    g_ptr_array_add (args, g_strdup_printf ("%d", o->max_memory));
  }
  if (o->seqpacket)
    g_ptr_array_add (args, g_strdup ("--seqpacket"));
  if (o->remote) {
    g_ptr_array_add (args, g_strdup ("--forward"));
    g_ptr_array_add (args, g_strdup (o->remote));
  }
  g_ptr_array_add (args, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "FDPASS_FD",
      G_STRINGIFY (ANALYZER_FD), TRUE);
  /* the launcher owns the child's end and closes our copy */
  g_subprocess_launcher_take_fd (launcher, child_fd, ANALYZER_FD);
  proc = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) args->pdata, error);
  g_object_unref (launcher);
  g_ptr_array_unref (args);

  return proc;
}

static void
supervisor_start_analyzer (Supervisor * sup)
{
  Analyzer *an;
  GError *err = NULL;
  gint sv[2];

  if (sup->stopping || sup->stream_ended)
    return;

  if (socketpair (AF_UNIX, (sup->options.seqpacket ? SOCK_SEQPACKET :
              SOCK_STREAM) | SOCK_CLOEXEC, 0, sv) < 0) {
    supervisor_fail (sup, "socketpair() failed: %s", g_strerror (errno));
    return;
  }

  an = g_new0 (Analyzer, 1);
  an->sup = sup;
  an->instance = sup->n_instances++;
  an->socket = g_socket_new_from_fd (sv[0], &err);
  if (an->socket == NULL) {
    close (sv[0]);
    close (sv[1]);
    g_free (an);
    supervisor_fail (sup, "cannot use the socketpair: %s", err->message);
    g_clear_error (&err);
    return;
  }

  an->proc = supervisor_spawn (sup, an->instance, sv[1], &err);
  if (an->proc == NULL) {
    g_socket_close (an->socket, NULL);
    analyzer_free (an);
    supervisor_fail (sup, "cannot start the analysis program %s: %s",
        sup->options.analyzer, err->message);
    g_clear_error (&err);
    return;
  }

  an->pid = g_strdup (g_subprocess_get_identifier (an->proc));
  an->started = g_get_monotonic_time ();
  an->cancellable = g_cancellable_new ();
  an->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (an->proc));
  sup->analyzer = an;

  report_analyzer_started (sup->report, an->instance, an->pid);

  sup->last_done = 0;
  sup->last_done_change = g_get_monotonic_time ();
  an->in_sink = TRUE;
  pipeline_add_client (sup->pipeline, an->socket);

  g_data_input_stream_read_line_async (an->out, G_PRIORITY_DEFAULT,
      an->cancellable, on_analyzer_line, an);
  g_subprocess_wait_async (an->proc, NULL, on_analyzer_exited, an);
}

/* Every second: is the analysis process still reading? */
static gboolean
watch_analyzer (gpointer user_data)
{
  Supervisor *sup = user_data;
  Analyzer *an = sup->analyzer;
  guint64 sent, done;
  gint64 now = g_get_monotonic_time ();
  gint limit;

  if (an == NULL || !an->in_sink || an->exited)
    return G_SOURCE_CONTINUE;

  pipeline_get_credit (sup->pipeline, &sent, &done);
  limit = done > 0 ? HANG_SECONDS : STARTUP_SECONDS;
  if (done != sup->last_done || sent <= done + PIPELINE_CREDIT_FRAMES) {
    sup->last_done = done;
    sup->last_done_change = now;
  } else if (now - sup->last_done_change > limit * G_USEC_PER_SEC) {
    gchar *reason = g_strdup_printf ("it read no frame for %d s", limit);

    analyzer_kill (an, reason);
    g_free (reason);
  }

  return G_SOURCE_CONTINUE;
}

/* --- the interface ------------------------------------------------------- */

Supervisor *
supervisor_new (const SupervisorOptions * options, Pipeline * pipeline,
    Report * report, SupervisorDoneFunc done, gpointer user_data)
{
  Supervisor *sup = g_new0 (Supervisor, 1);

  sup->options = *options;
  sup->options.analyzer = g_strdup (options->analyzer);
  sup->options.snapshot_dir = g_strdup (options->snapshot_dir);
  sup->pipeline = pipeline;
  sup->report = report;
  sup->done = done;
  sup->user_data = user_data;
  sup->backoff_ms = BACKOFF_MIN_MS;

  return sup;
}

/* Starts the first analysis process and the hang check. */
void
supervisor_start (Supervisor * sup)
{
  supervisor_start_analyzer (sup);
  sup->watch_source = g_timeout_add_seconds (1, watch_analyzer, sup);
}

/* The pipeline reached its end: no more restarts. TRUE while an analysis
 * process is still running (it gets the EOS message and exits). */
gboolean
supervisor_stream_ended (Supervisor * sup)
{
  sup->stream_ended = TRUE;
  if (sup->restart_source) {
    g_source_remove (sup->restart_source);
    sup->restart_source = 0;
  }

  return sup->analyzer != NULL;
}

/* Stops supervising: kills the analysis process, or with @abort FALSE
 * lets one that has the EOS message exit by itself. TRUE while one is
 * still running: SupervisorDoneFunc follows once it is gone. */
gboolean
supervisor_stop (Supervisor * sup, gboolean abort)
{
  Analyzer *an = sup->analyzer;

  if (!sup->stopping) {
    sup->stopping = TRUE;
    if (sup->restart_source) {
      g_source_remove (sup->restart_source);
      sup->restart_source = 0;
    }
  }

  if (an == NULL)
    return FALSE;

  /* a clean end: it has the EOS and exits by itself */
  if (abort || !an->eos_delivered)
    analyzer_kill (an, "stopping");
  else
    analyzer_grant_grace (an, EXIT_GRACE_SECONDS);

  return TRUE;
}

/* The sink wrote the EOS message: close our end so that it sees the end
 * even if it ignores the EOS message. */
void
supervisor_eos_delivered (Supervisor * sup)
{
  Analyzer *an = sup->analyzer;

  if (an && !an->eos_delivered) {
    an->eos_delivered = TRUE;
    analyzer_remove_from_sink (an);
    analyzer_grant_grace (an, EXIT_GRACE_SECONDS);
  }
}

/* The sink let go of @socket. When it dropped the current analysis
 * process by itself (it closed its end, or the socket failed), let it
 * exit by itself, else kill it. */
void
supervisor_client_removed (Supervisor * sup, GSocket * socket)
{
  Analyzer *an = sup->analyzer;

  if (an && an->socket == socket && an->in_sink) {
    an->in_sink = FALSE;
    pipeline_deactivate_client (sup->pipeline);
    if (!an->exited)
      analyzer_grant_grace (an, an->eos_delivered ? EXIT_GRACE_SECONDS : 2);
  }
}

guint
supervisor_get_restarts (Supervisor * sup)
{
  return sup->restarts;
}

/* Kills whatever analysis process is left and waits until it is gone. */
void
supervisor_shutdown (Supervisor * sup)
{
  while (sup->analyzer) {
    analyzer_kill (sup->analyzer, "stopping");
    g_main_context_iteration (NULL, TRUE);
  }
  if (sup->watch_source) {
    g_source_remove (sup->watch_source);
    sup->watch_source = 0;
  }
  if (sup->restart_source) {
    g_source_remove (sup->restart_source);
    sup->restart_source = 0;
  }
}

void
supervisor_free (Supervisor * sup)
{
  if (sup == NULL)
    return;

  g_free ((gchar *) sup->options.analyzer);
  g_free ((gchar *) sup->options.snapshot_dir);
  g_free (sup);
}
