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

/* A tiny HTTP/1.1 server on 127.0.0.1 that serves the files of one
 * directory (the generated playlist and segments), or what a handler
 * answers (the relay of live playlists), from its own thread: GET only,
 * one request per connection, plain file names only. */

#ifndef __HLS_DEMO_SERVER_H__
#define __HLS_DEMO_SERVER_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _Server Server;

/* What a handler answers: all NULL is an empty 200 OK; the server frees
 * body */
typedef struct
{
  const gchar *status;
  const gchar *content_type;
  gchar *body;
  gsize size;
} ServerResponse;

typedef void (*ServerHandler) (const gchar * path, ServerResponse * response,
                               gpointer user_data);

Server *  server_start    (const gchar * root, GError ** error);

Server *  server_start_with_handler (ServerHandler handler,
                                     gpointer user_data, GError ** error);

guint16   server_get_port (Server * server);

void      server_stop     (Server * server);

G_END_DECLS

#endif /* __HLS_DEMO_SERVER_H__ */
