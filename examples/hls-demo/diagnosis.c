/* GStreamer fd passing example: HLS demo, download errors
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

/* Turns the bus messages of a failed stream into one line that says which
 * URL failed and why.
 *
 * hlsdemux downloads with a souphttpsrc of its own and keeps that
 * element's errors to itself: it retries, and at last posts either its own
 * error, often a bare "Internal data stream error", or a clean EOS (a
 * segment answered with an HTTP error status). What reaches the bus is
 * enough to tell what happened, though:
 *
 *  - every souphttpsrc posts an "http-headers" element message per
 *    request, with the URI, the HTTP status (0: no response at all) and
 *    the response headers (Content-Length, Content-Range on resumes);
 *  - hlsdemux posts "adaptive-streaming-statistics" once a playlist or a
 *    segment has been downloaded completely.
 *
 * So a request that got no "statistics" has failed: with an HTTP status,
 * or after a response (the server closed the connection in the middle of
 * the body; souphttpsrc resumes with a Range request, which posts the
 * headers again), or with no response at all. Only in that last case does
 * the message not say whether the server refused the connection or did
 * not answer in time: then one request of our own, with the same timeout,
 * tells. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "diagnosis.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* one URI requested, not (yet) downloaded completely */
typedef struct
{
  gchar *uri;
  guint attempts;
  /* of the last response; 0: none */
  guint status;
  gboolean responded;
  /* bytes before the last resumed request, and of the whole body */
  guint64 received;
  guint64 total;
} Request;

struct _Diagnosis
{
  gchar *uri;
  guint http_timeout;
  /* in the order of their last request */
  GPtrArray *pending;
  gchar *last_warning;
};

static void
request_free (gpointer data)
{
  Request *r = data;

  g_free (r->uri);
  g_free (r);
}

Diagnosis *
diagnosis_new (const gchar * uri, guint http_timeout)
{
  Diagnosis *d = g_new0 (Diagnosis, 1);

  d->uri = g_strdup (uri);
  d->http_timeout = http_timeout;
  d->pending = g_ptr_array_new_with_free_func (request_free);

  return d;
}

void
diagnosis_free (Diagnosis * d)
{
  if (d == NULL)
    return;

  g_ptr_array_unref (d->pending);
  g_free (d->last_warning);
  g_free (d->uri);
  g_free (d);
}

/* --- watching ------------------------------------------------------------ */

/* "bytes 3070-9211/9212": 3070 received before, 9212 in all */
static void
request_parse_range (Request * r, const gchar * range)
{
  const gchar *slash;

  if (range == NULL || !g_str_has_prefix (range, "bytes "))
    return;
  r->received = g_ascii_strtoull (range + 6, NULL, 10);
  slash = strchr (range, '/');
  if (slash && slash[1] != '*')
    r->total = g_ascii_strtoull (slash + 1, NULL, 10);
}

static void
diagnosis_observe_headers (Diagnosis * d, const GstStructure * s)
{
  const gchar *uri = gst_structure_get_string (s, "uri");
  GstStructure *headers = NULL;
  Request *r = NULL;
  guint i, status = 0;

  if (uri == NULL)
    return;
  gst_structure_get_uint (s, "http-status-code", &status);

  for (i = 0; i < d->pending->len && r == NULL; i++) {
    Request *p = g_ptr_array_index (d->pending, i);

    if (strcmp (p->uri, uri) == 0)
      r = g_ptr_array_steal_index (d->pending, i);
  }
  if (r == NULL) {
    r = g_new0 (Request, 1);
    r->uri = g_strdup (uri);
  }
  g_ptr_array_add (d->pending, r);

  r->attempts++;
  r->status = status;
  if (status < 200 || status >= 300)
    return;

  r->responded = TRUE;
  if (gst_structure_get (s, "response-headers", GST_TYPE_STRUCTURE, &headers,
          NULL)) {
    const gchar *length = gst_structure_get_string (headers, "Content-Length");

    if (status == 206) {
      request_parse_range (r, gst_structure_get_string (headers,
              "Content-Range"));
    } else if (length) {
      r->received = 0;
      r->total = g_ascii_strtoull (length, NULL, 10);
    }
    gst_structure_free (headers);
  }
}

/* Feed every bus message here, in order. */
void
diagnosis_observe (Diagnosis * d, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    g_free (d->last_warning);
    d->last_warning = g_strdup_printf ("%s: %s",
        GST_MESSAGE_SRC (msg) ? GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)) : "?",
        err->message);
    g_clear_error (&err);
    return;
  }
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || s == NULL)
    return;

  if (gst_structure_has_name (s, "http-headers"))
    diagnosis_observe_headers (d, s);
  else if (gst_structure_has_name (s, "adaptive-streaming-statistics"))
    /* a download completed: the stream went on past anything before */
    g_ptr_array_set_size (d->pending, 0);
}

/* --- explaining ---------------------------------------------------------- */

static const gchar *
http_reason (guint status)
{
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status >= 500 ? "server error" : "client error";
  }
}

/* The last request that did not complete and looks failed, or NULL. */
static Request *
diagnosis_failed_request (Diagnosis * d)
{
  guint i;

  for (i = d->pending->len; i > 0; i--) {
    Request *r = g_ptr_array_index (d->pending, i - 1);

    if (r->status == 0 || r->status >= 300 || r->attempts > 1)
      return r;
  }

  return NULL;
}

/* One request of our own, after the failure: does the server still
 * accept connections, and does it answer within the timeout? */
static gchar *
diagnosis_probe (Diagnosis * d, const gchar * uri)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GDataInputStream *in;
  GstUri *guri = gst_uri_from_string (uri);
  const gchar *path;
  GError *err = NULL;
  gchar *request, *host, *line, *cause;

  g_socket_client_set_timeout (client, d->http_timeout);
  g_socket_client_set_tls (client, g_str_has_prefix (uri, "https:"));
  conn = g_socket_client_connect_to_uri (client, uri,
      g_str_has_prefix (uri, "https:") ? 443 : 80, NULL, &err);
  g_object_unref (client);
  if (conn == NULL) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
      cause = g_strdup ("connection refused (the server stopped listening)");
    else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
      cause = g_strdup_printf ("timed out: no connection within %u s",
          d->http_timeout);
    else
      cause = g_strdup_printf ("cannot connect: %s", err->message);
    g_clear_error (&err);
    gst_uri_unref (guri);
    return cause;
  }

  /* the path and query as they are in the URI, escaped */
  path = strstr (uri, "://");
  path = path ? strchr (path + 3, '/') : NULL;
  if (gst_uri_get_port (guri) == GST_URI_NO_PORT)
    host = g_strdup (gst_uri_get_host (guri));
  else
    host = g_strdup_printf ("%s:%u", gst_uri_get_host (guri),
        gst_uri_get_port (guri));
  request = g_strdup_printf ("GET %.*s HTTP/1.1\r\nHost: %s\r\n"
      "Connection: close\r\n\r\n", path ? (gint) strcspn (path, "#") : 1,
      path ? path : "/", host);
  g_free (host);
  gst_uri_unref (guri);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  line = NULL;
  if (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
              (conn)), request, strlen (request), NULL, NULL, &err))
    line = g_data_input_stream_read_line (in, NULL, NULL, &err);
  g_free (request);

  if (line && strchr (line, ' ') && atoi (strchr (line, ' ') + 1) >= 400) {
    guint status = atoi (strchr (line, ' ') + 1);

    cause = g_strdup_printf ("HTTP %u %s", status, http_reason (status));
  } else if (line) {
    cause = g_strdup ("the connection failed (the server answers again "
        "now)");
  } else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    cause = g_strdup_printf ("timed out: no response within %u s",
        d->http_timeout);
  } else {
    cause = g_strdup ("the server closed the connection without answering");
  }
  g_clear_error (&err);
  g_free (line);
  g_object_unref (in);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);

  return cause;
}

static gchar *
diagnosis_describe (Diagnosis * d, Request * r)
{
  const gchar *what = strstr (r->uri, ".m3u8") ? "playlist" : "segment";
  gchar *cause, *attempts, *line;

  if (r->status >= 300) {
    cause = g_strdup_printf ("HTTP %u %s", r->status,
        r->status >= 400 ? http_reason (r->status) : "redirect");
  } else if (r->responded && r->total > 0) {
    cause = g_strdup_printf ("the server closed the connection in the "
        "middle of it (after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
        " bytes)", r->received, r->total);
  } else if (r->responded) {
    cause = g_strdup ("the server closed the connection in the middle of "
        "it");
  } else {
    cause = diagnosis_probe (d, r->uri);
  }

  attempts = r->attempts > 1 ?
      g_strdup_printf (" (%u requests)", r->attempts) : g_strdup ("");
  line = g_strdup_printf ("%s %s: %s%s", what, r->uri, cause, attempts);
  g_free (attempts);
  g_free (cause);

  return line;
}

/* The first line of @text, or NULL */
static gchar *
first_line (const gchar * text)
{
  return text ? g_strndup (text, strcspn (text, "\n")) : NULL;
}

/* The last line of @text, or NULL */
static gchar *
last_line (const gchar * text)
{
  gchar *copy, *nl;

  if (text == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (text));
  nl = strrchr (copy, '\n');
  if (nl) {
    gchar *tail = g_strdup (nl + 1);

    g_free (copy);
    return tail;
  }
  return copy;
}

/* What the pipeline's ERROR message @msg means, in one line. */
gchar *
diagnosis_explain_error (Diagnosis * d, GstMessage * msg, guint64 frames)
{
  GstObject *src = GST_MESSAGE_SRC (msg);
  Request *failed = diagnosis_failed_request (d);
  GError *err = NULL;
  gchar *debug = NULL, *detail, *message, *line;

  gst_message_parse_error (msg, &err, &debug);
  detail = last_line (debug);
  message = first_line (err->message);

  if (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND)
      && frames == 0)
    line = g_strdup_printf ("%s is not an HLS playlist (unrecognised "
        "content)", d->uri);
  else if (failed)
    line = diagnosis_describe (d, failed);
  else if (frames == 0 && src && GST_IS_URI_HANDLER (src))
    line = g_strdup_printf ("cannot read %s: %s (%s)", d->uri, message,
        detail ? detail : "no details");
  else
    line = g_strdup_printf ("error from %s: %s (%s)%s%s",
        src ? GST_OBJECT_NAME (src) : "?", message,
        detail ? detail : "no details",
        d->last_warning ? "; warning before it: " : "",
        d->last_warning ? d->last_warning : "");

  g_free (message);
  g_free (detail);
  g_free (debug);
  g_clear_error (&err);

  return line;
}

/* NULL when the stream really ended, else why it stopped: hlsdemux ends
 * the stream after a segment keeps failing with an HTTP error. */
gchar *
diagnosis_explain_eos (Diagnosis * d)
{
  Request *failed = diagnosis_failed_request (d);
  gchar *what, *line;

  if (failed == NULL)
    return NULL;

  what = diagnosis_describe (d, failed);
  line = g_strdup_printf ("%s; the stream stopped there", what);
  g_free (what);

  return line;
}

/* souphttpsrc reports a refused connection as a bare flow error: try the
 * server first, for a clear message */
gboolean
diagnosis_check_reachable (const gchar * uri, GError ** error)
{
  GSocketClient *client;
  GSocketConnection *conn;
  gchar *scheme = g_uri_parse_scheme (uri);
  gboolean http;

  http = scheme && (g_ascii_strcasecmp (scheme, "http") == 0 ||
      g_ascii_strcasecmp (scheme, "https") == 0);
  g_free (scheme);
  if (!http)
    return TRUE;

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_uri (client, uri, 80, NULL, error);
  g_object_unref (client);
  if (conn == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);

  return TRUE;
}
