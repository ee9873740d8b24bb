/* GStreamer fd passing example: HLS demo, JSON helpers
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

/* Writes JSON strings and numbers, and reads the values of top-level keys
 * of one-line JSON objects: what the demo needs to read the analysis
 * process's lines and to write summary.json and --json lines. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "json.h"

#include <string.h>

/* Appends @str as a JSON string, or null. */
void
json_append_string (GString * s, const gchar * str)
{
  const gchar *p;

  if (str == NULL) {
    g_string_append (s, "null");
    return;
  }

  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c == '\n')
      g_string_append (s, "\\n");
    else if (c < 0x20)
      g_string_append_printf (s, "\\u%04x", c);
    else
      g_string_append_c (s, c);
  }
  g_string_append_c (s, '"');
}

/* Appends @value with three decimals, whatever the locale. */
void
json_append_double (GString * s, gdouble value)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, g_ascii_formatd (buf, sizeof (buf), "%.3f", value));
}

/* The end of the value that starts at @p: the ',' or '}' after it. */
static const gchar *
json_skip_value (const gchar * p)
{
  gint depth = 0;
  gboolean in_string = FALSE;

  for (; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == '"') {
        in_string = FALSE;
        if (depth == 0)
          return p + 1;
      }
      continue;
    }
    switch (*p) {
      case '"':
        in_string = TRUE;
        break;
      case '{':
      case '[':
        depth++;
        break;
      case '}':
      case ']':
        if (depth == 0)
          return p;
        if (--depth == 0)
          return p + 1;
        break;
      case ',':
        if (depth == 0)
          return p;
        break;
      default:
        break;
    }
  }

  return p;
}

/* The raw text of the value of the top-level key @key of the object on
 * @line ("16.00", "\"smpte\"", "{...}"), or NULL. */
gchar *
json_get_raw (const gchar * line, const gchar * key)
{
  const gchar *p = line;
  gsize key_len = strlen (key);

  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '{')
    return NULL;

  while (*p) {
    const gchar *k, *v, *end;

    while (g_ascii_isspace (*p) || *p == ',')
      p++;
    if (*p != '"')
      return NULL;
    k = ++p;
    while (*p && *p != '"') {
      if (*p == '\\' && p[1])
        p++;
      p++;
    }
    if (*p != '"')
      return NULL;
    end = p++;
    while (g_ascii_isspace (*p))
      p++;
    if (*p++ != ':')
      return NULL;
    while (g_ascii_isspace (*p))
      p++;
    v = p;
    p = json_skip_value (p);
    if ((gsize) (end - k) == key_len && strncmp (k, key, key_len) == 0) {
      const gchar *e = p;

      while (e > v && g_ascii_isspace (e[-1]))
        e--;
      return g_strndup (v, e - v);
    }
    if (*p == '}' || *p == '\0')
      return NULL;
  }

  return NULL;
}

/* The string value of @key, unescaped, or NULL when it is no string. */
gchar *
json_get_string (const gchar * line, const gchar * key)
{
  gchar *raw = json_get_raw (line, key);
  GString *s;
  const gchar *p;

  if (raw == NULL || raw[0] != '"') {
    g_free (raw);
    return NULL;
  }

  s = g_string_new (NULL);
  for (p = raw + 1; *p && *p != '"'; p++) {
    if (*p == '\\' && p[1]) {
      p++;
      switch (*p) {
        case 'n':
          g_string_append_c (s, '\n');
          break;
        case 't':
          g_string_append_c (s, '\t');
          break;
        case 'u':
          /* not needed for our keys: keep it visible */
          g_string_append (s, "\\u");
          break;
        default:
          g_string_append_c (s, *p);
          break;
      }
    } else {
      g_string_append_c (s, *p);
    }
  }
  g_free (raw);

  return g_string_free (s, FALSE);
}

/* The number value of @key into @value; FALSE when it is no number. */
gboolean
json_get_double (const gchar * line, const gchar * key, gdouble * value)
{
  gchar *raw = json_get_raw (line, key);
  gchar *end = NULL;
  gboolean ok = FALSE;

  if (raw != NULL) {
    *value = g_ascii_strtod (raw, &end);
    ok = end != raw;
  }
  g_free (raw);

  return ok;
}
