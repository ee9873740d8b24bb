/* GStreamer fd passing example: HLS demo, variants
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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "variants.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void
variant_free (gpointer data)
{
  Variant *v = data;

  g_free (v->uri);
  g_free (v);
}

/* The value of attribute @name in the attribute list @attrs of a tag
 * (NAME=value,NAME="quoted, value",...), unquoted, or NULL. */
static gchar *
attribute_get (const gchar * attrs, const gchar * name)
{
  gsize name_len = strlen (name);
  const gchar *p = attrs;

  while (*p) {
    const gchar *start = p, *end;
    gboolean quoted = FALSE;

    /* the end of this attribute: a comma outside quotes */
    for (end = p; *end && (quoted || *end != ','); end++)
      if (*end == '"')
        quoted = !quoted;

    if ((gsize) (end - start) > name_len && strncmp (start, name,
            name_len) == 0 && start[name_len] == '=') {
      const gchar *v = start + name_len + 1;
      gsize len = end - v;

      if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        v++;
        len -= 2;
      }
      return g_strndup (v, len);
    }
    p = *end ? end + 1 : end;
  }

  return NULL;
}

/* The variants of the master playlist @playlist, in its order; an empty
 * array for a media playlist. */
GPtrArray *
variants_parse (const gchar * playlist)
{
  GPtrArray *variants = g_ptr_array_new_with_free_func (variant_free);
  gchar **lines = g_strsplit (playlist, "\n", -1);
  Variant *pending = NULL;
  guint i;

  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (g_str_has_prefix (line, "#EXT-X-STREAM-INF:")) {
      gchar *value;

      g_clear_pointer (&pending, variant_free);
      pending = g_new0 (Variant, 1);
      value = attribute_get (line + strlen ("#EXT-X-STREAM-INF:"), "BANDWIDTH");
      if (value)
        pending->bandwidth = strtoul (value, NULL, 10);
      g_free (value);
      value = attribute_get (line + strlen ("#EXT-X-STREAM-INF:"),
          "RESOLUTION");
      if (value && sscanf (value, "%dx%d", &pending->width,
              &pending->height) != 2)
        pending->width = pending->height = 0;
      g_free (value);
    } else if (pending && line[0] != '\0' && line[0] != '#') {
      pending->uri = g_strdup (line);
      g_ptr_array_add (variants, pending);
      pending = NULL;
    }
  }
  g_clear_pointer (&pending, variant_free);
  g_strfreev (lines);

  return variants;
}

/* The index of the variant that @spec names: its position in the playlist
 * (from 0), WIDTHxHEIGHT, or its bandwidth in bits/s; -1 and @error when
 * none matches. */
gint
variants_find (GPtrArray * variants, const gchar * spec, GError ** error)
{
  gint width, height;
  gchar *end;
  guint64 n;
  guint i;

  if (sscanf (spec, "%dx%d", &width, &height) == 2) {
    gint found = variants_find_by_size (variants, width, height);

    if (found >= 0)
      return found;
  } else if (g_ascii_string_to_unsigned (spec, 10, 0, G_MAXUINT, &n, NULL)) {
    if (n < variants->len)
      return n;
    for (i = 0; i < variants->len; i++)
      if (((Variant *) g_ptr_array_index (variants, i))->bandwidth == n)
        return i;
  }

  end = NULL;
  for (i = 0; i < variants->len; i++) {
    gchar *d = variant_describe (g_ptr_array_index (variants, i));
    gchar *list = g_strdup_printf ("%s%s%u: %s", end ? end : "",
        end ? ", " : "", i, d);

    g_free (end);
    end = list;
    g_free (d);
  }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "no variant %s in the master playlist (%s)", spec,
      end ? end : "it has none");
  g_free (end);

  return -1;
}

/* The first variant of @width x @height, or -1 */
gint
variants_find_by_size (GPtrArray * variants, gint width, gint height)
{
  guint i;

  for (i = 0; i < variants->len; i++) {
    Variant *v = g_ptr_array_index (variants, i);

    if (v->width == width && v->height == height)
      return i;
  }

  return -1;
}

/* Makes @demux (hlsdemux or hlsdemux2) play @variant and stay there: the
 * connection speed it would otherwise measure is fixed at the variant's
 * bandwidth, and all of it may be used. Call before the demuxer reads the
 * master playlist. */
gboolean
variants_pin_demux (GstElement * demux, const Variant * variant)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (demux);

  if (g_object_class_find_property (klass, "connection-bitrate")) {
    /* hlsdemux2: bits/s */
    g_object_set (demux, "bandwidth-target-ratio", 1.0f,
        "start-bitrate", variant->bandwidth,
        "connection-bitrate", variant->bandwidth, NULL);
    return TRUE;
  }
  if (g_object_class_find_property (klass, "connection-speed") &&
      g_object_class_find_property (klass, "bitrate-limit")) {
    /* hlsdemux: kbit/s, rounded up so that the variant fits */
    g_object_set (demux, "bitrate-limit", 1.0f, "connection-speed",
        (variant->bandwidth + 999) / 1000, NULL);
    return TRUE;
  }

  return FALSE;
}

static void
segment_free (gpointer data)
{
  Segment *seg = data;

  g_free (seg->uri);
  g_clear_pointer (&seg->program_date_time, g_date_time_unref);
  g_free (seg);
}

/* The segments of the media playlist @playlist, read from @uri; NULL when
 * it is not one. A segment without #EXT-X-PROGRAM-DATE-TIME of its own
 * gets that of the one before plus its duration. */
MediaPlaylist *
media_playlist_parse (const gchar * playlist, const gchar * uri)
{
  MediaPlaylist *mp = g_new0 (MediaPlaylist, 1);
  gchar **lines = g_strsplit (playlist, "\n", -1);
  GDateTime *pdt = NULL;
  gdouble duration = 0, start = 0;
  gboolean vod = FALSE, endlist = FALSE, have_extinf = FALSE;
  guint i;

  mp->segments = g_ptr_array_new_with_free_func (segment_free);
  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:")) {
      mp->media_sequence = g_ascii_strtoll (line +
          strlen ("#EXT-X-MEDIA-SEQUENCE:"), NULL, 10);
    } else if (g_str_has_prefix (line, "#EXT-X-PROGRAM-DATE-TIME:")) {
      g_clear_pointer (&pdt, g_date_time_unref);
      pdt = g_date_time_new_from_iso8601 (line +
          strlen ("#EXT-X-PROGRAM-DATE-TIME:"), NULL);
    } else if (g_str_has_prefix (line, "#EXTINF:")) {
      duration = g_ascii_strtod (line + strlen ("#EXTINF:"), NULL);
      have_extinf = TRUE;
    } else if (g_str_equal (line, "#EXT-X-ENDLIST")) {
      endlist = TRUE;
    } else if (g_str_equal (line, "#EXT-X-PLAYLIST-TYPE:VOD")) {
      vod = TRUE;
    } else if (line[0] != '\0' && line[0] != '#' && have_extinf) {
      Segment *seg = g_new0 (Segment, 1);

      seg->uri = gst_uri_join_strings (uri, line);
      seg->media_sequence = mp->media_sequence + mp->segments->len;
      seg->duration = duration;
      seg->start = start;
      start += duration;
      if (pdt) {
        seg->program_date_time = g_date_time_ref (pdt);
        /* for the next segment */
        g_date_time_unref (pdt);
        pdt = g_date_time_add_seconds (seg->program_date_time, duration);
      }
      g_ptr_array_add (mp->segments, seg);
      have_extinf = FALSE;
    }
  }
  g_clear_pointer (&pdt, g_date_time_unref);
  g_strfreev (lines);

  if (mp->segments->len == 0) {
    media_playlist_free (mp);
    return NULL;
  }
  mp->live = !endlist && !vod;

  return mp;
}

/* The segment of @playlist at @uri, or NULL */
const Segment *
media_playlist_find (MediaPlaylist * playlist, const gchar * uri)
{
  guint i;

  for (i = 0; i < playlist->segments->len; i++) {
    Segment *seg = g_ptr_array_index (playlist->segments, i);

    if (seg->uri && g_str_equal (seg->uri, uri))
      return seg;
  }

  return NULL;
}

/* The segment of @playlist that holds @time, seconds from the start of
 * its first segment, or NULL. A frame starts a little after its segment
 * (the first one after a keyframe, a PTS rounded): @time is taken 0.1 s
 * later, to fall clear of the boundary. */
const Segment *
media_playlist_find_at (MediaPlaylist * playlist, gdouble time)
{
  guint i;

  for (i = 0; i < playlist->segments->len; i++) {
    Segment *seg = g_ptr_array_index (playlist->segments, i);

    if (time + 0.1 >= seg->start && time + 0.1 < seg->start + seg->duration)
      return seg;
  }

  return NULL;
}

void
media_playlist_free (MediaPlaylist * playlist)
{
  if (playlist == NULL)
    return;

  g_ptr_array_unref (playlist->segments);
  g_free (playlist);
}

/* "426x240, 660000 bit/s" */
gchar *
variant_describe (const Variant * variant)
{
  if (variant->width > 0)
    return g_strdup_printf ("%dx%d, %u bit/s", variant->width,
        variant->height, variant->bandwidth);

  return g_strdup_printf ("%u bit/s", variant->bandwidth);
}
