/* gst-fdpass sanitizer support: GMutex and GCond on pthreads
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

/* Preloaded by the tsan test setup (LD_PRELOAD).
 *
 * On Linux, GLib implements GMutex and GCond with futexes and atomic
 * operations of its own, not with pthreads, in a library that is not
 * instrumented. ThreadSanitizer (and helgrind) cannot see those: to them,
 * GST_OBJECT_LOCK() and every other GMutex synchronizes nothing, and each
 * access to data such a lock protects is a race. This library defines
 * g_mutex_*() and g_cond_*() on pthread mutexes and condition variables,
 * which the race detectors understand, as
 * GLib does on systems without futexes: a GMutex holds a pointer to its
 * pthread mutex, made when it is first used.
 *
 * Every call that goes through the dynamic linker comes here: those of the
 * program, of our library and plugin, of GStreamer and of libgobject and
 * libgio. libglib calls its own functions directly, so the locks it keeps
 * to itself (main contexts, async queues, thread pools) stay GLib's; a lock
 * is only ever taken by one of the two implementations, since GLib hands
 * none of its own locks out. GRecMutex and GRWLock are pthread based in
 * GLib already.
 *
 * One more synchronization of libglib matters: GThreadPool, on which every
 * GstTask runs, hands each task's data to a worker through a queue under
 * such an internal lock, and reuses worker threads. g_thread_pool_push()
 * here tells ThreadSanitizer that everything before it happens before the
 * worker runs the task. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <glib.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define SHIM_EXPORT __attribute__ ((visibility ("default")))

#if defined (__SANITIZE_THREAD__)
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define HAPPENS_BEFORE(addr) __tsan_release (addr)
#define HAPPENS_AFTER(addr) __tsan_acquire (addr)
#else
#define HAPPENS_BEFORE(addr) G_STMT_START { } G_STMT_END
#define HAPPENS_AFTER(addr) G_STMT_START { } G_STMT_END
#endif

static pthread_mutex_t *
shim_mutex_new (void)
{
  pthread_mutex_t *impl = malloc (sizeof (pthread_mutex_t));

  if (impl == NULL || pthread_mutex_init (impl, NULL) != 0)
    abort ();
  return impl;
}

/* The pthread mutex of @mutex, made on first use: a GMutex in static or
 * zeroed memory needs no g_mutex_init(). */
static pthread_mutex_t *
shim_mutex_get (GMutex * mutex)
{
  pthread_mutex_t *impl = __atomic_load_n ((pthread_mutex_t **) & mutex->p,
      __ATOMIC_ACQUIRE);

  if (impl == NULL) {
    pthread_mutex_t *expected = NULL;

    impl = shim_mutex_new ();
    if (!__atomic_compare_exchange_n ((pthread_mutex_t **) & mutex->p,
            &expected, impl, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      pthread_mutex_destroy (impl);
      free (impl);
      impl = expected;
    }
  }

  return impl;
}

SHIM_EXPORT void
g_mutex_init (GMutex * mutex)
{
  mutex->p = shim_mutex_new ();
}

SHIM_EXPORT void
g_mutex_clear (GMutex * mutex)
{
  pthread_mutex_t *impl = mutex->p;

  if (impl) {
    pthread_mutex_destroy (impl);
    free (impl);
  }
  mutex->p = NULL;
}

SHIM_EXPORT void
g_mutex_lock (GMutex * mutex)
{
  if (pthread_mutex_lock (shim_mutex_get (mutex)) != 0)
    abort ();
}

SHIM_EXPORT void
g_mutex_unlock (GMutex * mutex)
{
  if (pthread_mutex_unlock (shim_mutex_get (mutex)) != 0)
    abort ();
}

SHIM_EXPORT gboolean
g_mutex_trylock (GMutex * mutex)
{
  return pthread_mutex_trylock (shim_mutex_get (mutex)) == 0;
}

/* the deprecated allocating forms, which libglib would initialize with its
 * own g_mutex_init() */
SHIM_EXPORT GMutex *
g_mutex_new (void)
{
  GMutex *mutex = g_new0 (GMutex, 1);

  g_mutex_init (mutex);
  return mutex;
}

SHIM_EXPORT void
g_mutex_free (GMutex * mutex)
{
  g_mutex_clear (mutex);
  g_free (mutex);
}

/* g_cond_wait_until() takes a monotonic time */
static pthread_cond_t *
shim_cond_new (void)
{
  pthread_cond_t *impl = malloc (sizeof (pthread_cond_t));
  pthread_condattr_t attr;

  if (impl == NULL)
    abort ();
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  if (pthread_cond_init (impl, &attr) != 0)
    abort ();
  pthread_condattr_destroy (&attr);

  return impl;
}

static pthread_cond_t *
shim_cond_get (GCond * cond)
{
  pthread_cond_t *impl = __atomic_load_n ((pthread_cond_t **) & cond->p,
      __ATOMIC_ACQUIRE);

  if (impl == NULL) {
    pthread_cond_t *expected = NULL;

    impl = shim_cond_new ();
    if (!__atomic_compare_exchange_n ((pthread_cond_t **) & cond->p,
            &expected, impl, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      pthread_cond_destroy (impl);
      free (impl);
      impl = expected;
    }
  }

  return impl;
}

SHIM_EXPORT void
g_cond_init (GCond * cond)
{
  cond->p = shim_cond_new ();
}

SHIM_EXPORT void
g_cond_clear (GCond * cond)
{
  pthread_cond_t *impl = cond->p;

  if (impl) {
    pthread_cond_destroy (impl);
    free (impl);
  }
  cond->p = NULL;
}

SHIM_EXPORT void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  if (pthread_cond_wait (shim_cond_get (cond), shim_mutex_get (mutex)) != 0)
    abort ();
}

SHIM_EXPORT gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  struct timespec ts;
  int ret;

  ts.tv_sec = end_time / G_USEC_PER_SEC;
  ts.tv_nsec = (end_time % G_USEC_PER_SEC) * 1000;
  ret = pthread_cond_timedwait (shim_cond_get (cond), shim_mutex_get (mutex),
      &ts);
  if (ret != 0 && ret != ETIMEDOUT)
    abort ();

  return ret == 0;
}

SHIM_EXPORT void
g_cond_signal (GCond * cond)
{
  pthread_cond_signal (shim_cond_get (cond));
}

SHIM_EXPORT void
g_cond_broadcast (GCond * cond)
{
  pthread_cond_broadcast (shim_cond_get (cond));
}

SHIM_EXPORT GCond *
g_cond_new (void)
{
  GCond *cond = g_new0 (GCond, 1);

  g_cond_init (cond);
  return cond;
}

SHIM_EXPORT void
g_cond_free (GCond * cond)
{
  g_cond_clear (cond);
  g_free (cond);
}

/* GThreadPool: a pool runs our trampoline, which marks what the pusher
 * did before g_thread_pool_push() as done before the task. */

typedef struct
{
  GFunc func;
  gpointer user_data;
} ShimPoolFunc;

static void
shim_pool_trampoline (gpointer data, gpointer user_data)
{
  ShimPoolFunc *f = user_data;

  HAPPENS_AFTER (data);
  f->func (data, f->user_data);
}

/* Lives as long as the pool; pools are few and long-lived, and GLib has no
 * hook to free it with the pool. */
static ShimPoolFunc *
shim_pool_func_new (GFunc func, gpointer user_data)
{
  ShimPoolFunc *f = malloc (sizeof (ShimPoolFunc));

  if (f == NULL)
    abort ();
  f->func = func;
  f->user_data = user_data;
  return f;
}

static gpointer
shim_next (const char *name)
{
  gpointer f = dlsym (RTLD_NEXT, name);

  if (f == NULL)
    abort ();
  return f;
}

SHIM_EXPORT GThreadPool *
g_thread_pool_new (GFunc func, gpointer user_data, gint max_threads,
    gboolean exclusive, GError ** error)
{
  GThreadPool *(*next) (GFunc, gpointer, gint, gboolean, GError **) =
      shim_next ("g_thread_pool_new");

  return next (shim_pool_trampoline, shim_pool_func_new (func, user_data),
      max_threads, exclusive, error);
}

SHIM_EXPORT GThreadPool *
g_thread_pool_new_full (GFunc func, gpointer user_data,
    GDestroyNotify item_free_func, gint max_threads, gboolean exclusive,
    GError ** error)
{
  GThreadPool *(*next) (GFunc, gpointer, GDestroyNotify, gint, gboolean,
      GError **) = shim_next ("g_thread_pool_new_full");

  return next (shim_pool_trampoline, shim_pool_func_new (func, user_data),
      item_free_func, max_threads, exclusive, error);
}

SHIM_EXPORT gboolean
g_thread_pool_push (GThreadPool * pool, gpointer data, GError ** error)
{
  gboolean (*next) (GThreadPool *, gpointer, GError **) =
      shim_next ("g_thread_pool_push");

  HAPPENS_BEFORE (data);
  return next (pool, data, error);
}
