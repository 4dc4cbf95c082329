/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model file (.dinomaly): one safetensors file (dm-safetensors.h) with
 *
 *   bottleneck.0.*, decoder.N.*   the trained tensors, official Dinomaly names, F32
 *   encoder.*                     the frozen backbone, original DINOv2 names, in
 *                                 the dtype it came in (absent when the file refers
 *                                 to a backbone file by its SHA-256 instead)
 *   __metadata__                  "format": "pt" (what the Python safetensors
 *                                 loaders look for) and one JSON text per section:
 *     dinomaly.format_version   1 (a reader refuses newer versions)
 *     dinomaly.architecture     {"dim", "heads", "depth", "registers", "patch",
 *                                "mlp_hidden", "pos_grid", "ln_eps",
 *                                "decoder_depth"}
 *     dinomaly.input            {"resize", "crop", "mean": [3], "std": [3]}
 *     dinomaly.target_blocks    [2, 3, ..., 9]   (0-based encoder blocks)
 *     dinomaly.groups           [[2, 3, 4, 5], [6, 7, 8, 9]]   (encoder blocks)
 *     dinomaly.dropout          0.2
 *     dinomaly.classes          ["bottle", ...]
 *     dinomaly.thresholds       [{"class", "image", "pixel",
 *                                 "uncertain": [low, high] (optional)}, ...]
 *     dinomaly.rules            [{"class", and the members of a class's
 *                                 inspection rules (dm-rules.h): "reference",
 *                                 "mm_per_pixel", "roi", "regions"}, ...]
 *                                 (optional: files without it load as before,
 *                                 and readers that predate it ignore it)
 *     dinomaly.backbone         {"name", "sha256", "embedded", "scheme"}
 *     dinomaly.training         {"iterations", "seed", "seconds", "started",
 *                                "batch_size", "lr", "final_loss", "loss_every",
 *                                "losses": [...]}   (optional)
 *
 * The same sections, as members of one object, are the JSON form of
 * DmModelInfo (dm_model_info_to_json). So the official PyTorch code loads
 * the tensors of a file with an embedded backbone as a state dict, and a
 * state dict it saved can be imported (dinomaly import). */
#pragma once

#include <glib.h>

#include "dm-dinomaly-weights.h"
#include "dm-rules.h"
#include "dm-safetensors.h"
#include "dm-thresholds.h"
#include "dm-vit-weights.h"

G_BEGIN_DECLS

#define DM_MODEL_FORMAT_VERSION 1
#define DM_MODEL_MAX_TARGETS 32
#define DM_MODEL_MAX_GROUPS 8

typedef struct
{
  char *class_name;
  double image;           /* image-score threshold: score >= image is anomalous */
  double pixel;           /* anomaly-map threshold for defect regions */
  gboolean has_uncertain; /* an optional band of undecided image scores */
  double uncertain_low;
  double uncertain_high;
} DmClassThreshold;

/* A class's inspection rules (ROI, calibration, limits on regions). */
typedef struct
{
  char *class_name;
  DmRules *rules; /* owned, not empty */
} DmClassRules;

typedef struct
{
  gint64 iterations;
  gint64 seed;
  double seconds; /* wall time of the training */
  char *started;  /* ISO 8601 date-time, or NULL */
  int batch_size;
  double lr; /* peak learning rate */
  double final_loss;
  int loss_every; /* iterations between two entries of losses */
  double *losses; /* the loss curve as logged, n_losses entries; may be NULL */
  gsize n_losses;
} DmTrainingRecord;

typedef struct
{
  int format_version; /* DM_MODEL_FORMAT_VERSION when written by us */

  /* Architecture (must match the backbone). */
  DmVitConfig arch;  /* arch.depth: the backbone's full depth */
  int decoder_depth; /* DM_DECODER_DEPTH */

  /* Input. */
  int resize;     /* 448 */
  int crop;       /* 392: a multiple of the patch size */
  double mean[3]; /* ImageNet */
  double std[3];

  /* Fusion and groups. */
  int n_targets;
  int target_blocks[DM_MODEL_MAX_TARGETS]; /* 0-based, increasing */
  int n_groups;
  int group_size[DM_MODEL_MAX_GROUPS];
  int groups[DM_MODEL_MAX_GROUPS][DM_MODEL_MAX_TARGETS]; /* encoder blocks */
  double dropout;

  char **class_names; /* NULL-terminated, may be empty */
  DmClassThreshold *thresholds;
  guint n_thresholds;
  DmClassRules *rules; /* classes with inspection rules (others have none) */
  guint n_rules;

  /* Backbone. */
  char *backbone_name;   /* e.g. "dinov2_vitb14_reg4_pretrain.safetensors" */
  char *backbone_sha256; /* 64 hex digits of the backbone file it came from */
  gboolean backbone_embedded;
  DmVitScheme backbone_scheme; /* the naming scheme of that file */

  gboolean has_training;
  DmTrainingRecord training;
} DmModelInfo;

/* Defaults: format 1, resize 448, crop 392, ImageNet mean/std, dropout 0.2,
 * 8 decoder blocks, embedded backbone; architecture and targets zero. */
DmModelInfo *dm_model_info_new (void);
void dm_model_info_free (DmModelInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmModelInfo, dm_model_info_free)

/* Sets the architecture from a backbone and its default target blocks and
 * groups (depth 12: 2..9, depth 24: 4, 6, ..., 18; other depths >= 10:
 * 2..9; two groups of four). FALSE when no default exists. */
gboolean dm_model_info_set_backbone (DmModelInfo *info, const DmVitConfig *config, GError **error);
/* Checks every field for sense (sizes, blocks inside the depth, groups
 * made of target blocks, thresholds of known classes...). */
gboolean dm_model_info_validate (const DmModelInfo *info, GError **error);
/* The last target block: the encoder needs blocks 0..this only. */
int dm_model_info_last_target (const DmModelInfo *info);

/* The thresholds of class_name as the decision takes them (NAN members
 * where the file has none); FALSE when the file has no thresholds for it. */
gboolean dm_model_info_get_thresholds (const DmModelInfo *info,
                                       const char *class_name,
                                       DmThresholds *thresholds);
/* The class's inspection rules, or NULL. */
const DmRules *dm_model_info_get_rules (const DmModelInfo *info, const char *class_name);
/* Sets (a copy of) the class's rules; NULL or empty rules remove them. */
void dm_model_info_set_rules (DmModelInfo *info, const char *class_name, const DmRules *rules);

/* The whole info as one JSON object (pretty-printed when pretty). */
char *dm_model_info_to_json (const DmModelInfo *info, gboolean pretty);
/* Parses that JSON; refuses a newer format_version (DM_ERROR_UNSUPPORTED). */
DmModelInfo *dm_model_info_from_json (const char *json, GError **error);

/* One section ("classes", "thresholds", "input"...) as the JSON text a
 * model file's metadata holds under "dinomaly.<section>". */
char *dm_model_info_section_to_json (const DmModelInfo *info, const char *section);
/* The sections as metadata entries "dinomaly.<member>" -> JSON text. */
void dm_model_info_to_metadata (const DmModelInfo *info, DmSafetensorsWriter *writer);
/* TRUE when the file's metadata says it is a model file. */
gboolean dm_model_file_is_model (const DmSafetensors *st);
/* Reads the info from a model file's metadata (and checks it). */
DmModelInfo *dm_model_info_from_file (const DmSafetensors *st, GError **error);

/* Writes a model file atomically. backbone: the encoder to embed (all
 * blocks loaded) when info->backbone_embedded, else NULL and
 * info->backbone_sha256 names the backbone file. backbone_dtype: F32, F16
 * or BF16 for the embedded tensors (its source dtype keeps them exact). */
gboolean dm_model_file_write (const char *path,
                              const DmModelInfo *info,
                              const DmDinomalyWeights *weights,
                              const DmVitWeights *backbone,
                              DmDtype backbone_dtype,
                              GError **error);

/* An open model file. */
typedef struct
{
  DmSafetensors *st;
  DmModelInfo *info;
} DmModelFile;

DmModelFile *dm_model_file_open (const char *path, GError **error);
/* The metadata's architecture against the tensors beside it (the decoder's
 * width, an embedded encoder's shape): an error naming what disagrees
 * ("the file is damaged or was edited"). dm_model_file_open checks it. */
gboolean
dm_model_file_check_tensors (const DmSafetensors *st, const DmModelInfo *info, GError **error);
void dm_model_file_free (DmModelFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmModelFile, dm_model_file_free)

DmDinomalyWeights *dm_model_file_load_weights (const DmModelFile *file, GError **error);
/* The backbone: embedded, or from backbone_path whose SHA-256 must be the
 * recorded one (backbone_path is ignored for an embedded one and may be
 * NULL). n_blocks < 0: all blocks; 0: up to the last target block. The
 * architecture must match the metadata. */
DmVitWeights *dm_model_file_load_backbone (const DmModelFile *file,
                                           const char *backbone_path,
                                           int n_blocks,
                                           GError **error);

G_END_DECLS
