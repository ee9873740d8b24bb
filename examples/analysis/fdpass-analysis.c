/* GStreamer fd passing example: stream analysis detectors
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

/* See fdpass-analysis.h for the thresholds. Every detector reads the
 * planes in place, on a regular grid of samples (about 50000 luma samples
 * whatever the resolution), and never writes or copies them. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fdpass-analysis.h"

#include <math.h>
#include <string.h>

/* --- frame access -------------------------------------------------------- */

#define TARGET_SAMPLES 50000.0

gboolean
fdpass_analysis_frame_is_valid (const FdpassAnalysisFrame * frame)
{
  if (frame == NULL || frame->width < 2 || frame->height < 2)
    return FALSE;
  if (frame->planes[0] == NULL || frame->planes[1] == NULL
      || frame->strides[0] < frame->width)
    return FALSE;

  switch (frame->format) {
    case FDPASS_ANALYSIS_FORMAT_I420:
    case FDPASS_ANALYSIS_FORMAT_YV12:
      return frame->planes[2] != NULL
          && frame->strides[1] >= (frame->width + 1) / 2
          && frame->strides[2] >= (frame->width + 1) / 2;
    case FDPASS_ANALYSIS_FORMAT_NV12:
    case FDPASS_ANALYSIS_FORMAT_NV21:
      return frame->strides[1] >= 2 * ((frame->width + 1) / 2);
    default:
      return FALSE;
  }
}

static gint
sample_step (const FdpassAnalysisFrame * frame)
{
  gdouble step = sqrt ((gdouble) frame->width * frame->height / TARGET_SAMPLES);

  return MAX (1, (gint) step);
}

static inline guint
luma_at (const FdpassAnalysisFrame * frame, gint x, gint y)
{
  return frame->planes[0][(gsize) y * frame->strides[0] + x];
}

/* chroma of the luma pixel (x, y) */
static inline void
chroma_at (const FdpassAnalysisFrame * frame, gint x, gint y, guint * u,
    guint * v)
{
  gint cx = x / 2, cy = y / 2;
  const guint8 *row;

  switch (frame->format) {
    case FDPASS_ANALYSIS_FORMAT_I420:
      *u = frame->planes[1][(gsize) cy * frame->strides[1] + cx];
      *v = frame->planes[2][(gsize) cy * frame->strides[2] + cx];
      break;
    case FDPASS_ANALYSIS_FORMAT_YV12:
      *v = frame->planes[1][(gsize) cy * frame->strides[1] + cx];
      *u = frame->planes[2][(gsize) cy * frame->strides[2] + cx];
      break;
    case FDPASS_ANALYSIS_FORMAT_NV12:
      row = frame->planes[1] + (gsize) cy *frame->strides[1];
      *u = row[2 * cx];
      *v = row[2 * cx + 1];
      break;
    case FDPASS_ANALYSIS_FORMAT_NV21:
    default:
      row = frame->planes[1] + (gsize) cy *frame->strides[1];
      *v = row[2 * cx];
      *u = row[2 * cx + 1];
      break;
  }
}

/* luma code value rescaled to limited range */
static inline gdouble
limited_luma (const FdpassAnalysisFrame * frame, guint y)
{
  if (frame->full_range)
    return 16.0 + y * (219.0 / 255.0);
  return y;
}

/* --- black ----------------------------------------------------------- */

gboolean
fdpass_analysis_detect_black (const FdpassAnalysisFrame * frame,
    FdpassBlackResult * result)
{
  gint step, x, y;
  gdouble sum = 0.0, sum2 = 0.0, var;
  guint64 n = 0, n_dark = 0;

  g_return_val_if_fail (result != NULL, FALSE);
  memset (result, 0, sizeof (*result));
  if (!fdpass_analysis_frame_is_valid (frame))
    return FALSE;

  step = sample_step (frame);
  for (y = step / 2; y < frame->height; y += step) {
    for (x = step / 2; x < frame->width; x += step) {
      gdouble l = limited_luma (frame, luma_at (frame, x, y));

      sum += l;
      sum2 += l * l;
      if (l <= FDPASS_BLACK_DARK_LUMA)
        n_dark++;
      n++;
    }
  }

  result->mean_luma = sum / n;
  var = sum2 / n - result->mean_luma * result->mean_luma;
  result->luma_stddev = sqrt (MAX (var, 0.0));
  result->dark_fraction = (gdouble) n_dark / n;
  result->is_black = result->mean_luma <= FDPASS_BLACK_MAX_MEAN
      && result->dark_fraction >= FDPASS_BLACK_MIN_DARK_FRACTION
      && result->luma_stddev <= FDPASS_BLACK_MAX_STDDEV;

  return TRUE;
}

/* --- colour bars ------------------------------------------------------ */

typedef enum
{
  SEG_RGB,                      /* a, b, c: R'G'B' levels 0..1 */
  SEG_YUV,                      /* a, b, c: limited-range Y, Cb, Cr */
} SegKind;

typedef struct
{
  gfloat x0, x1;
  SegKind kind;
  gfloat a, b, c;
} BarSeg;

#define MAX_SEGS 8
#define MAX_BANDS 3
#define MAX_REFS 6

typedef struct
{
  gfloat y0, y1;
  guint n_segs;
  BarSeg segs[MAX_SEGS];
} BarBand;

typedef struct
{
  FdpassBarsPattern pattern;
  guint n_bands;
  BarBand bands[MAX_BANDS];
} BarRef;

/* rows of the three bands, away from the pattern's own borders (SMPTE:
 * bars to 2/3, castellations to 3/4, then the bottom row) */
static const gfloat band_rows[MAX_BANDS][2] = {
  {0.10f, 0.60f}, {0.69f, 0.73f}, {0.80f, 0.95f}
};

/* white, yellow, cyan, green, magenta, red, blue, black */
static const gfloat bar_rgb[8][3] = {
  {1, 1, 1}, {1, 1, 0}, {0, 1, 1}, {0, 1, 0},
  {1, 0, 1}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0}
};

enum
{ WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED, BLUE, BLACK };

static BarRef bar_refs[MAX_REFS];
static guint n_bar_refs;

static void
set_seg (BarSeg * seg, gfloat x0, gfloat x1, gint colour, gfloat amplitude)
{
  seg->x0 = x0;
  seg->x1 = x1;
  seg->kind = SEG_RGB;
  seg->a = bar_rgb[colour][0] * amplitude;
  seg->b = bar_rgb[colour][1] * amplitude;
  seg->c = bar_rgb[colour][2] * amplitude;
}

static void
set_seg_yuv (BarSeg * seg, gfloat x0, gfloat x1, gfloat y, gfloat u, gfloat v)
{
  seg->x0 = x0;
  seg->x1 = x1;
  seg->kind = SEG_YUV;
  seg->a = y;
  seg->b = u;
  seg->c = v;
}

/* equal-width bars of the given colours over the whole width */
static void
fill_bars (BarBand * band, const gint * colours, const gfloat * amplitudes,
    guint n)
{
  guint i;

  band->n_segs = n;
  for (i = 0; i < n; i++)
    set_seg (&band->segs[i], (gfloat) i / n, (gfloat) (i + 1) / n,
        colours[i], amplitudes[i]);
}

static void
add_full_height (FdpassBarsPattern pattern, const gint * colours,
    const gfloat * amplitudes, guint n)
{
  BarRef *ref = &bar_refs[n_bar_refs++];
  guint b;

  ref->pattern = pattern;
  ref->n_bands = MAX_BANDS;
  for (b = 0; b < MAX_BANDS; b++) {
    ref->bands[b].y0 = band_rows[b][0];
    ref->bands[b].y1 = band_rows[b][1];
    fill_bars (&ref->bands[b], colours, amplitudes, n);
  }
}

/* SMPTE ECR 1-1978 as videotestsrc draws it (pattern=smpte, 100% bars);
 * broadcast generators use 75% bars with the same layout */
static void
add_smpte (gfloat a)
{
  static const gint top[7] = { WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED,
    BLUE
  };
  static const gint castellations[7] = { BLUE, BLACK, MAGENTA, BLACK, CYAN,
    BLACK, WHITE
  };
  gfloat amps[7] = { a, a, a, a, a, a, a };
  BarRef *ref = &bar_refs[n_bar_refs++];
  BarBand *band;

  ref->pattern = FDPASS_BARS_SMPTE;
  ref->n_bands = MAX_BANDS;

  band = &ref->bands[0];
  band->y0 = band_rows[0][0];
  band->y1 = band_rows[0][1];
  fill_bars (band, top, amps, 7);

  band = &ref->bands[1];
  band->y0 = band_rows[1][0];
  band->y1 = band_rows[1][1];
  fill_bars (band, castellations, amps, 7);

  /* -I, 100% white, +Q, (super black), black, (grey), (noise) */
  band = &ref->bands[2];
  band->y0 = band_rows[2][0];
  band->y1 = band_rows[2][1];
  band->n_segs = 4;
  set_seg_yuv (&band->segs[0], 0.0f, 1.0f / 6, 16, 198, 21);
  set_seg (&band->segs[1], 1.0f / 6, 2.0f / 6, WHITE, 1.0f);
  set_seg_yuv (&band->segs[2], 2.0f / 6, 3.0f / 6, 16, 235, 198);
  set_seg (&band->segs[3], 7.0f / 12, 8.0f / 12, BLACK, 1.0f);
}

static gsize bar_refs_ready = 0;

static void
init_bar_refs (void)
{
  static const gint seven[7] = { WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED,
    BLUE
  };
  static const gint eight[8] = { WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED,
    BLUE, BLACK
  };
  static const gfloat a75[7] = { 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75 };
  static const gfloat a100[7] = { 1, 1, 1, 1, 1, 1, 1 };
  /* EBU 100/0/75/0: white at 100%, the colours at 75% */
  static const gfloat ebu[8] = { 1, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0 };

  if (!g_once_init_enter (&bar_refs_ready))
    return;

  add_smpte (1.0f);
  add_smpte (0.75f);
  add_full_height (FDPASS_BARS_SMPTE75, seven, a75, 7);
  add_full_height (FDPASS_BARS_SMPTE100, seven, a100, 7);
  add_full_height (FDPASS_BARS_EBU, eight, ebu, 8);
  g_assert (n_bar_refs <= MAX_REFS);

  g_once_init_leave (&bar_refs_ready, 1);
}

static void
matrix_coefficients (FdpassAnalysisMatrix matrix, gdouble * kr, gdouble * kb)
{
  switch (matrix) {
    case FDPASS_ANALYSIS_MATRIX_BT709:
      *kr = 0.2126;
      *kb = 0.0722;
      break;
    case FDPASS_ANALYSIS_MATRIX_BT2020:
      *kr = 0.2627;
      *kb = 0.0593;
      break;
    case FDPASS_ANALYSIS_MATRIX_BT601:
    default:
      *kr = 0.299;
      *kb = 0.114;
      break;
  }
}

/* the reference colour of a segment in the frame's own code values */
static void
segment_reference (const FdpassAnalysisFrame * frame, const BarSeg * seg,
    gdouble yuv[3])
{
  gdouble kr, kb, ey, pb, pr;

  if (seg->kind == SEG_YUV) {
    if (frame->full_range) {
      yuv[0] = (seg->a - 16.0) * 255.0 / 219.0;
      yuv[1] = 128.0 + (seg->b - 128.0) * 255.0 / 224.0;
      yuv[2] = 128.0 + (seg->c - 128.0) * 255.0 / 224.0;
    } else {
      yuv[0] = seg->a;
      yuv[1] = seg->b;
      yuv[2] = seg->c;
    }
    return;
  }

  matrix_coefficients (frame->matrix, &kr, &kb);
  ey = kr * seg->a + (1.0 - kr - kb) * seg->b + kb * seg->c;
  pb = (seg->c - ey) / (2.0 * (1.0 - kb));
  pr = (seg->a - ey) / (2.0 * (1.0 - kr));
  if (frame->full_range) {
    yuv[0] = 255.0 * ey;
    yuv[1] = 128.0 + 255.0 * pb;
    yuv[2] = 128.0 + 255.0 * pr;
  } else {
    yuv[0] = 16.0 + 219.0 * ey;
    yuv[1] = 128.0 + 224.0 * pb;
    yuv[2] = 128.0 + 224.0 * pr;
  }
}

/* mean Y, U, V and luma standard deviation of the central 60% of a
 * segment's width within a band */
static void
measure_segment (const FdpassAnalysisFrame * frame, const BarBand * band,
    const BarSeg * seg, gint step, gdouble mean[3], gdouble * stddev)
{
  gdouble w = (seg->x1 - seg->x0) * frame->width;
  gint x0 = (gint) (seg->x0 * frame->width + 0.2 * w);
  gint x1 = (gint) (seg->x1 * frame->width - 0.2 * w);
  gint y0 = (gint) (band->y0 * frame->height);
  gint y1 = (gint) (band->y1 * frame->height);
  gdouble sy = 0, sy2 = 0, su = 0, sv = 0, var;
  guint64 n = 0;
  gint x, y;

  x0 = CLAMP (x0, 0, frame->width - 1);
  x1 = CLAMP (x1, x0 + 1, frame->width);
  y0 = CLAMP (y0, 0, frame->height - 1);
  y1 = CLAMP (y1, y0 + 1, frame->height);

  for (y = y0; y < y1; y += step) {
    for (x = x0; x < x1; x += step) {
      guint l = luma_at (frame, x, y), u, v;

      chroma_at (frame, x, y, &u, &v);
      sy += l;
      sy2 += (gdouble) l *l;
      su += u;
      sv += v;
      n++;
    }
  }

  mean[0] = sy / n;
  mean[1] = su / n;
  mean[2] = sv / n;
  var = sy2 / n - mean[0] * mean[0];
  *stddev = sqrt (MAX (var, 0.0));
}

static gdouble
score_reference (const FdpassAnalysisFrame * frame, const BarRef * ref,
    gint step)
{
  gdouble total = 0.0, score;
  guint n = 0, b, s;

  for (b = 0; b < ref->n_bands; b++) {
    const BarBand *band = &ref->bands[b];

    for (s = 0; s < band->n_segs; s++) {
      gdouble want[3], got[3], sd, d;

      segment_reference (frame, &band->segs[s], want);
      measure_segment (frame, band, &band->segs[s], step, got, &sd);
      d = sqrt ((got[0] - want[0]) * (got[0] - want[0]) +
          (got[1] - want[1]) * (got[1] - want[1]) +
          (got[2] - want[2]) * (got[2] - want[2]));
      total += d + 0.5 * sd;
      n++;
    }
  }

  score = 1.0 - (total / n) / FDPASS_BARS_SCORE_SCALE;
  return CLAMP (score, 0.0, 1.0);
}

gboolean
fdpass_analysis_detect_bars (const FdpassAnalysisFrame * frame,
    FdpassBarsResult * result)
{
  gint step;
  guint i;

  g_return_val_if_fail (result != NULL, FALSE);
  memset (result, 0, sizeof (*result));
  if (!fdpass_analysis_frame_is_valid (frame))
    return FALSE;

  init_bar_refs ();

  /* bars are large: a coarser grid than the other detectors is plenty */
  step = MAX (1, sample_step (frame) / 2);
  for (i = 0; i < n_bar_refs; i++) {
    gdouble score = score_reference (frame, &bar_refs[i], step);

    if (score > result->scores[bar_refs[i].pattern])
      result->scores[bar_refs[i].pattern] = score;
  }

  result->best = FDPASS_BARS_NONE;
  for (i = FDPASS_BARS_NONE + 1; i < FDPASS_BARS_N_PATTERNS; i++) {
    if (result->best == FDPASS_BARS_NONE
        || result->scores[i] > result->scores[result->best])
      result->best = i;
  }
  result->score = result->scores[result->best];
  result->pattern = result->score >= FDPASS_BARS_MIN_SCORE ?
      result->best : FDPASS_BARS_NONE;

  return TRUE;
}

const gchar *
fdpass_bars_pattern_name (FdpassBarsPattern pattern)
{
  switch (pattern) {
    case FDPASS_BARS_SMPTE:
      return "smpte";
    case FDPASS_BARS_SMPTE75:
      return "smpte75";
    case FDPASS_BARS_SMPTE100:
      return "smpte100";
    case FDPASS_BARS_EBU:
      return "ebu";
    case FDPASS_BARS_NONE:
    default:
      return "none";
  }
}

/* --- perceptual hash ---------------------------------------------------- */

gboolean
fdpass_analysis_phash (const FdpassAnalysisFrame * frame, FdpassPHash * hash)
{
  gdouble sums[FDPASS_PHASH_CELLS] = { 0, };
  guint counts[FDPASS_PHASH_CELLS] = { 0, };
  gint step, x, y, i, j;

  g_return_val_if_fail (hash != NULL, FALSE);
  memset (hash, 0, sizeof (*hash));
  if (!fdpass_analysis_frame_is_valid (frame))
    return FALSE;

  /* area average: every sample of the grid goes to the cell it lies in */
  step = sample_step (frame);
  for (y = step / 2; y < frame->height; y += step) {
    gint row = y * FDPASS_PHASH_ROWS / frame->height;

    for (x = step / 2; x < frame->width; x += step) {
      gint col = x * FDPASS_PHASH_COLS / frame->width;
      gint cell = row * FDPASS_PHASH_COLS + col;

      sums[cell] += limited_luma (frame, luma_at (frame, x, y));
      counts[cell]++;
    }
  }

  for (i = 0; i < FDPASS_PHASH_CELLS; i++)
    hash->cells[i] = counts[i] ? sums[i] / counts[i] : 0.0;

  for (j = 0; j < FDPASS_PHASH_ROWS; j++) {
    for (i = 0; i < FDPASS_PHASH_COLS - 1; i++) {
      gfloat left = hash->cells[j * FDPASS_PHASH_COLS + i];
      gfloat right = hash->cells[j * FDPASS_PHASH_COLS + i + 1];

      if (right > left + FDPASS_PHASH_DEAD_ZONE)
        hash->bits |= G_GUINT64_CONSTANT (1) << (j * 8 + i);
    }
  }

  return TRUE;
}

guint
fdpass_phash_distance (const FdpassPHash * a, const FdpassPHash * b)
{
  guint64 x = a->bits ^ b->bits;
  guint n = 0;

  while (x) {
    x &= x - 1;
    n++;
  }
  return n;
}

gdouble
fdpass_phash_cell_delta (const FdpassPHash * a, const FdpassPHash * b)
{
  gdouble delta = 0.0;
  gint i;

  for (i = 0; i < FDPASS_PHASH_CELLS; i++)
    delta = MAX (delta, fabs ((gdouble) a->cells[i] - b->cells[i]));
  return delta;
}

/* --- one sample ------------------------------------------------------- */

gboolean
fdpass_analysis_analyze (const FdpassAnalysisFrame * frame,
    const FdpassPHash * previous, FdpassSampleResult * result)
{
  g_return_val_if_fail (result != NULL, FALSE);
  memset (result, 0, sizeof (*result));

  if (!fdpass_analysis_detect_black (frame, &result->black)
      || !fdpass_analysis_detect_bars (frame, &result->bars)
      || !fdpass_analysis_phash (frame, &result->hash))
    return FALSE;

  if (previous) {
    result->have_previous = TRUE;
    result->hash_distance = fdpass_phash_distance (previous, &result->hash);
    result->cell_delta = fdpass_phash_cell_delta (previous, &result->hash);
  }

  if (result->black.is_black)
    result->klass = FDPASS_SAMPLE_BLACK;
  else if (result->bars.pattern != FDPASS_BARS_NONE)
    result->klass = FDPASS_SAMPLE_BARS;
  else if (result->have_previous
      && (result->hash_distance >= FDPASS_MOTION_MIN_DISTANCE
          || result->cell_delta >= FDPASS_MOTION_MIN_CELL_DELTA))
    result->klass = FDPASS_SAMPLE_MOTION;
  else
    result->klass = FDPASS_SAMPLE_STATIC;

  return TRUE;
}

const gchar *
fdpass_sample_class_name (FdpassSampleClass klass)
{
  switch (klass) {
    case FDPASS_SAMPLE_BLACK:
      return "black";
    case FDPASS_SAMPLE_BARS:
      return "bars";
    case FDPASS_SAMPLE_MOTION:
      return "motion";
    case FDPASS_SAMPLE_STATIC:
    default:
      return "static";
  }
}

/* --- state machine ---------------------------------------------------- */

const gchar *
fdpass_stream_state_name (FdpassStreamState state)
{
  switch (state) {
    case FDPASS_STATE_BLACK:
      return "black";
    case FDPASS_STATE_BARS:
      return "bars";
    case FDPASS_STATE_LIVE:
      return "live";
    case FDPASS_STATE_STILL:
      return "still";
    case FDPASS_STATE_UNKNOWN:
    default:
      return "unknown";
  }
}

FdpassStreamState
fdpass_stream_state_for_class (FdpassSampleClass klass)
{
  switch (klass) {
    case FDPASS_SAMPLE_BLACK:
      return FDPASS_STATE_BLACK;
    case FDPASS_SAMPLE_BARS:
      return FDPASS_STATE_BARS;
    case FDPASS_SAMPLE_MOTION:
      return FDPASS_STATE_LIVE;
    case FDPASS_SAMPLE_STATIC:
    default:
      return FDPASS_STATE_STILL;
  }
}

void
fdpass_state_machine_init (FdpassStateMachine * sm, guint hysteresis,
    gdouble still_hold)
{
  memset (sm, 0, sizeof (*sm));
  sm->hysteresis = MAX (hysteresis, 1);
  sm->still_hold = MAX (still_hold, 0.0);
  sm->state = FDPASS_STATE_UNKNOWN;
}

/* Returns TRUE when this sample completed a run that changes the state:
 * sm->state is the new state, sm->state_start the time of the run's first
 * sample. */
gboolean
fdpass_state_machine_push (FdpassStateMachine * sm, FdpassSampleClass klass,
    gdouble time)
{
  FdpassStreamState target = fdpass_stream_state_for_class (klass);

  if (target == sm->state) {
    /* a glitch ended: forget it */
    sm->have_candidate = FALSE;
    sm->candidate_count = 0;
    return FALSE;
  }

  if (sm->have_candidate && sm->candidate == klass) {
    sm->candidate_count++;
  } else {
    sm->have_candidate = TRUE;
    sm->candidate = klass;
    sm->candidate_start = time;
    sm->candidate_count = 1;
  }

  if (sm->candidate_count < sm->hysteresis)
    return FALSE;
  if (klass == FDPASS_SAMPLE_STATIC
      && time - sm->candidate_start < sm->still_hold)
    return FALSE;

  sm->state = target;
  sm->state_start = sm->candidate_start;
  sm->have_candidate = FALSE;
  sm->candidate_count = 0;

  return TRUE;
}
