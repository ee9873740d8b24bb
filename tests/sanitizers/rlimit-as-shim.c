/* gst-fdpass sanitizer support: a relative address-space limit
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

/* Preloaded by the asan test setup only (LD_PRELOAD, after the sanitizer
 * runtimes).
 *
 * AddressSanitizer reserves terabytes of address space for its shadow
 * memory and its allocator before main() runs. A program that caps its
 * address space with setrlimit (RLIMIT_AS), as fdpass-analyze does with
 * --max-memory, then cannot map anything any more: every later mmap(),
 * dlopen() and thread stack fails. This shim turns such a cap into one
 * relative to what the process has mapped when it sets it, so that the
 * program keeps working under ASan and the limit still applies to the
 * mappings it makes afterwards (the frames fddepay maps, thread stacks,
 * plugins). Memory from ASan's own allocator lives in its reservation and
 * is not counted: the default (not sanitized) suite tests the cap itself.
 *
 * Nothing but a finite RLIMIT_AS is changed, and silently: the programs'
 * output stays what their tests expect. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* both setrlimit() and setrlimit64() are defined below */
#undef _FILE_OFFSET_BITS

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Bytes of address space mapped now (VmSize of /proc/self/status), or 0
 * when that cannot be read. */
static rlim_t
mapped_bytes (void)
{
  FILE *f = fopen ("/proc/self/status", "re");
  char line[256];
  unsigned long long kib = 0;

  if (f == NULL)
    return 0;
  while (fgets (line, sizeof (line), f)) {
    if (sscanf (line, "VmSize: %llu kB", &kib) == 1)
      break;
  }
  fclose (f);

  return (rlim_t) kib * 1024;
}

/* prlimit() sets the limit: the sanitizer runtimes call setrlimit() while
 * they start, before dlsym() could find the next definition. */
static int
relative_setrlimit (__rlimit_resource_t resource, const struct rlimit *rlim)
{
  struct rlimit relative;

  if (resource != RLIMIT_AS || rlim == NULL ||
      rlim->rlim_cur == RLIM_INFINITY)
    return prlimit (0, resource, rlim, NULL);

  relative = *rlim;
  relative.rlim_cur += mapped_bytes ();
  if (relative.rlim_max != RLIM_INFINITY && relative.rlim_max <
      relative.rlim_cur)
    relative.rlim_max = relative.rlim_cur;

  return prlimit (0, resource, &relative, NULL);
}

#define SHIM_EXPORT __attribute__ ((visibility ("default")))

SHIM_EXPORT int
setrlimit (__rlimit_resource_t resource, const struct rlimit *rlim)
{
  return relative_setrlimit (resource, rlim);
}

SHIM_EXPORT int
setrlimit64 (__rlimit_resource_t resource, const struct rlimit64 *rlim)
{
  return relative_setrlimit (resource, (const struct rlimit *) rlim);
}
