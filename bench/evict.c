/* bench/footprint.py: preloaded into the process cachegrind measures. Its
 * thread sweeps 4 MiB of data and runs 128 KiB of code every 5 ms, so
 * that every paced frame (one per 33 ms) starts with cold simulated
 * caches, as it does on a machine that ran something else meanwhile. Its
 * own costs are left out of the counts (by its file name). */

#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EVICT_DATA_SIZE (4 << 20)

/* 128 KiB of instructions (x86 no-ops), four times a 32 KiB instruction
 * cache */
static void
fdpass_bench_evict_code (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile (".fill 131072, 1, 0x90");
#endif
}

/* 5 ms; on x86-64 without the C library, whose costs would count */
static void
fdpass_bench_evict_sleep (void)
{
  struct timespec ts = { 0, 5000000 };
#if defined(__x86_64__)
  long ret;

  __asm__ volatile ("syscall":"=a" (ret)
      :"a" ((long) SYS_nanosleep), "D" (&ts), "S" (NULL)
      :"rcx", "r11", "memory");
  (void) ret;
#else
  nanosleep (&ts, NULL);
#endif
}

static void *
fdpass_bench_evict_loop (void *user_data)
{
  volatile unsigned char *data = malloc (EVICT_DATA_SIZE);
  long i;

  if (data == NULL)
    return NULL;

  for (;;) {
    for (i = 0; i < EVICT_DATA_SIZE; i += 64)
      data[i]++;
    fdpass_bench_evict_code ();
    fdpass_bench_evict_sleep ();
  }

  return NULL;
}

static void fdpass_bench_evict_start (void) __attribute__((constructor));

static void
fdpass_bench_evict_start (void)
{
  pthread_t thread;

  if (pthread_create (&thread, NULL, fdpass_bench_evict_loop, NULL) == 0)
    pthread_detach (thread);
}
