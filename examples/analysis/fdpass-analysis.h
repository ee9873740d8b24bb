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

/* Pure C detectors (GLib only, no GStreamer) that judge one decoded video
 * frame, read in place through its plane pointers and strides, and a state
 * machine that turns per-sample classifications into stream states.
 *
 * Thresholds (8-bit luma in limited range 16..235; full-range frames are
 * rescaled to it first):
 *
 *   black   the mean luma is at most FDPASS_BLACK_MAX_MEAN (28), at least
 *           FDPASS_BLACK_MIN_DARK_FRACTION (98%) of the sampled pixels are
 *           at or below FDPASS_BLACK_DARK_LUMA (32), and the luma standard
 *           deviation is at most FDPASS_BLACK_MAX_STDDEV (8). A dim scene
 *           with detail (mean 40..50) fails the first two, a dark picture
 *           with a few bright spots the last.
 *   bars    every known pattern is a list of rectangles of one R'G'B'
 *           colour, in fractions of the picture, that its generators all
 *           draw (SMPTE ECR 1 at 100% and 75%, videotestsrc's full-height
 *           smpte75 and smpte100, SMPTE RP 219 HD bars, EBU 100/0/75/0 and
 *           100/0/100/0). A sample of the centre of a rectangle matches
 *           when its Y'CbCr is within FDPASS_BARS_TOLERANCE (24 code
 *           values, Euclidean) of the rectangle's colour; the score of a
 *           pattern is the mean over its rectangles of the matching
 *           fraction, with the best of the frame's matrix, BT.601 and
 *           BT.709 (generators write fixed code values and streams rarely
 *           say which). Bars when the best score is at least
 *           FDPASS_BARS_MIN_SCORE (0.75): a clock or a logo over a few
 *           rectangles costs only the part it covers.
 *   motion  a 64-bit difference hash (dHash) of the picture area-averaged
 *           to 9x8 cells: bit = right cell brighter than its left neighbour
 *           by more than half a code value (the dead zone keeps flat
 *           pictures from producing random bits). Motion when the Hamming
 *           distance to the previous sample is at least
 *           FDPASS_MOTION_MIN_DISTANCE (5), or when any cell mean changed
 *           by at least FDPASS_MOTION_MIN_CELL_DELTA (6 code values): a
 *           small moving object changes at most a few bits of a 64-bit
 *           hash, but the mean of the cells it crosses a lot.
 *   frozen  a sample that is not motion, with a Hamming distance of 0 and
 *           no cell mean changed by more than FDPASS_FROZEN_MAX_CELL_DELTA
 *           (1 code value: an encoder that is fed the same picture keeps
 *           refining it by up to about that much). A static sample is
 *           motion after all when it drifted as far from the last
 *           non-static sample as motion moves between two samples
 *           (fdpass_analysis_check_drift): a slow scene is not still.
 */

#ifndef __FDPASS_ANALYSIS_H__
#define __FDPASS_ANALYSIS_H__

#include <glib.h>

G_BEGIN_DECLS

#define FDPASS_BLACK_DARK_LUMA          32.0
#define FDPASS_BLACK_MAX_MEAN           28.0
#define FDPASS_BLACK_MIN_DARK_FRACTION  0.98
#define FDPASS_BLACK_MAX_STDDEV         8.0

#define FDPASS_BARS_MIN_SCORE           0.75
#define FDPASS_BARS_TOLERANCE           24.0

#define FDPASS_PHASH_COLS               9
#define FDPASS_PHASH_ROWS               8
#define FDPASS_PHASH_CELLS              (FDPASS_PHASH_COLS * FDPASS_PHASH_ROWS)
#define FDPASS_PHASH_DEAD_ZONE          0.5
#define FDPASS_MOTION_MIN_DISTANCE      5
#define FDPASS_MOTION_MIN_CELL_DELTA    6.0
#define FDPASS_FROZEN_MAX_CELL_DELTA    1.0

/* Defaults of fdpass-analyze, chosen for timing: at 100 ms a sample costs
 * about 1 ms of CPU at 1080p, the start of a state is known to within
 * 100 ms, a frozen picture is "still" after FDPASS_DEFAULT_FROZEN_SAMPLES
 * (5) near-identical samples, 0.5 s after the first sample that showed it
 * (4 would also take videotestsrc's ball in the HLS demo's stream, whose
 * decoded picture does not change for 0.4 s at the top of its path), and
 * the other states need FDPASS_DEFAULT_HYSTERESIS (5) samples: a glitch
 * shorter than 0.5 s changes nothing. */
#define FDPASS_DEFAULT_SAMPLE_INTERVAL_MS 100
#define FDPASS_DEFAULT_HYSTERESIS       5
#define FDPASS_DEFAULT_FROZEN_SAMPLES   5
#define FDPASS_DEFAULT_STILL_HOLD       3.0

typedef enum
{
  FDPASS_ANALYSIS_FORMAT_I420,  /* planes: Y, U, V; chroma 2x2 subsampled */
  FDPASS_ANALYSIS_FORMAT_YV12,  /* planes: Y, V, U */
  FDPASS_ANALYSIS_FORMAT_NV12,  /* planes: Y, UV interleaved */
  FDPASS_ANALYSIS_FORMAT_NV21,  /* planes: Y, VU interleaved */
} FdpassAnalysisFormat;

typedef enum
{
  FDPASS_ANALYSIS_MATRIX_BT601,
  FDPASS_ANALYSIS_MATRIX_BT709,
  FDPASS_ANALYSIS_MATRIX_BT2020,
} FdpassAnalysisMatrix;

/* One frame, read in place: nothing is copied. */
typedef struct
{
  gint width;
  gint height;
  FdpassAnalysisFormat format;
  const guint8 *planes[3];
  gint strides[3];
  FdpassAnalysisMatrix matrix;
  gboolean full_range;
} FdpassAnalysisFrame;

typedef struct
{
  gdouble mean_luma;            /* limited-range code values */
  gdouble luma_stddev;
  gdouble dark_fraction;        /* of samples <= FDPASS_BLACK_DARK_LUMA */
  gboolean is_black;
} FdpassBlackResult;

typedef enum
{
  FDPASS_BARS_NONE = 0,
  FDPASS_BARS_SMPTE,            /* bars, castellations, -I/white/+Q, pluge */
  FDPASS_BARS_SMPTE75,          /* 75% bars over the whole height */
  FDPASS_BARS_SMPTE100,         /* 100% bars over the whole height */
  FDPASS_BARS_EBU,              /* 100/0/75/0 or 100/0/100/0, with black */
  FDPASS_BARS_SMPTE_RP219,      /* HD bars: 40% grey sides, 75% bars, ramp */
  FDPASS_BARS_N_PATTERNS
} FdpassBarsPattern;

typedef struct
{
  FdpassBarsPattern pattern;    /* FDPASS_BARS_NONE below the threshold */
  FdpassBarsPattern best;       /* the best match, even below it */
  gdouble score;                /* of the best match, 0..1 */
  gdouble scores[FDPASS_BARS_N_PATTERNS];
} FdpassBarsResult;

typedef struct
{
  guint64 bits;
  gfloat cells[FDPASS_PHASH_CELLS];     /* mean luma of each cell */
} FdpassPHash;

typedef enum
{
  FDPASS_SAMPLE_BLACK,
  FDPASS_SAMPLE_BARS,
  FDPASS_SAMPLE_MOTION,
  FDPASS_SAMPLE_STATIC,
  FDPASS_SAMPLE_FROZEN,         /* static, and the same picture as before */
} FdpassSampleClass;

typedef struct
{
  FdpassBlackResult black;
  FdpassBarsResult bars;
  FdpassPHash hash;
  gboolean have_previous;
  guint hash_distance;          /* to the previous sample, 0 without one */
  gdouble cell_delta;           /* largest cell change, 0 without one */
  FdpassSampleClass klass;
} FdpassSampleResult;

typedef enum
{
  FDPASS_STATE_UNKNOWN,
  FDPASS_STATE_BLACK,           /* off-air */
  FDPASS_STATE_BARS,
  FDPASS_STATE_LIVE,
  FDPASS_STATE_STILL,
  FDPASS_STATE_N_STATES
} FdpassStreamState;

/* Consecutive samples that point to one state other than the current. */
typedef struct
{
  gboolean active;
  gdouble start;                /* when the candidate state began */
  guint count;                  /* samples in the run */
  guint frozen;                 /* consecutive FDPASS_SAMPLE_FROZEN at its end */
} FdpassStateRun;

/* Each state other than the current one has a run of the samples that
 * point to it, which any other sample ends:
 *
 *   black, bars  black or bars samples; `hysteresis` of them change the
 *                state, which starts at the first.
 *   still        static and frozen samples: `frozen_samples` consecutive
 *                frozen ones, or `hysteresis` spanning `still_hold`
 *                seconds, change the state. It starts at the sample before
 *                the first: a static sample shows the picture of the
 *                previous one.
 *   live         motion samples; after black, bars or at the start any
 *                picture (motion, static or frozen: a picture that came up
 *                is live until it proves to be still). `hysteresis` of them
 *                change the state, which starts at the first; not while
 *                all the samples since the first were frozen and may yet
 *                make it still.
 *
 * still is checked before live. */
typedef struct
{
  guint hysteresis;
  gdouble still_hold;
  guint frozen_samples;

  FdpassStreamState state;
  gdouble state_start;

  gboolean have_previous;
  gdouble previous_time;
  FdpassStateRun runs[FDPASS_STATE_N_STATES];
} FdpassStateMachine;

gboolean fdpass_analysis_frame_is_valid (const FdpassAnalysisFrame * frame);

gboolean fdpass_analysis_detect_black (const FdpassAnalysisFrame * frame,
    FdpassBlackResult * result);

gboolean fdpass_analysis_detect_bars (const FdpassAnalysisFrame * frame,
    FdpassBarsResult * result);

const gchar *fdpass_bars_pattern_name (FdpassBarsPattern pattern);

gboolean fdpass_analysis_phash (const FdpassAnalysisFrame * frame,
    FdpassPHash * hash);

guint fdpass_phash_distance (const FdpassPHash * a, const FdpassPHash * b);

gdouble fdpass_phash_cell_delta (const FdpassPHash * a, const FdpassPHash * b);

gboolean fdpass_analysis_analyze (const FdpassAnalysisFrame * frame,
    const FdpassPHash * previous, FdpassSampleResult * result);

gboolean fdpass_analysis_check_drift (const FdpassPHash * anchor,
    FdpassSampleResult * result);

const gchar *fdpass_sample_class_name (FdpassSampleClass klass);

const gchar *fdpass_stream_state_name (FdpassStreamState state);

FdpassStreamState fdpass_stream_state_for_class (FdpassSampleClass klass);

void fdpass_state_machine_init (FdpassStateMachine * sm, guint hysteresis,
    gdouble still_hold, guint frozen_samples);

gboolean fdpass_state_machine_push (FdpassStateMachine * sm,
    FdpassSampleClass klass, gdouble time);

G_END_DECLS

#endif /* __FDPASS_ANALYSIS_H__ */
