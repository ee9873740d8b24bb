/* gst-fdpass fuzzing: helpers shared by the harnesses
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

#ifndef __FDPASS_FUZZ_COMMON_H__
#define __FDPASS_FUZZ_COMMON_H__

#include <gst/gst.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry points. Each harness defines both; replay.c calls
 * them when the harness is built without libFuzzer. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

/* Any critical or warning GLib or GStreamer logs while a harness runs is a
 * finding: the input made a library complain about how it was called (for
 * gst_caps_from_string(), about the string it was given). Abort, so that
 * libFuzzer saves the input.
 *
 * To fuzz on past a finding that is known and not fixed yet, set
 * FDPASS_FUZZ_IGNORE_LOG to a regular expression: messages it matches are
 * printed and do not abort (docs/testing.md). */
static GRegex *fuzz_ignore_log;

static void
fuzz_log_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  gboolean ignored = fuzz_ignore_log &&
      g_regex_match (fuzz_ignore_log, message, 0, NULL);

  fprintf (stderr, "\nfdpass-fuzz: %s-%s **: %s\n", domain ? domain : "?",
      (level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" : "WARNING", message);
  if (ignored) {
    fprintf (stderr, "fdpass-fuzz: ignored (FDPASS_FUZZ_IGNORE_LOG)\n");
    return;
  }
  fprintf (stderr, "fdpass-fuzz: a critical or warning counts as a crash\n");
  abort ();
}

static inline void
fuzz_make_warnings_fatal (void)
{
  const gchar *ignore = g_getenv ("FDPASS_FUZZ_IGNORE_LOG");

  if (ignore && *ignore) {
    GError *err = NULL;

    fuzz_ignore_log = g_regex_new (ignore, G_REGEX_RAW, 0, &err);
    if (fuzz_ignore_log == NULL) {
      fprintf (stderr, "fdpass-fuzz: FDPASS_FUZZ_IGNORE_LOG: %s\n",
          err->message);
      abort ();
    }
  }

  /* fatal only through the handler, which decides */
  g_log_set_default_handler (fuzz_log_handler, NULL);
  if (fuzz_ignore_log == NULL)
    g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL |
        G_LOG_LEVEL_WARNING);
}

/* Number of file descriptors open in this process. */
static inline guint
fuzz_count_open_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;
  guint n = 0;

  if (dir == NULL)
    abort ();
  while ((de = readdir (dir)) != NULL) {
    if (de->d_name[0] != '.')
      n++;
  }
  closedir (dir);

  /* the directory stream itself */
  return n - 1;
}

/* Little-endian readers over the fuzz input, returning 0 past its end. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
} FuzzInput;

static inline gboolean
fuzz_input_done (const FuzzInput * in)
{
  return in->pos >= in->size;
}

static inline guint8
fuzz_input_u8 (FuzzInput * in)
{
  return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline guint16
fuzz_input_u16 (FuzzInput * in)
{
  guint16 lo = fuzz_input_u8 (in);

  return lo | (fuzz_input_u8 (in) << 8);
}

/* Up to @len bytes of the input; @len is set to how many there are. */
static inline const guint8 *
fuzz_input_bytes (FuzzInput * in, gsize * len)
{
  const guint8 *p = in->data + in->pos;

  *len = MIN (*len, in->size - MIN (in->pos, in->size));
  in->pos += *len;
  return p;
}

#endif /* __FDPASS_FUZZ_COMMON_H__ */
