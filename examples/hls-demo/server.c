/* GStreamer fd passing example: HLS demo, HTTP server
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

/* Serves the generated stream (or what a handler makes, see relay.c) over
 * HTTP on a free port of 127.0.0.1. A GThreadedSocketService accepts in a
 * thread of its own with its own main context, so the server answers
 * whatever the main thread is doing; each request is read, answered with
 * the whole file (or 404/405) and the connection closed. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "server.h"

#include <string.h>

struct _Server
{
  gchar *root;
  ServerHandler handler;
  gpointer user_data;
  GMainContext *context;
  GMainLoop *loop;
  GSocketService *service;
  GThread *thread;
  guint16 port;
};

static const gchar *
content_type_for (const gchar * name)
{
  if (g_str_has_suffix (name, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (name, ".txt"))
    return "text/plain";
  return "application/octet-stream";
}

static void
server_respond (GOutputStream * out, const gchar * status,
    const gchar * type, const gchar * body, gsize size)
{
  gchar *head;

  head = g_strdup_printf ("HTTP/1.1 %s\r\nContent-Type: %s\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
      status, type, size);
  if (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL)
      && body != NULL)
    g_output_stream_write_all (out, body, size, NULL, NULL, NULL);
  g_free (head);
}

/* In a thread of the service's pool: one request per connection. */
static gboolean
server_run (GThreadedSocketService * service, GSocketConnection * conn,
    GObject * source_object, gpointer user_data)
{
  Server *server = user_data;
  GDataInputStream *in;
  GOutputStream *out;
  gchar *line, *path = NULL, *name, *file, *data = NULL;
  gchar **parts = NULL;
  gsize size = 0;
  guint n_headers = 0;

  g_socket_set_timeout (g_socket_connection_get_socket (conn), 10);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in),
      FALSE);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));

  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (line == NULL)
    goto done;
  g_strchomp (line);
  parts = g_strsplit (line, " ", 3);
  g_free (line);

  /* the headers: read and ignore */
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL))) {
    gboolean end = g_strchomp (line)[0] == '\0';

    g_free (line);
    if (end || ++n_headers > 100)
      break;
  }

  if (g_strv_length (parts) < 2 || strcmp (parts[0], "GET") != 0) {
    server_respond (out, "405 Method Not Allowed", "text/plain",
        "GET only\n", 9);
    goto done;
  }

  path = g_strndup (parts[1], strcspn (parts[1], "?#"));
  name = g_uri_unescape_string (path[0] == '/' ? path + 1 : path, "/");
  if (name != NULL && server->handler != NULL) {
    ServerResponse response = { NULL, };

    server->handler (name, &response, server->user_data);
    server_respond (out, response.status ? response.status : "200 OK",
        response.content_type ? response.content_type : "text/plain",
        response.body, response.size);
    g_free (response.body);
    g_free (name);
    goto done;
  }

  /* a plain file name in the root directory, nothing else */
  if (name == NULL || name[0] == '\0' || name[0] == '.' ||
      strchr (name, '/') != NULL) {
    g_free (name);
    server_respond (out, "404 Not Found", "text/plain", "not found\n", 10);
    goto done;
  }
  file = g_build_filename (server->root, name, NULL);
  if (g_file_get_contents (file, &data, &size, NULL))
    server_respond (out, "200 OK", content_type_for (name), data, size);
  else
    server_respond (out, "404 Not Found", "text/plain", "not found\n", 10);
  g_free (file);
  g_free (name);

done:
  g_free (data);
  g_free (path);
  g_strfreev (parts);
  g_object_unref (in);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);

  return TRUE;
}

static gpointer
server_thread (gpointer user_data)
{
  Server *server = user_data;

  g_main_context_push_thread_default (server->context);
  g_main_loop_run (server->loop);
  g_main_context_pop_thread_default (server->context);

  return NULL;
}

static Server *
server_start_internal (const gchar * root, ServerHandler handler,
    gpointer user_data, GError ** error)
{
  Server *server = g_new0 (Server, 1);
  GInetAddress *loopback;
  GSocketAddress *addr, *effective = NULL;
  gboolean ok;

  server->root = g_strdup (root);
  server->handler = handler;
  server->user_data = user_data;
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);

  /* the service accepts in the context that is the thread default when
   * it starts listening: the server thread's */
  g_main_context_push_thread_default (server->context);
  server->service = g_threaded_socket_service_new (4);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (loopback, 0);
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (server->service),
      addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
      error);
  g_object_unref (addr);
  g_object_unref (loopback);
  if (ok) {
    server->port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    g_object_unref (effective);
    g_signal_connect (server->service, "run", G_CALLBACK (server_run), server);
    g_socket_service_start (server->service);
  }
  g_main_context_pop_thread_default (server->context);

  if (!ok) {
    g_object_unref (server->service);
    g_main_loop_unref (server->loop);
    g_main_context_unref (server->context);
    g_free (server->root);
    g_free (server);
    return NULL;
  }

  server->thread = g_thread_new ("http-server", server_thread, server);

  return server;
}

/* Starts serving the files of @root on a free port of 127.0.0.1. */
Server *
server_start (const gchar * root, GError ** error)
{
  return server_start_internal (root, NULL, NULL, error);
}

/* Starts answering each GET with what @handler makes of the path (without
 * its leading '/' and query), in a thread of the server's. */
Server *
server_start_with_handler (ServerHandler handler, gpointer user_data,
    GError ** error)
{
  return server_start_internal (NULL, handler, user_data, error);
}

guint16
server_get_port (Server * server)
{
  return server->port;
}

/* Stops the server and frees it; NULL is fine. */
void
server_stop (Server * server)
{
  if (server == NULL)
    return;

  g_main_loop_quit (server->loop);
  g_thread_join (server->thread);

  g_main_context_push_thread_default (server->context);
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  /* let the cancelled accept finish, releasing its references */
  while (g_main_context_iteration (server->context, FALSE));
  g_main_context_pop_thread_default (server->context);

  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_free (server->root);
  g_free (server);
}
