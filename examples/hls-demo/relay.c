/* GStreamer fd passing example: HLS demo, relay of live playlists
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

/* Why a relay: both HLS demuxers of GStreamer 1.22 (hlsdemux and
 * hlsdemux2) count a live stream's time from the first segment of the
 * first playlist they read. While the playlist is live, each refresh is
 * matched to the previous one by media sequence. When a refresh brings
 * #EXT-X-ENDLIST, the playlist is no longer live, and the demuxers look
 * their position up by time in it instead, counting from its own first
 * segment: the window has slid since, the position lies past its end, and
 * the segments that came with #EXT-X-ENDLIST are never fetched (hlsdemux:
 * gst_hls_demux_update_playlist; hlsdemux2: the stream times of a playlist
 * that is not live are not recalculated in
 * gst_hls_media_playlist_sync_to_playlist).
 *
 * So for a live stream the demuxer reads its playlists from this relay on
 * 127.0.0.1, which fetches each one from the origin when asked and
 * answers it as it is, except that:
 *
 *  - every URI is absolute, so that segments, keys and init sections are
 *    fetched from the origin directly, and the playlists of a master
 *    playlist point back at the relay;
 *  - the playlist that ends a live stream gets one more entry before its
 *    window, standing for all the segments that slid out of the window
 *    since the first playlist: the demuxer's count of time then finds the
 *    last segments where they are. It is never fetched.
 *
 * The relay keeps a sum and the durations of the last window, nothing that
 * grows with the stream. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "relay.h"

#include "server.h"
#include "variants.h"

#include <stdio.h>
#include <string.h>

/* the most of a playlist the relay reads */
#define MAX_PLAYLIST_SIZE (4 * 1024 * 1024)
/* what a gap in media sequences (segments never seen) may sum to at most */
#define MAX_GAP 100000

/* a segment of the last media playlist served */
typedef struct
{
  gint64 sequence;
  gdouble duration;
  gchar *uri;
} Entry;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->uri);
  g_free (e);
}

struct _Relay
{
  Server *server;
  guint timeout;
  gchar *prefix;
  gchar *uri;

  GMutex lock;
  /* the origin's URI of each playlist relayed, by number */
  GPtrArray *origins;
  /* a media playlist was served without #EXT-X-ENDLIST */
  gboolean seen_live;
  /* the media sequence of the first segment of the first media playlist
   * served, and the duration of the segments from there up to (not
   * including) @summed_to */
  gint64 first_sequence;
  gint64 summed_to;
  gdouble dropped;
  /* Entry: the segments of the last media playlist served */
  GPtrArray *window;
  /* the first media playlist served, as served */
  gchar *first_media;
  /* the last failure to fetch a playlist from the origin */
  gchar *failure;
};

typedef struct
{
  GByteArray *data;
  gboolean too_big;
} Fetch;

static void
on_fetch_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer user_data)
{
  Fetch *fetch = user_data;
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  if (fetch->data->len + map.size > MAX_PLAYLIST_SIZE)
    fetch->too_big = TRUE;
  else
    g_byte_array_append (fetch->data, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
}

/* The content of @uri, fetched with the source element GStreamer has for
 * it (souphttpsrc for http and https), and in @final_uri where it came from
 * after redirections. */
static gchar *
relay_fetch (const gchar * uri, guint timeout, gchar ** final_uri,
    GError ** error)
{
  GstElement *pipeline, *src, *sink;
  GstMessage *msg;
  GstBus *bus;
  GstQuery *query;
  Fetch fetch = { NULL, FALSE };
  gchar *text = NULL;

  src = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, error);
  if (src == NULL)
    return NULL;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (src), "timeout"))
    g_object_set (src, "timeout", timeout, NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "signal-handoffs", TRUE, NULL);
  fetch.data = g_byte_array_new ();
  g_signal_connect (sink, "handoff", G_CALLBACK (on_fetch_handoff), &fetch);

  pipeline = gst_pipeline_new ("relay-fetch");
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, (timeout + 5) * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "no answer within %u s", timeout + 5);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, error, NULL);
  } else if (fetch.too_big) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_TOO_LAZY,
        "more than %d bytes", MAX_PLAYLIST_SIZE);
  } else {
    text = g_strndup ((const gchar *) fetch.data->data, fetch.data->len);
    if (final_uri) {
      gchar *redirect = NULL;

      query = gst_query_new_uri ();
      if (gst_element_query (src, query))
        gst_query_parse_uri_redirection (query, &redirect);
      gst_query_unref (query);
      *final_uri = redirect ? redirect : g_strdup (uri);
    }
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_byte_array_unref (fetch.data);

  return text;
}

/* Whether the stream at @uri is live: its media playlist, or the first
 * variant's of a master playlist, has no #EXT-X-ENDLIST. FALSE when it
 * cannot be told (the demuxer then reports what is wrong). */
gboolean
relay_stream_is_live (const gchar * uri, guint timeout)
{
  gchar *text, *base = NULL;
  GPtrArray *variants;
  MediaPlaylist *media;
  gboolean live = FALSE;

  text = relay_fetch (uri, timeout, &base, NULL);
  if (text == NULL)
    return FALSE;

  variants = variants_parse (text);
  if (variants->len > 0) {
    Variant *v = g_ptr_array_index (variants, 0);
    gchar *variant_uri = gst_uri_join_strings (base, v->uri);

    g_free (text);
    g_free (base);
    base = NULL;
    text = variant_uri ? relay_fetch (variant_uri, timeout, &base, NULL) : NULL;
    g_free (variant_uri);
  }
  g_ptr_array_unref (variants);

  if (text) {
    media = media_playlist_parse (text, base);
    live = media != NULL && media->live;
    media_playlist_free (media);
  }
  g_free (text);
  g_free (base);

  return live;
}

/* The relay's URI for the playlist at @origin (lock held). */
static gchar *
relay_uri_for (Relay * relay, const gchar * origin)
{
  guint i;

  for (i = 0; i < relay->origins->len; i++)
    if (g_str_equal (g_ptr_array_index (relay->origins, i), origin))
      break;
  if (i == relay->origins->len)
    g_ptr_array_add (relay->origins, g_strdup (origin));

  return g_strdup_printf ("%sp%u.m3u8", relay->prefix, i);
}

/* @line with the value of its URI="..." attribute replaced by @uri */
static gchar *
replace_uri_attribute (const gchar * line, const gchar * uri)
{
  const gchar *start = strstr (line, "URI=\""), *end;

  if (start == NULL)
    return g_strdup (line);
  start += strlen ("URI=\"");
  end = strchr (start, '"');
  if (end == NULL)
    return g_strdup (line);

  return g_strdup_printf ("%.*s%s%s", (gint) (start - line), line, uri, end);
}

/* the value of the URI="..." attribute of @line, or NULL */
static gchar *
uri_attribute (const gchar * line)
{
  const gchar *start = strstr (line, "URI=\""), *end;

  if (start == NULL)
    return NULL;
  start += strlen ("URI=\"");
  end = strchr (start, '"');

  return end ? g_strndup (start, end - start) : NULL;
}

static gboolean
is_segment_tag (const gchar * line)
{
  static const gchar *tags[] = { "#EXTINF:", "#EXT-X-PROGRAM-DATE-TIME:",
    "#EXT-X-KEY:", "#EXT-X-MAP:", "#EXT-X-BYTERANGE:", "#EXT-X-GAP",
    "#EXT-X-BITRATE:", "#EXT-X-DATERANGE:", "#EXT-X-PART:"
  };
  guint i;

  if (g_str_equal (line, "#EXT-X-DISCONTINUITY"))
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (tags); i++)
    if (g_str_has_prefix (line, tags[i]))
      return TRUE;

  return FALSE;
}

static Entry *
window_find (GPtrArray * window, gint64 sequence)
{
  guint i;

  for (i = 0; i < window->len; i++) {
    Entry *e = g_ptr_array_index (window, i);

    if (e->sequence == sequence)
      return e;
  }

  return NULL;
}

/* Counts the time that slid out of the window up to @start, and keeps the
 * segments of this playlist (lock held). Whether the playlist that ends
 * the stream needs the entry that stands for that time. */
static gboolean
relay_account (Relay * relay, gint64 start, gdouble target,
    GPtrArray * segments, gboolean endlist)
{
  if (relay->first_sequence < 0) {
    relay->first_sequence = relay->summed_to = start;
  } else if (start > relay->summed_to) {
    if (start - relay->summed_to > MAX_GAP) {
      relay->dropped += (start - relay->summed_to) * target;
    } else {
      gint64 seq;

      for (seq = relay->summed_to; seq < start; seq++) {
        Entry *e = window_find (relay->window, seq);

        relay->dropped += e ? e->duration : target;
      }
    }
    relay->summed_to = start;
  }
  if (!endlist)
    relay->seen_live = TRUE;

  return endlist && relay->seen_live && start > relay->first_sequence &&
      relay->dropped > 0;
}

/* The URI the demuxer knows for media sequence @sequence, to give the
 * entry that stands for the time before the window (lock held): the
 * demuxers check that a media sequence keeps its URI across refreshes. */
static gchar *
relay_filler_uri (Relay * relay, gint64 sequence, const gchar * fallback)
{
  Entry *e = window_find (relay->window, sequence);

  return g_strdup (e ? e->uri : fallback);
}

/* The playlist @text, fetched from @base, as the relay serves it. */
static gchar *
relay_rewrite (Relay * relay, const gchar * text, const gchar * base)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  GPtrArray *segments = g_ptr_array_new_with_free_func (entry_free);
  gboolean master = FALSE, endlist = FALSE, have_sequence = FALSE;
  gboolean filler = FALSE, next_is_playlist = FALSE, keep;
  gint64 start = 0;
  gdouble target = 0, duration = 0;
  gchar *first_uri = NULL, *filler_uri = NULL;
  guint i;

  /* first pass: what kind of playlist, and its segments */
  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (g_str_has_prefix (line, "#EXT-X-STREAM-INF")) {
      master = TRUE;
    } else if (g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:")) {
      start = g_ascii_strtoll (line + strlen ("#EXT-X-MEDIA-SEQUENCE:"),
          NULL, 10);
      have_sequence = TRUE;
    } else if (g_str_has_prefix (line, "#EXT-X-TARGETDURATION:")) {
      target = g_ascii_strtod (line + strlen ("#EXT-X-TARGETDURATION:"), NULL);
    } else if (g_str_has_prefix (line, "#EXTINF:")) {
      duration = g_ascii_strtod (line + strlen ("#EXTINF:"), NULL);
    } else if (g_str_equal (line, "#EXT-X-ENDLIST")) {
      endlist = TRUE;
    } else if (line[0] != '\0' && line[0] != '#') {
      Entry *e = g_new0 (Entry, 1);

      e->sequence = start + segments->len;
      e->duration = duration;
      e->uri = gst_uri_join_strings (base, line);
      if (first_uri == NULL)
        first_uri = g_strdup (e->uri);
      g_ptr_array_add (segments, e);
    }
  }

  g_mutex_lock (&relay->lock);
  if (!master && segments->len > 0 && have_sequence) {
    filler = relay_account (relay, start, target, segments, endlist);
    if (filler)
      filler_uri = relay_filler_uri (relay, start - 1, first_uri);
    g_ptr_array_unref (relay->window);
    relay->window = g_ptr_array_ref (segments);
  }
  keep = !master && segments->len > 0 && relay->first_media == NULL;

  for (i = 0; lines[i]; i++) {
    const gchar *line = lines[i];
    gchar *ref, *abs, *rewritten;

    if (filler && g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:")) {
      g_string_append_printf (out, "#EXT-X-MEDIA-SEQUENCE:%" G_GINT64_FORMAT
          "\n", start - 1);
      continue;
    }
    if (filler && is_segment_tag (line)) {
      gchar dur[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (dur, sizeof (dur), "%.6f", relay->dropped);
      g_string_append_printf (out, "#EXTINF:%s,\n%s\n", dur, filler_uri);
      filler = FALSE;
    }

    if (line[0] != '\0' && line[0] != '#') {
      abs = gst_uri_join_strings (base, line);
      if (abs == NULL) {
        g_string_append_printf (out, "%s\n", line);
      } else if (next_is_playlist) {
        rewritten = relay_uri_for (relay, abs);
        g_string_append_printf (out, "%s\n", rewritten);
        g_free (rewritten);
      } else {
        g_string_append_printf (out, "%s\n", abs);
      }
      g_free (abs);
      next_is_playlist = FALSE;
      continue;
    }

    if (g_str_has_prefix (line, "#EXT-X-STREAM-INF"))
      next_is_playlist = TRUE;

    ref = line[0] == '#' ? uri_attribute (line) : NULL;
    abs = ref ? gst_uri_join_strings (base, ref) : NULL;
    if (abs == NULL) {
      g_string_append_printf (out, "%s\n", line);
    } else {
      gchar *target_uri = g_str_has_prefix (line, "#EXT-X-MEDIA:") ?
          relay_uri_for (relay, abs) : g_strdup (abs);

      rewritten = replace_uri_attribute (line, target_uri);
      g_string_append_printf (out, "%s\n", rewritten);
      g_free (rewritten);
      g_free (target_uri);
    }
    g_free (abs);
    g_free (ref);
  }
  if (keep)
    relay->first_media = g_strdup (out->str);
  g_mutex_unlock (&relay->lock);

  g_free (first_uri);
  g_free (filler_uri);
  g_ptr_array_unref (segments);
  g_strfreev (lines);

  return g_string_free (out, FALSE);
}

/* In a thread of the server's: playlist "pN.m3u8", fetched from the
 * origin and rewritten. */
static void
relay_handle (const gchar * path, ServerResponse * response, gpointer user_data)
{
  Relay *relay = user_data;
  gchar *origin = NULL, *text, *base = NULL;
  GError *err = NULL;
  guint n;

  if (sscanf (path, "p%u.m3u8", &n) == 1) {
    g_mutex_lock (&relay->lock);
    if (n < relay->origins->len)
      origin = g_strdup (g_ptr_array_index (relay->origins, n));
    g_mutex_unlock (&relay->lock);
  }
  if (origin == NULL) {
    response->status = "404 Not Found";
    return;
  }

  text = relay_fetch (origin, relay->timeout, &base, &err);
  if (text == NULL) {
    g_mutex_lock (&relay->lock);
    g_free (relay->failure);
    relay->failure = g_strdup_printf ("%s: %s", origin, err->message);
    g_mutex_unlock (&relay->lock);
    response->status = g_error_matches (err, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_FOUND) ? "404 Not Found" : "502 Bad Gateway";
    response->body = g_strdup_printf ("%s\n", relay->failure);
    response->size = strlen (response->body);
    g_clear_error (&err);
  } else {
    /* a failure that the next refresh got over says nothing any more */
    g_mutex_lock (&relay->lock);
    g_clear_pointer (&relay->failure, g_free);
    g_mutex_unlock (&relay->lock);
    response->content_type = "application/vnd.apple.mpegurl";
    response->body = relay_rewrite (relay, text, base);
    response->size = strlen (response->body);
  }
  g_free (text);
  g_free (base);
  g_free (origin);
}

/* Starts relaying the playlists of the live stream at @uri, fetching each
 * with @timeout (seconds). */
Relay *
relay_new (const gchar * uri, guint timeout, GError ** error)
{
  Relay *relay = g_new0 (Relay, 1);

  g_mutex_init (&relay->lock);
  relay->timeout = timeout;
  relay->origins = g_ptr_array_new_with_free_func (g_free);
  relay->window = g_ptr_array_new_with_free_func (entry_free);
  relay->first_sequence = -1;

  relay->server = server_start_with_handler (relay_handle, relay, error);
  if (relay->server == NULL) {
    relay_free (relay);
    return NULL;
  }
  relay->prefix = g_strdup_printf ("http://127.0.0.1:%u/",
      server_get_port (relay->server));
  relay->uri = relay_uri_for (relay, uri);

  return relay;
}

/* The URI to give the demuxer instead of the stream's */
const gchar *
relay_get_uri (Relay * relay)
{
  return relay->uri;
}

/* @text with the relay's URIs replaced by the origin's, and the last
 * failure to fetch a playlist from the origin, if any. */
gchar *
relay_translate (Relay * relay, const gchar * text)
{
  GString *out = g_string_new (text);
  guint i;

  g_mutex_lock (&relay->lock);
  for (i = relay->origins->len; i > 0; i--) {
    gchar *ours = g_strdup_printf ("%sp%u.m3u8", relay->prefix, i - 1);

    g_string_replace (out, ours, g_ptr_array_index (relay->origins, i - 1), 0);
    g_free (ours);
  }
  if (relay->failure && !strstr (out->str, relay->failure))
    g_string_append_printf (out, " (%s)", relay->failure);
  g_mutex_unlock (&relay->lock);

  return g_string_free (out, FALSE);
}

/* The first media playlist the relay served (with absolute URIs), or
 * NULL: where a stream whose first playlist is a master playlist was
 * joined. */
MediaPlaylist *
relay_get_media_playlist (gpointer data)
{
  Relay *relay = data;
  MediaPlaylist *media = NULL;

  g_mutex_lock (&relay->lock);
  if (relay->first_media)
    media = media_playlist_parse (relay->first_media, relay->prefix);
  g_mutex_unlock (&relay->lock);

  return media;
}

void
relay_free (Relay * relay)
{
  if (relay == NULL)
    return;

  server_stop (relay->server);
  g_ptr_array_unref (relay->origins);
  g_ptr_array_unref (relay->window);
  g_free (relay->failure);
  g_free (relay->first_media);
  g_free (relay->prefix);
  g_free (relay->uri);
  g_mutex_clear (&relay->lock);
  g_free (relay);
}
