/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libdinomaly: anomaly inspection with a Dinomaly model for software that
 * embeds it (a machine builder's station, a camera vendor's SDK). One
 * header, plain C, no GLib types.
 *
 *   dinomaly_model *model;
 *   dinomaly_result *result;
 *
 *   if (dinomaly_model_open ("part.dinomaly", NULL, NULL, NULL, 0, &model) != DINOMALY_OK)
 *     fprintf (stderr, "%s\n", dinomaly_last_error ());
 *   if (dinomaly_inspect (model, pixels, size, width, height, stride, DINOMALY_RGB8,
 *                         &result) == DINOMALY_OK)
 *     {
 *       printf ("%g %s\n", dinomaly_result_score (result),
 *               dinomaly_decision_name (dinomaly_result_decision (result)));
 *       dinomaly_result_free (result);
 *     }
 *   dinomaly_model_close (model);
 *
 * What it computes: exactly what `dinomaly predict` computes for the same
 * picture (it runs the same code): the image score, the decision of the
 * class's thresholds with the rule that made it, the anomaly map that
 * predict writes as STEM_map.tiff (and that map at the picture's size, as
 * predict's overlay places it), and the defect regions.
 *
 * Errors: every function that can fail returns a dinomaly_status;
 * dinomaly_last_error () then gives the reason in words (naming the file
 * and the problem) for the calling thread. Nothing aborts the program on a
 * bad argument: NULL pointers, zero or absurd sizes and strides come back
 * as DINOMALY_ERROR_ARGUMENT.
 *
 * Ownership: what a function returns through a pointer argument belongs to
 * the caller and is freed with the matching function (dinomaly_model_close,
 * dinomaly_result_free); pointers that a getter returns belong to the
 * object they come from and live as long as it does. Strings are UTF-8
 * (file names as the system gives them).
 *
 * Threads: a model may be used from several threads at once; its
 * inferences run one at a time (the picture's preprocessing runs in the
 * calling thread, outside that lock). Results are independent objects. Open
 * one model per thread for parallel inferences. Closing a model while
 * another thread inspects with it is the caller's error.
 *
 * Stability: the functions, types and values here keep their meaning for
 * every library with SONAME libdinomaly.so.1; later versions only add.
 * pkg-config --cflags --libs dinomaly gives the flags. */
#ifndef DINOMALY_H
#define DINOMALY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define DINOMALY_BEGIN_DECLS                                                                       \
  extern "C"                                                                                       \
  {
#define DINOMALY_END_DECLS }
#else
#define DINOMALY_BEGIN_DECLS
#define DINOMALY_END_DECLS
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DINOMALY_API __attribute__ ((visibility ("default")))
#else
#define DINOMALY_API
#endif

/* The version of this header; dinomaly_version () gives the library's. */
#define DINOMALY_VERSION_MAJOR 1
#define DINOMALY_VERSION_MINOR 0
#define DINOMALY_VERSION_MICRO 0

DINOMALY_BEGIN_DECLS

/* ---- errors ---- */

typedef enum
{
  DINOMALY_OK = 0,
  DINOMALY_ERROR_ARGUMENT = 1,  /* NULL where a value is needed, a zero or absurd size or
                                 * stride, a buffer too small, an unknown pixel format, a
                                 * class the model does not have */
  DINOMALY_ERROR_IO = 2,        /* a file could not be opened or read */
  DINOMALY_ERROR_MODEL = 3,     /* not a model file, a damaged one, or one this library
                                 * cannot run (its backbone missing or not matching) */
  DINOMALY_ERROR_TOO_LARGE = 4, /* a picture above DINOMALY_MAX_PIXELS, a model above the
                                 * library's limits */
  DINOMALY_ERROR_NO_MEMORY = 5, /* an allocation failed */
  DINOMALY_ERROR_NUMERIC = 6,   /* the model gave no finite score for this picture */
  DINOMALY_ERROR_FAILED = 7,    /* anything else (the inference engine failed) */
} dinomaly_status;

/* The reason for the last failure of a function of this library in the
 * calling thread (a message naming the file and the problem), or "" when
 * none failed yet. Valid until the next call of a function of this library
 * in the same thread; never NULL. */
DINOMALY_API const char *dinomaly_last_error (void);

/* A short name of a status ("ok", "invalid argument", ...; "unknown" for a
 * value not listed above). Static; never NULL. */
DINOMALY_API const char *dinomaly_status_name (dinomaly_status status);

/* The library's version, "MAJOR.MINOR.MICRO". Static. */
DINOMALY_API const char *dinomaly_version (void);

/* ---- models ---- */

typedef struct dinomaly_model dinomaly_model;

/* Opens a model for inspection: model_path is a model file (.dinomaly,
 * made by `dinomaly train` or Dinomaly Studio) or a folder of one model per
 * class; backbone_path (may be NULL) the backbone file of a model that
 * refers to its backbone instead of holding it; class_name (may be NULL)
 * the class whose thresholds and inspection rules decide (needed when the
 * model has several classes, and in a folder of several models);
 * rules_path (may be NULL) a rules file (JSON, as `dinomaly rules` writes
 * it) used instead of the class's rules in the model; n_threads the
 * threads of its inferences (0: all cores; at most 4096). As `dinomaly
 * predict --model --backbone --class --rules --threads` opens it.
 *
 * On success *model receives the handle (free it with
 * dinomaly_model_close); on failure *model is set to NULL (when model is
 * not NULL) and the status says why. Loading a model reads and checks the
 * whole file (a second or more for a large model). */
DINOMALY_API dinomaly_status dinomaly_model_open (const char *model_path,
                                                  const char *backbone_path,
                                                  const char *class_name,
                                                  const char *rules_path,
                                                  int n_threads,
                                                  dinomaly_model **model);

/* Frees the model and its memory. NULL is ignored. */
DINOMALY_API void dinomaly_model_close (dinomaly_model *model);

/* ---- inspection ---- */

typedef enum
{
  DINOMALY_GRAY8 = 1,  /* one byte a pixel */
  DINOMALY_RGB8 = 2,   /* three bytes a pixel: R, G, B */
  DINOMALY_GRAY16 = 3, /* one uint16_t a pixel, in the machine's byte order */
  DINOMALY_RGB16 = 4,  /* three uint16_t a pixel: R, G, B, in the machine's byte order */
} dinomaly_pixel_format;

/* The largest picture inspected, in pixels (width x height): the ceiling
 * `dinomaly predict` applies by default. */
#define DINOMALY_MAX_PIXELS 100000000u

typedef struct dinomaly_result dinomaly_result;

/* Inspects one picture: pixels is width x height pixels of format, rows
 * top to bottom, each row starting stride bytes after the one before
 * (stride at least width times the pixel's size: rows may be padded), in a
 * buffer of size bytes (at least stride x (height - 1) + a row's bytes).
 * 16-bit pictures start at an even address and have an even stride.
 * 16-bit samples are on the 0..65535 scale (a 12-bit camera's samples
 * shifted up), gray pictures are read as R = G = B.
 *
 * The picture is read as `dinomaly predict` reads the same pixels from a
 * PNG file of that format (8 or 16 bits, gray or RGB): same preprocessing,
 * same inference, same score, map, decision and regions. The buffer is
 * only read, during the call; it may be freed or reused afterwards.
 *
 * On success *result receives the result (free it with
 * dinomaly_result_free); on failure *result is set to NULL (when result
 * is not NULL). */
DINOMALY_API dinomaly_status dinomaly_inspect (dinomaly_model *model,
                                               const void *pixels,
                                               size_t size,
                                               uint32_t width,
                                               uint32_t height,
                                               size_t stride,
                                               dinomaly_pixel_format format,
                                               dinomaly_result **result);

/* ---- results ---- */

typedef enum
{
  DINOMALY_DECISION_NONE = 0,      /* the class has no threshold: no decision (predict's
                                    * CSV leaves it empty) */
  DINOMALY_DECISION_PASS = 1,      /* a good part */
  DINOMALY_DECISION_UNCERTAIN = 2, /* the score inside the class's uncertain band: for a
                                    * person to look at */
  DINOMALY_DECISION_REJECT = 3,    /* a defective part ("fail" in predict's CSV) */
} dinomaly_decision;

/* The rule that made the decision. */
typedef enum
{
  DINOMALY_RULE_NONE = 0,           /* passed (or no decision) */
  DINOMALY_RULE_SCORE = 1,          /* the image score at or above the image threshold (or
                                     * the top of the uncertain band) */
  DINOMALY_RULE_UNCERTAIN_BAND = 2, /* the score inside the uncertain band */
  DINOMALY_RULE_REGION_AREA = 3,    /* a defect region at or above the maximum area */
  DINOMALY_RULE_REGION_LENGTH = 4,  /* a defect region at or above the maximum length */
  DINOMALY_RULE_REGION_COUNT = 5,   /* more defect regions than allowed */
} dinomaly_rule;

/* A defect region: 8-connected pixels of the picture where the anomaly
 * map, placed on the picture as predict's overlay draws it, is at or above
 * the class's pixel threshold (and inside the inspected region of
 * interest). Sizes in pixels of the picture given to dinomaly_inspect. */
typedef struct
{
  uint32_t x, y;          /* bounding box: top-left pixel */
  uint32_t width, height; /* bounding box size */
  uint64_t area_px;       /* pixels in the region */
  double length_px;       /* longest extent (the largest distance between two of its
                           * pixels' corners) */
  double area_mm2;        /* with the class's calibration (mm per pixel), else NAN */
  double length_mm;       /* likewise */
  float max_value;        /* the anomaly map over the region: largest value */
  float mean_value;       /* and mean */
} dinomaly_region;

/* The regions a result lists at most (the largest ones). */
#define DINOMALY_MAX_REGIONS 32

/* The image score: the mean of the top 1% of the anomaly map (over the
 * inspected pixels when the class has a region of interest), as predict's
 * results.csv gives it. NAN for NULL. */
DINOMALY_API float dinomaly_result_score (const dinomaly_result *result);

/* The decision of the class's thresholds and rules, and the rule that
 * made it (DINOMALY_DECISION_NONE and DINOMALY_RULE_NONE for NULL). */
DINOMALY_API dinomaly_decision dinomaly_result_decision (const dinomaly_result *result);
DINOMALY_API dinomaly_rule dinomaly_result_rule (const dinomaly_result *result);

/* The words dinomaly's outputs use: "pass", "uncertain", "fail", "" (none);
 * "score", "uncertain_band", "region_area", "region_length", "region_count",
 * "" (none). "" for a value not listed. Static; never NULL. */
DINOMALY_API const char *dinomaly_decision_name (dinomaly_decision decision);
DINOMALY_API const char *dinomaly_rule_name (dinomaly_rule rule);

/* The anomaly map the score comes from, row-major float32, *width x
 * *height values (256 x 256: predict's STEM_map.tiff, value for value). It
 * covers the model's view of the picture: the centre crop of the picture
 * resized to the model's input size, as predict's overlay shows it. Owned
 * by the result. NULL (and 0 x 0) for NULL; width and height may be NULL. */
DINOMALY_API const float *
dinomaly_result_map (const dinomaly_result *result, uint32_t *width, uint32_t *height);

/* The size of the picture given to dinomaly_inspect (0 x 0 for NULL;
 * width and height may be NULL). */
DINOMALY_API void
dinomaly_result_picture_size (const dinomaly_result *result, uint32_t *width, uint32_t *height);

/* The anomaly map at the picture's size: map (room for count floats, at
 * least width x height of dinomaly_result_picture_size) receives, row by
 * row, the map's value at each pixel of the picture, placed as predict's
 * overlay draws it and as the defect regions are measured (the pixel's
 * centre in the model's centre crop, bilinear between the values of
 * dinomaly_result_map), and NAN for the pixels the model does not see
 * (outside its crop) or that the class's region of interest leaves out.
 * A region's pixels are those at or above the class's pixel threshold. */
DINOMALY_API dinomaly_status dinomaly_result_picture_map (const dinomaly_result *result,
                                                          float *map,
                                                          size_t count);

/* The defect regions that count (predict's "regions" column; 0 without a
 * pixel threshold), and the index-th of the largest
 * MIN (count, DINOMALY_MAX_REGIONS), largest area first.
 * dinomaly_result_region fails with DINOMALY_ERROR_ARGUMENT for NULL or an
 * index out of range. */
DINOMALY_API size_t dinomaly_result_region_count (const dinomaly_result *result);
DINOMALY_API dinomaly_status dinomaly_result_region (const dinomaly_result *result,
                                                     size_t index,
                                                     dinomaly_region *region);

/* Frees a result. NULL is ignored. */
DINOMALY_API void dinomaly_result_free (dinomaly_result *result);

DINOMALY_END_DECLS

#endif /* DINOMALY_H */
