/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libdinomaly's API against hostile callers: NULL pointers, zero and
 * absurd sizes and strides, buffers too small, misaligned 16-bit pixels,
 * unknown formats, files that are not models; each an error code with a
 * message, an output set to NULL, never a crash (this suite also runs
 * under ASan + UBSan). And the rest of the contract: version, status
 * names, tiny and odd pictures, one model used from several threads at
 * once giving what one thread gives. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dm-test-lib.h"
#include "dm-test-util.h"

static char *model_path;

static void
assert_error (dinomaly_status status, dinomaly_status want, const char *part)
{
  g_assert_cmpint (status, ==, want);
  g_assert_nonnull (dinomaly_last_error ());
  if (strstr (dinomaly_last_error (), part) == NULL)
    g_error ("'%s' does not say '%s'", dinomaly_last_error (), part);
}

static void
test_version (void)
{
  g_autofree char *want = g_strdup_printf ("%d.%d.%d", DINOMALY_VERSION_MAJOR,
                                           DINOMALY_VERSION_MINOR, DINOMALY_VERSION_MICRO);

  g_assert_cmpstr (dinomaly_version (), ==, want);
  g_assert_cmpstr (dinomaly_status_name (DINOMALY_OK), ==, "ok");
  g_assert_cmpstr (dinomaly_status_name (DINOMALY_ERROR_ARGUMENT), ==, "invalid argument");
  g_assert_cmpstr (dinomaly_status_name ((dinomaly_status)99), ==, "unknown");
  g_assert_cmpstr (dinomaly_decision_name (DINOMALY_DECISION_REJECT), ==, "fail");
  g_assert_cmpstr (dinomaly_decision_name ((dinomaly_decision)-1), ==, "");
  g_assert_cmpstr (dinomaly_rule_name (DINOMALY_RULE_REGION_COUNT), ==, "region_count");
  g_assert_cmpstr (dinomaly_rule_name ((dinomaly_rule)77), ==, "");
}

static void
test_open_hostile (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *text = g_build_filename (dir, "notes.dinomaly", NULL);
  g_autofree char *truncated = g_build_filename (dir, "truncated.dinomaly", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.dinomaly", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  dinomaly_model *model = (dinomaly_model *)&length; /* must come back NULL */

  g_assert_true (g_file_set_contents (text, "not a model\n", -1, NULL));
  g_assert_true (g_file_get_contents (model_path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, (gssize)length / 2, NULL));

  assert_error (dinomaly_model_open (NULL, NULL, NULL, NULL, 0, &model), DINOMALY_ERROR_ARGUMENT,
                "model_path is NULL");
  g_assert_null (model);
  assert_error (dinomaly_model_open (model_path, NULL, NULL, NULL, 0, NULL),
                DINOMALY_ERROR_ARGUMENT, "model is NULL");
  assert_error (dinomaly_model_open (model_path, NULL, NULL, NULL, -1, &model),
                DINOMALY_ERROR_ARGUMENT, "n_threads -1");
  assert_error (dinomaly_model_open (model_path, NULL, NULL, NULL, 1 << 30, &model),
                DINOMALY_ERROR_ARGUMENT, "n_threads");
  assert_error (dinomaly_model_open (missing, NULL, NULL, NULL, 0, &model), DINOMALY_ERROR_IO,
                "missing.dinomaly");
  g_assert_null (model);
  assert_error (dinomaly_model_open (dir, NULL, NULL, NULL, 0, &model), DINOMALY_ERROR_MODEL,
                "notes.dinomaly");
  assert_error (dinomaly_model_open (text, NULL, NULL, NULL, 0, &model), DINOMALY_ERROR_MODEL,
                "notes.dinomaly");
  assert_error (dinomaly_model_open (truncated, NULL, NULL, NULL, 0, &model), DINOMALY_ERROR_MODEL,
                "truncated.dinomaly");
  assert_error (dinomaly_model_open (model_path, NULL, "bottle", NULL, 0, &model),
                DINOMALY_ERROR_ARGUMENT, "no class 'bottle'");
  g_assert_null (model);
  dinomaly_model_close (NULL);
}

static void
test_inspect_hostile (void)
{
  static guint8 pixels[4096 + 2];
  dinomaly_model *model = NULL;
  dinomaly_result *result = (dinomaly_result *)pixels; /* must come back NULL */
  const struct
  {
    const char *what;
    const void *pixels;
    size_t size;
    uint32_t width, height;
    size_t stride;
    int format;
    dinomaly_status want;
    const char *part;
  } cases[] = {
    { "NULL pixels", NULL, 64, 8, 8, 8, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT, "pixels is NULL" },
    { "zero width", pixels, 64, 0, 8, 8, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT, "no pixel" },
    { "zero height", pixels, 64, 8, 0, 8, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT, "no pixel" },
    { "zero size", pixels, 0, 8, 8, 8, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT, "do not fit" },
    { "size one short", pixels, 63, 8, 8, 8, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT,
      "do not fit" },
    { "short stride", pixels, 4096, 8, 8, 7, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT, "shorter" },
    { "RGB stride of gray", pixels, 4096, 8, 8, 8, DINOMALY_RGB8, DINOMALY_ERROR_ARGUMENT,
      "shorter" },
    { "absurd stride", pixels, 4096, 8, 8, SIZE_MAX, DINOMALY_GRAY8, DINOMALY_ERROR_ARGUMENT,
      "do not fit" },
    { "stride times height wraps", pixels, 4096, 1, 3, SIZE_MAX / 2 + 1, DINOMALY_GRAY8,
      DINOMALY_ERROR_ARGUMENT, "do not fit" },
    { "absurd width", pixels, 4096, UINT32_MAX, 1, SIZE_MAX, DINOMALY_RGB16,
      DINOMALY_ERROR_TOO_LARGE, "larger than" },
    { "absurd height", pixels, SIZE_MAX, 1, UINT32_MAX, 1, DINOMALY_GRAY8, DINOMALY_ERROR_TOO_LARGE,
      "larger than" },
    { "absurd both", pixels, SIZE_MAX, UINT32_MAX, UINT32_MAX, SIZE_MAX, DINOMALY_RGB8,
      DINOMALY_ERROR_TOO_LARGE, "larger than" },
    { "one pixel over the limit", pixels, SIZE_MAX, 10001, 10000, 10001, DINOMALY_GRAY8,
      DINOMALY_ERROR_TOO_LARGE, "larger than" },
    { "size larger than the buffer says", pixels, 4096, 64, 65, 64, DINOMALY_GRAY8,
      DINOMALY_ERROR_ARGUMENT, "do not fit" },
    { "unknown format 0", pixels, 4096, 8, 8, 8, 0, DINOMALY_ERROR_ARGUMENT, "format 0" },
    { "unknown format 99", pixels, 4096, 8, 8, 64, 99, DINOMALY_ERROR_ARGUMENT, "format 99" },
    { "negative format", pixels, 4096, 8, 8, 64, -1, DINOMALY_ERROR_ARGUMENT, "format -1" },
    { "odd address, 16-bit", pixels + 1, 4096, 8, 8, 16, DINOMALY_GRAY16, DINOMALY_ERROR_ARGUMENT,
      "even address" },
    { "odd stride, 16-bit", pixels, 4096, 8, 8, 17, DINOMALY_GRAY16, DINOMALY_ERROR_ARGUMENT,
      "even stride" },
  };

  g_assert_cmpint (dinomaly_model_open (model_path, NULL, NULL, NULL, 1, &model), ==, DINOMALY_OK);
  g_assert_nonnull (model);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].what);
      result = (dinomaly_result *)pixels;
      assert_error (dinomaly_inspect (model, cases[i].pixels, cases[i].size, cases[i].width,
                                      cases[i].height, cases[i].stride,
                                      (dinomaly_pixel_format)cases[i].format, &result),
                    cases[i].want, cases[i].part);
      g_assert_null (result);
    }
  assert_error (dinomaly_inspect (NULL, pixels, 64, 8, 8, 8, DINOMALY_GRAY8, &result),
                DINOMALY_ERROR_ARGUMENT, "model is NULL");
  assert_error (dinomaly_inspect (model, pixels, 64, 8, 8, 8, DINOMALY_GRAY8, NULL),
                DINOMALY_ERROR_ARGUMENT, "result is NULL");

  /* tiny and odd pictures are fine: 1 x 1, one long row, one tall column,
   * a padded 16-bit one exactly filling its buffer */
  {
    const struct
    {
      uint32_t width, height;
      size_t stride, size;
      dinomaly_pixel_format format;
    } ok[] = {
      { 1, 1, 1, 1, DINOMALY_GRAY8 },         { 4096, 1, 4096, 4096, DINOMALY_GRAY8 },
      { 1, 1365, 3, 4095, DINOMALY_RGB8 },    { 2, 2, 1000, 1004, DINOMALY_GRAY16 },
      { 680, 1, 4080, 4080, DINOMALY_RGB16 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
      {
        g_assert_cmpint (dinomaly_inspect (model, pixels, ok[i].size, ok[i].width, ok[i].height,
                                           ok[i].stride, ok[i].format, &result),
                         ==, DINOMALY_OK);
        g_assert_true (isfinite (dinomaly_result_score (result)));
        g_assert_cmpint (dinomaly_result_decision (result), ==, DINOMALY_DECISION_PASS);
        dinomaly_result_free (result);
      }
  }
  dinomaly_model_close (model);
}

static void
test_result_hostile (void)
{
  dinomaly_region region;
  uint32_t w = 7, h = 7;

  g_assert_true (isnan (dinomaly_result_score (NULL)));
  g_assert_cmpint (dinomaly_result_decision (NULL), ==, DINOMALY_DECISION_NONE);
  g_assert_cmpint (dinomaly_result_rule (NULL), ==, DINOMALY_RULE_NONE);
  g_assert_null (dinomaly_result_map (NULL, &w, &h));
  g_assert_cmpuint (w, ==, 0);
  g_assert_cmpuint (h, ==, 0);
  g_assert_null (dinomaly_result_map (NULL, NULL, NULL));
  g_assert_cmpuint (dinomaly_result_region_count (NULL), ==, 0);
  w = h = 7;
  dinomaly_result_picture_size (NULL, &w, &h);
  g_assert_cmpuint (w, ==, 0);
  g_assert_cmpuint (h, ==, 0);
  dinomaly_result_picture_size (NULL, NULL, NULL);
  assert_error (dinomaly_result_picture_map (NULL, &region.max_value, 1), DINOMALY_ERROR_ARGUMENT,
                "result is NULL");
  assert_error (dinomaly_result_region (NULL, 0, &region), DINOMALY_ERROR_ARGUMENT,
                "result is NULL");
  dinomaly_result_free (NULL);
}

static void
test_region_index (void)
{
  static guint8 pixels[64];
  dinomaly_model *model = NULL;
  dinomaly_result *result = NULL;
  dinomaly_region region;

  g_assert_cmpint (dinomaly_model_open (model_path, NULL, NULL, NULL, 1, &model), ==, DINOMALY_OK);
  g_assert_cmpint (dinomaly_inspect (model, pixels, 64, 8, 8, 8, DINOMALY_GRAY8, &result), ==,
                   DINOMALY_OK);
  assert_error (dinomaly_result_region (result, 0, NULL), DINOMALY_ERROR_ARGUMENT,
                "region is NULL");
  assert_error (dinomaly_result_region (result, dinomaly_result_region_count (result), &region),
                DINOMALY_ERROR_ARGUMENT, "region");
  assert_error (dinomaly_result_region (result, SIZE_MAX, &region), DINOMALY_ERROR_ARGUMENT,
                "region");
  assert_error (dinomaly_result_picture_map (result, NULL, 64), DINOMALY_ERROR_ARGUMENT,
                "map is NULL");
  assert_error (dinomaly_result_picture_map (result, &region.max_value, 1), DINOMALY_ERROR_ARGUMENT,
                "room for 1 values, the picture has 64");
  assert_error (dinomaly_result_picture_map (result, &region.max_value, 0), DINOMALY_ERROR_ARGUMENT,
                "room for 0");
  dinomaly_result_free (result);
  dinomaly_model_close (model);
}

/* ---- threads ---- */

#define N_THREADS 3

typedef struct
{
  dinomaly_model *model;
  const DmTestFrame *frame;
  float score;
  float *map;
  char *error; /* NULL when it worked */
} Job;

static gpointer
inspect_thread (gpointer data)
{
  Job *job = data;
  dinomaly_result *result = NULL;

  if (dinomaly_inspect (job->model, job->frame->pixels, job->frame->size, job->frame->width,
                        job->frame->height, job->frame->stride, job->frame->format, &result)
      != DINOMALY_OK)
    {
      job->error = g_strdup (dinomaly_last_error ());
      return NULL;
    }
  job->score = dinomaly_result_score (result);
  job->map = g_memdup2 (dinomaly_result_map (result, NULL, NULL), 256 * 256 * sizeof (float));
  dinomaly_result_free (result);
  return NULL;
}

static void
test_threads (void)
{
  DmTestFrame frames[DM_TEST_LIB_N_FORMATS];
  dinomaly_model *model = NULL;
  Job jobs[N_THREADS] = { 0 }, alone = { 0 };
  GThread *threads[N_THREADS];
  guint8 *bad = g_malloc (1);

  dm_test_lib_make_frames (40, 30, 5, TRUE, frames);
  g_assert_cmpint (dinomaly_model_open (model_path, NULL, NULL, NULL, 1, &model), ==, DINOMALY_OK);
  alone.model = model;
  alone.frame = &frames[1];
  inspect_thread (&alone);
  g_assert_null (alone.error);
  for (int i = 0; i < N_THREADS; i++)
    {
      jobs[i].model = model;
      jobs[i].frame = &frames[1];
      threads[i] = g_thread_new ("inspect", inspect_thread, &jobs[i]);
    }
  /* a failure in this thread meanwhile: its message is its own */
  g_assert_cmpint (dinomaly_inspect (model, bad, 1, 2, 1, 2, DINOMALY_GRAY8, NULL), ==,
                   DINOMALY_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (dinomaly_last_error (), "result is NULL"));
  for (int i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_null (jobs[i].error);
      g_assert_cmpfloat (jobs[i].score, ==, alone.score);
      g_assert_true (memcmp (jobs[i].map, alone.map, 256 * 256 * sizeof (float)) == 0);
      g_free (jobs[i].map);
    }
  g_assert_nonnull (strstr (dinomaly_last_error (), "result is NULL"));
  g_free (alone.map);
  g_free (bad);
  dinomaly_model_close (model);
  for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
    dm_test_lib_frame_clear (&frames[f]);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  dir = dm_test_make_tmpdir ();
  model_path = g_build_filename (dir, "part.dinomaly", NULL);
  dm_test_lib_write_model (model_path, TRUE, 100.0, 200.0, 10.0);
  g_test_add_func ("/lib/api/version", test_version);
  g_test_add_func ("/lib/api/open-hostile", test_open_hostile);
  g_test_add_func ("/lib/api/inspect-hostile", test_inspect_hostile);
  g_test_add_func ("/lib/api/result-hostile", test_result_hostile);
  g_test_add_func ("/lib/api/region-index", test_region_index);
  g_test_add_func ("/lib/api/threads", test_threads);
  rc = g_test_run ();
  g_free (model_path);
  return rc;
}
