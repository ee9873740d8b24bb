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

/* A pattern is a list of rectangles of one R'G'B' colour, in fractions of
 * the picture, that every generator of it draws the same way. Parts that
 * generators draw differently (SMPTE -I and +Q, the PLUGE, the RP 219 ramp
 * and +I/-I chips, videotestsrc's noise) are left out. */
typedef struct
{
  gfloat x0, x1, y0, y1;
  gfloat r, g, b;
} BarRect;

#define MAX_RECTS 32
#define N_MATRICES 3

typedef struct
{
  FdpassBarsPattern pattern;
  guint n_rects;
  BarRect rects[MAX_RECTS];
} BarRef;

#define MAX_REFS 8

/* white, yellow, cyan, green, magenta, red, blue, black */
static const gfloat bar_rgb[8][3] = {
  {1, 1, 1}, {1, 1, 0}, {0, 1, 1}, {0, 1, 0},
  {1, 0, 1}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0}
};

enum
{ WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED, BLUE, BLACK };

static const gint seven_bars[7] = { WHITE, YELLOW, CYAN, GREEN, MAGENTA,
  RED, BLUE
};

static BarRef bar_refs[MAX_REFS];
static guint n_bar_refs;

static void
add_rect (BarRef * ref, gfloat x0, gfloat x1, gfloat y0, gfloat y1,
    gint colour, gfloat level)
{
  BarRect *rect;

  g_assert (ref->n_rects < MAX_RECTS);
  rect = &ref->rects[ref->n_rects++];
  rect->x0 = x0;
  rect->x1 = x1;
  rect->y0 = y0;
  rect->y1 = y1;
  rect->r = bar_rgb[colour][0] * level;
  rect->g = bar_rgb[colour][1] * level;
  rect->b = bar_rgb[colour][2] * level;
}

/* a grey of the given level */
static void
add_grey (BarRef * ref, gfloat x0, gfloat x1, gfloat y0, gfloat y1,
    gfloat level)
{
  add_rect (ref, x0, x1, y0, y1, WHITE, level);
}

static BarRef *
new_ref (FdpassBarsPattern pattern)
{
  BarRef *ref;

  g_assert (n_bar_refs < MAX_REFS);
  ref = &bar_refs[n_bar_refs++];
  ref->pattern = pattern;
  ref->n_rects = 0;
  return ref;
}

/* n equal bars over the whole width and height: colours[i] at levels[i].
 * Each bar is cut at 2/3 and 3/4 of the height, where SMPTE ECR 1 changes,
 * so that the lower third weighs as much as the top. */
static void
add_full_height (FdpassBarsPattern pattern, const gint * colours,
    const gfloat * levels, guint n)
{
  static const gfloat rows[4] = { 0.0f, 2 / 3.0f, 3 / 4.0f, 1.0f };
  BarRef *ref = new_ref (pattern);
  guint i, j;

  for (j = 0; j < 3; j++)
    for (i = 0; i < n; i++)
      add_rect (ref, (gfloat) i / n, (gfloat) (i + 1) / n, rows[j],
          rows[j + 1], colours[i], levels[i]);
}

/* SMPTE ECR 1-1978 (EG 1-1990): seven bars over 2/3 of the height, the
 * reversed-blue castellations to 3/4, then -I, 100% white, +Q, black and
 * the PLUGE. Bars and castellations at level a (videotestsrc pattern=smpte
 * draws 100%, ffmpeg's smptebars and broadcast generators 75%). Of the
 * bottom row only the white and the black that all generators share. */
static void
add_smpte (gfloat a)
{
  static const gint castellations[7] = { BLUE, BLACK, MAGENTA, BLACK, CYAN,
    BLACK, WHITE
  };
  BarRef *ref = new_ref (FDPASS_BARS_SMPTE);
  guint i;

  for (i = 0; i < 7; i++) {
    add_rect (ref, i / 7.0f, (i + 1) / 7.0f, 0.0f, 2 / 3.0f, seven_bars[i], a);
    add_rect (ref, i / 7.0f, (i + 1) / 7.0f, 2 / 3.0f, 3 / 4.0f,
        castellations[i], a);
  }
  /* white: 1/6..2/6 (videotestsrc) or 5/28..10/28 (5/4 of a bar wide) */
  add_rect (ref, 5 / 28.0f, 2 / 6.0f, 3 / 4.0f, 1.0f, WHITE, 1.0f);
  add_rect (ref, 7 / 12.0f, 8 / 12.0f, 3 / 4.0f, 1.0f, BLACK, 1.0f);
}

/* SMPTE RP 219-1 HD bars: 1/8 of the width on each side (d), seven 75%
 * bars of 3/28 (c) in between over 7/12 of the height, then three rows of
 * 1/12 (100% cyan and blue around 75% white; 100% yellow and red around
 * the ramp) and the bottom row with 15% grey, 0% black, 100% white and
 * the PLUGE. */
static void
add_smpte_rp219 (void)
{
  const gfloat d = 1 / 8.0f, c = 3 / 28.0f;
  BarRef *ref = new_ref (FDPASS_BARS_SMPTE_RP219);
  guint i;

  add_grey (ref, 0.0f, d, 0.0f, 7 / 12.0f, 0.4f);
  for (i = 0; i < 7; i++)
    add_rect (ref, d + i * c, d + (i + 1) * c, 0.0f, 7 / 12.0f,
        seven_bars[i], 0.75f);
  add_grey (ref, 1.0f - d, 1.0f, 0.0f, 7 / 12.0f, 0.4f);

  add_rect (ref, 0.0f, d, 7 / 12.0f, 8 / 12.0f, CYAN, 1.0f);
  add_grey (ref, d + c, 1.0f - d, 7 / 12.0f, 8 / 12.0f, 0.75f);
  add_rect (ref, 1.0f - d, 1.0f, 7 / 12.0f, 8 / 12.0f, BLUE, 1.0f);

  add_rect (ref, 0.0f, d, 8 / 12.0f, 9 / 12.0f, YELLOW, 1.0f);
  add_rect (ref, 1.0f - d, 1.0f, 8 / 12.0f, 9 / 12.0f, RED, 1.0f);

  add_grey (ref, 0.0f, d, 9 / 12.0f, 1.0f, 0.15f);
  add_rect (ref, d, d + 1.5f * c, 9 / 12.0f, 1.0f, BLACK, 1.0f);
  add_rect (ref, d + 1.5f * c, d + 3.5f * c, 9 / 12.0f, 1.0f, WHITE, 1.0f);
  add_rect (ref, d + 3.5f * c, d + 5.7f * c, 9 / 12.0f, 1.0f, BLACK, 1.0f);
  add_grey (ref, 1.0f - d, 1.0f, 9 / 12.0f, 1.0f, 0.15f);
}

static gsize bar_refs_ready = 0;

static void
init_bar_refs (void)
{
  static const gint eight[8] = { WHITE, YELLOW, CYAN, GREEN, MAGENTA, RED,
    BLUE, BLACK
  };
  static const gfloat l75[7] = { 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75 };
  static const gfloat l100[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
  /* EBU 100/0/75/0: white at 100%, the colours at 75% */
  static const gfloat ebu75[8] = { 1, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0 };

  if (!g_once_init_enter (&bar_refs_ready))
    return;

  add_smpte (1.0f);
  add_smpte (0.75f);
  add_smpte_rp219 ();
  add_full_height (FDPASS_BARS_SMPTE75, seven_bars, l75, 7);
  add_full_height (FDPASS_BARS_SMPTE100, seven_bars, l100, 7);
  add_full_height (FDPASS_BARS_EBU, eight, ebu75, 8);
  add_full_height (FDPASS_BARS_EBU, eight, l100, 8);

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

/* R'G'B' to the frame's Y'CbCr code values with the given matrix */
static void
rgb_to_yuv (const FdpassAnalysisFrame * frame, FdpassAnalysisMatrix matrix,
    const BarRect * rect, gdouble yuv[3])
{
  gdouble kr, kb, ey, pb, pr;

  matrix_coefficients (matrix, &kr, &kb);
  ey = kr * rect->r + (1.0 - kr - kb) * rect->g + kb * rect->b;
  pb = (rect->b - ey) / (2.0 * (1.0 - kb));
  pr = (rect->r - ey) / (2.0 * (1.0 - kr));
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

/* The matrices to try: the frame's, then BT.601 and BT.709. Generators
 * write fixed code values (ffmpeg's smptebars and pal*bars BT.601 ones,
 * smptehdbars BT.709 ones, at every size) and streams rarely say which:
 * without colour information in the stream GStreamer assumes BT.709 from
 * 720 lines up and BT.601 below. */
static guint
bars_matrices (const FdpassAnalysisFrame * frame,
    FdpassAnalysisMatrix matrices[N_MATRICES])
{
  guint n = 0;

  matrices[n++] = frame->matrix;
  if (frame->matrix != FDPASS_ANALYSIS_MATRIX_BT601)
    matrices[n++] = FDPASS_ANALYSIS_MATRIX_BT601;
  if (frame->matrix != FDPASS_ANALYSIS_MATRIX_BT709)
    matrices[n++] = FDPASS_ANALYSIS_MATRIX_BT709;
  return n;
}

/* Fraction of the samples of the centre of a rectangle (60% of its width,
 * 70% of its height: away from the edges, where compression and chroma
 * subsampling blur the colours) within FDPASS_BARS_TOLERANCE of the
 * rectangle's colour, for each matrix. */
static void
match_rect (const FdpassAnalysisFrame * frame, const BarRect * rect,
    const FdpassAnalysisMatrix * matrices, guint n_matrices, gint step,
    gdouble fractions[N_MATRICES])
{
  gdouble w = (rect->x1 - rect->x0) * frame->width;
  gdouble h = (rect->y1 - rect->y0) * frame->height;
  gint x0 = (gint) ceil (rect->x0 * frame->width + 0.2 * w);
  gint x1 = (gint) (rect->x1 * frame->width - 0.2 * w);
  gint y0 = (gint) ceil (rect->y0 * frame->height + 0.15 * h);
  gint y1 = (gint) (rect->y1 * frame->height - 0.15 * h);
  const gdouble tol2 = FDPASS_BARS_TOLERANCE * FDPASS_BARS_TOLERANCE;
  gdouble want[N_MATRICES][3];
  guint64 n = 0, hits[N_MATRICES] = { 0, };
  gint x, y, xstep, ystep;
  guint m;

  x0 = CLAMP (x0, 0, frame->width - 1);
  x1 = CLAMP (x1, x0 + 1, frame->width);
  y0 = CLAMP (y0, 0, frame->height - 1);
  y1 = CLAMP (y1, y0 + 1, frame->height);
  /* at least a few rows and columns, even in thin rows of the pattern */
  xstep = CLAMP ((x1 - x0) / 4, 1, step);
  ystep = CLAMP ((y1 - y0) / 4, 1, step);

  for (m = 0; m < n_matrices; m++)
    rgb_to_yuv (frame, matrices[m], rect, want[m]);

  for (y = y0; y < y1; y += ystep) {
    for (x = x0; x < x1; x += xstep) {
      guint l = luma_at (frame, x, y), u, v;

      chroma_at (frame, x, y, &u, &v);
      for (m = 0; m < n_matrices; m++) {
        gdouble dy = l - want[m][0], du = u - want[m][1], dv = v - want[m][2];

        if (dy * dy + du * du + dv * dv <= tol2)
          hits[m]++;
      }
      n++;
    }
  }

  for (m = 0; m < n_matrices; m++)
    fractions[m] = (gdouble) hits[m] / n;
}

/* mean matching fraction over the rectangles, with the best matrix */
static gdouble
score_reference (const FdpassAnalysisFrame * frame, const BarRef * ref,
    gint step)
{
  FdpassAnalysisMatrix matrices[N_MATRICES];
  gdouble sums[N_MATRICES] = { 0, }, best = 0.0;
  guint n_matrices = bars_matrices (frame, matrices), i, m;

  for (i = 0; i < ref->n_rects; i++) {
    gdouble fractions[N_MATRICES];

    match_rect (frame, &ref->rects[i], matrices, n_matrices, step, fractions);
    for (m = 0; m < n_matrices; m++)
      sums[m] += fractions[m];
  }

  for (m = 0; m < n_matrices; m++)
    best = MAX (best, sums[m] / ref->n_rects);
  return best;
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

  step = sample_step (frame);
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
    case FDPASS_BARS_SMPTE_RP219:
      return "smpte-rp219";
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
  else if (result->have_previous && result->hash_distance == 0
      && result->cell_delta <= FDPASS_FROZEN_MAX_CELL_DELTA)
    result->klass = FDPASS_SAMPLE_FROZEN;
  else
    result->klass = FDPASS_SAMPLE_STATIC;

  return TRUE;
}

/* Call with the hash of the last sample that was neither static nor
 * frozen. Returns TRUE when the picture of a static or frozen sample moved
 * that far away from it and made it a motion sample. */
gboolean
fdpass_analysis_check_drift (const FdpassPHash * anchor,
    FdpassSampleResult * result)
{
  g_return_val_if_fail (anchor != NULL && result != NULL, FALSE);

  if (result->klass != FDPASS_SAMPLE_STATIC
      && result->klass != FDPASS_SAMPLE_FROZEN)
    return FALSE;
  if (fdpass_phash_distance (anchor, &result->hash) <
      FDPASS_MOTION_MIN_DISTANCE
      && fdpass_phash_cell_delta (anchor, &result->hash) <
      FDPASS_MOTION_MIN_CELL_DELTA)
    return FALSE;

  result->klass = FDPASS_SAMPLE_MOTION;
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
    case FDPASS_SAMPLE_FROZEN:
      return "frozen";
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
    case FDPASS_SAMPLE_FROZEN:
    default:
      return FDPASS_STATE_STILL;
  }
}

void
fdpass_state_machine_init (FdpassStateMachine * sm, guint hysteresis,
    gdouble still_hold, guint frozen_samples)
{
  memset (sm, 0, sizeof (*sm));
  sm->hysteresis = MAX (hysteresis, 1);
  sm->still_hold = MAX (still_hold, 0.0);
  sm->frozen_samples = MAX (frozen_samples, 1);
  sm->state = FDPASS_STATE_UNKNOWN;
}

/* does a sample of this class point to `state`? */
static gboolean
class_supports (const FdpassStateMachine * sm, FdpassSampleClass klass,
    FdpassStreamState state)
{
  gboolean picture_expected = sm->state == FDPASS_STATE_UNKNOWN
      || sm->state == FDPASS_STATE_BLACK || sm->state == FDPASS_STATE_BARS;

  switch (state) {
    case FDPASS_STATE_BLACK:
      return klass == FDPASS_SAMPLE_BLACK;
    case FDPASS_STATE_BARS:
      return klass == FDPASS_SAMPLE_BARS;
    case FDPASS_STATE_STILL:
      return klass == FDPASS_SAMPLE_STATIC || klass == FDPASS_SAMPLE_FROZEN;
    case FDPASS_STATE_LIVE:
      return klass == FDPASS_SAMPLE_MOTION || (picture_expected
          && (klass == FDPASS_SAMPLE_STATIC || klass == FDPASS_SAMPLE_FROZEN));
    default:
      return FALSE;
  }
}

static gboolean
run_confirms (const FdpassStateMachine * sm, FdpassStreamState state,
    gdouble time)
{
  const FdpassStateRun *run = &sm->runs[state];
  const FdpassStateRun *still = &sm->runs[FDPASS_STATE_STILL];

  if (!run->active)
    return FALSE;
  if (state == FDPASS_STATE_LIVE && still->active
      && still->frozen == still->count && still->frozen < sm->frozen_samples)
    return FALSE;               /* a picture that has not moved yet */
  if (state != FDPASS_STATE_STILL)
    return run->count >= sm->hysteresis;
  return run->frozen >= sm->frozen_samples || (run->count >= sm->hysteresis
      && time - run->start >= sm->still_hold);
}

/* Returns TRUE when this sample changed the state: sm->state is the new
 * state, sm->state_start the time it began (see FdpassStateMachine). */
gboolean
fdpass_state_machine_push (FdpassStateMachine * sm, FdpassSampleClass klass,
    gdouble time)
{
  static const FdpassStreamState order[] = { FDPASS_STATE_BLACK,
    FDPASS_STATE_BARS, FDPASS_STATE_STILL, FDPASS_STATE_LIVE
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    FdpassStateRun *run = &sm->runs[order[i]];

    if (order[i] == sm->state || !class_supports (sm, klass, order[i])) {
      run->active = FALSE;
      continue;
    }
    if (!run->active) {
      run->active = TRUE;
      run->count = 0;
      run->frozen = 0;
      run->start = time;
      if (order[i] == FDPASS_STATE_STILL && sm->have_previous)
        run->start = sm->previous_time;
    }
    run->count++;
    run->frozen = klass == FDPASS_SAMPLE_FROZEN ? run->frozen + 1 : 0;
  }
  sm->have_previous = TRUE;
  sm->previous_time = time;

  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    if (run_confirms (sm, order[i], time)) {
      sm->state = order[i];
      sm->state_start = sm->runs[order[i]].start;
      sm->runs[order[i]].active = FALSE;
      return TRUE;
    }
  }

  return FALSE;
}
