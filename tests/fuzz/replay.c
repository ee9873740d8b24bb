/* gst-fdpass fuzzing: runs a harness without libFuzzer
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

/* usage: fuzz-HARNESS-replay [--mutants N] [--seed S] FILE|DIR...
 *
 * Linked with a harness instead of libFuzzer (any compiler, the default
 * build included), this runs the harness on every file given and every
 * file in the directories given, then on N inputs made from those by
 * random mutations (bit flips, new bytes, insertions, deletions, copies
 * within an input and splices of two) from a fixed seed: the same inputs
 * on every run. It is the short slice of fuzzing the default test suite
 * runs; the harness aborts on a finding, and the input that made it is
 * written to $FDPASS_FUZZ_CRASH_DIR (default: the current directory) as
 * replay-crash-PID.bin first, to give to the harness again or to the
 * libFuzzer build. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"

#define MAX_INPUT_SIZE (256 * 1024)

/* the input running now, for the crash handler */
static const guint8 *current_data;
static gsize current_size;
static gchar *crash_path;

static void
write_all (int fd, const guint8 * data, gsize size)
{
  while (size > 0) {
    ssize_t ret = write (fd, data, size);

    if (ret < 0 && errno == EINTR)
      continue;
    if (ret <= 0)
      return;
    data += ret;
    size -= ret;
  }
}

static void
crash_handler (int sig)
{
  int fd = open (crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd >= 0) {
    write_all (fd, current_data, current_size);
    close (fd);
    write_all (STDERR_FILENO, (const guint8 *) "fdpass-fuzz: input saved to ",
        strlen ("fdpass-fuzz: input saved to "));
    write_all (STDERR_FILENO, (const guint8 *) crash_path,
        strlen (crash_path));
    write_all (STDERR_FILENO, (const guint8 *) "\n", 1);
  }
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
install_crash_handler (void)
{
  const gchar *dir = g_getenv ("FDPASS_FUZZ_CRASH_DIR");
  gchar *name = g_strdup_printf ("replay-crash-%d.bin", (int) getpid ());
  struct sigaction sa;

  crash_path = g_build_filename (dir ? dir : ".", name, NULL);
  g_free (name);

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = crash_handler;
  sigaction (SIGABRT, &sa, NULL);
  sigaction (SIGSEGV, &sa, NULL);
  sigaction (SIGBUS, &sa, NULL);
  sigaction (SIGFPE, &sa, NULL);
  sigaction (SIGILL, &sa, NULL);
}

static void
run_one (const guint8 * data, gsize size)
{
  current_data = data;
  current_size = size;
  LLVMFuzzerTestOneInput (data, size);
  current_data = NULL;
  current_size = 0;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Appends the files of @path (a file, or a directory's files in name
 * order) to @paths. */
static void
collect (const gchar * path, GPtrArray * paths)
{
  GPtrArray *names;
  const gchar *name;
  GDir *dir;
  guint i;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_ptr_array_add (paths, g_strdup (path));
    return;
  }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++) {
    if (g_file_test (g_ptr_array_index (names, i), G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (paths, g_strdup (g_ptr_array_index (names, i)));
  }
  g_ptr_array_unref (names);
}

/* One random change to @input. */
static void
mutate_once (GRand * rand, GByteArray * input, GPtrArray * seeds)
{
  guint len = input->len, pos, n;
  guint8 byte;

  switch (g_rand_int_range (rand, 0, len > 0 ? 7 : 3)) {
    case 0:{                   /* insert random bytes */
      guint8 bytes[8];

      n = g_rand_int_range (rand, 1, 9);
      for (pos = 0; pos < n; pos++)
        bytes[pos] = g_rand_int_range (rand, 0, 256);
      pos = g_rand_int_range (rand, 0, len + 1);
      g_byte_array_set_size (input, len + n);
      memmove (input->data + pos + n, input->data + pos, len - pos);
      memcpy (input->data + pos, bytes, n);
      break;
    }
    case 1:                    /* append a piece of another seed */
    case 2:{
      GBytes *other = g_ptr_array_index (seeds,
          g_rand_int_range (rand, 0, seeds->len));
      gsize other_len;
      const guint8 *other_data = g_bytes_get_data (other, &other_len);

      if (other_len == 0)
        break;
      pos = g_rand_int_range (rand, 0, other_len);
      n = g_rand_int_range (rand, 1, other_len - pos + 1);
      g_byte_array_append (input, other_data + pos, n);
      break;
    }
    case 3:                    /* flip a bit */
      pos = g_rand_int_range (rand, 0, len);
      input->data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
      break;
    case 4:                    /* a new byte, often a boundary value */
      pos = g_rand_int_range (rand, 0, len);
      byte = g_rand_int_range (rand, 0, 256);
      if (g_rand_boolean (rand))
        byte = (const guint8[]) {
        0, 1, 0x7f, 0x80, 0xff, 0x10}[g_rand_int_range (rand, 0, 6)];
      input->data[pos] = byte;
      break;
    case 5:                    /* delete a range */
      pos = g_rand_int_range (rand, 0, len);
      n = g_rand_int_range (rand, 1, MIN (len - pos, 64) + 1);
      g_byte_array_remove_range (input, pos, n);
      break;
    case 6:{                   /* copy a range over another place */
      guint from = g_rand_int_range (rand, 0, len);

      pos = g_rand_int_range (rand, 0, len);
      n = g_rand_int_range (rand, 1, MIN (len - MAX (from, pos), 32) + 1);
      memmove (input->data + pos, input->data + from, n);
      break;
    }
  }

  if (input->len > MAX_INPUT_SIZE)
    g_byte_array_set_size (input, MAX_INPUT_SIZE);
}

int
main (int argc, char **argv)
{
  gint64 mutants = 0, seed = 1, i;
  GOptionEntry entries[] = {
    {"mutants", 0, 0, G_OPTION_ARG_INT64, &mutants,
        "Also run N inputs mutated from the given ones (default: 0)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed,
        "Seed of the mutations (default: 1)", "S"},
    {NULL}
  };
  GOptionContext *ctx;
  GPtrArray *paths, *seeds;
  GError *err = NULL;
  GRand *rand;
  gint n;

  ctx = g_option_context_new ("FILE|DIR... - run a fuzz harness on inputs");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  paths = g_ptr_array_new_with_free_func (g_free);
  for (n = 1; n < argc; n++)
    collect (argv[n], paths);

  seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (i = 0; i < paths->len; i++) {
    gchar *contents;
    gsize len;

    if (!g_file_get_contents (g_ptr_array_index (paths, i), &contents, &len,
            &err)) {
      g_printerr ("%s\n", err->message);
      return 2;
    }
    g_ptr_array_add (seeds, g_bytes_new_take (contents, len));
  }
  if (seeds->len == 0) {
    g_printerr ("no inputs\n");
    return 2;
  }

  install_crash_handler ();
  LLVMFuzzerInitialize (&argc, &argv);

  for (i = 0; i < seeds->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (seeds, i),
        &len);

    run_one (data, len);
  }

  rand = g_rand_new_with_seed (seed);
  for (i = 0; i < mutants; i++) {
    GBytes *base = g_ptr_array_index (seeds,
        g_rand_int_range (rand, 0, seeds->len));
    GByteArray *input = g_byte_array_new ();
    gsize len;
    const guint8 *data = g_bytes_get_data (base, &len);
    guint n_changes = g_rand_int_range (rand, 1, 9), c;

    g_byte_array_append (input, data, len);
    for (c = 0; c < n_changes; c++)
      mutate_once (rand, input, seeds);
    run_one (input->data, input->len);
    g_byte_array_unref (input);
  }
  g_rand_free (rand);

  g_print ("%u inputs and %" G_GINT64_FORMAT " mutants: no finding\n",
      seeds->len, mutants);

  g_ptr_array_unref (seeds);
  g_ptr_array_unref (paths);
  g_free (crash_path);

  return 0;
}
