/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Dinomaly inference graph in ONNX operators (dm-onnx-export.h): the
 * same steps as dm_inference_run, in the same order where the order
 * changes the rounding (sums in target order, then one scale). */
#include "dm-onnx-export.h"

#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"

#define ONE(x) ((gint64[]){ x })
#define TWO(a, b) ((gint64[]){ a, b })
#define NAME_MAX_LEN 96

/* Shapes the graph is built for; the batch stays dynamic. */
typedef struct
{
  DmOnnxBuilder *b;
  int N;    /* tokens: 1 + registers + g * g */
  int D;    /* width */
  int g;    /* patch grid side */
  int crop; /* input side */
} Graph;

/* y = x W^T + bias: Gemm with transB over the weight as the model holds
 * it, [out, in]. x (rows, in) -> (rows, out). */
static const char *
linear (
  Graph *G, const char *x, const char *prefix, const float *w, const float *bias, int in, int out)
{
  char wn[NAME_MAX_LEN], bn[NAME_MAX_LEN];
  const char *y;

  g_snprintf (wn, sizeof wn, "%s.weight", prefix);
  g_snprintf (bn, sizeof bn, "%s.bias", prefix);
  y = dm_onnx_op (G->b, "Gemm", x, dm_onnx_weight (G->b, wn, w, 2, TWO (out, in)),
                  dm_onnx_weight (G->b, bn, bias, 1, ONE (out)), NULL);
  dm_onnx_attr_int (G->b, "transB", 1);
  return y;
}

/* A (D) vector of weights under prefix.suffix. */
static const char *
vector (Graph *G, const char *prefix, const char *suffix, const float *data)
{
  char name[NAME_MAX_LEN];

  g_snprintf (name, sizeof name, "%s.%s", prefix, suffix);
  return dm_onnx_weight (G->b, name, data, 1, ONE (G->D));
}

static const char *
layernorm (
  Graph *G, const char *x, const char *prefix, const float *w, const float *bias, float eps)
{
  const char *y = dm_onnx_op (G->b, "LayerNormalization", x, vector (G, prefix, "weight", w),
                              vector (G, prefix, "bias", bias), NULL);

  dm_onnx_attr_int (G->b, "axis", -1);
  dm_onnx_attr_float (G->b, "epsilon", eps);
  return y;
}

/* Exact (erf) GELU, x * 0.5 * (1 + erf (x / sqrt 2)): opset 17 has no
 * Gelu; ONNX Runtime fuses this pattern (PyTorch's export) into one. */
static const char *
gelu (Graph *G, const char *x)
{
  DmOnnxBuilder *b = G->b;
  const char *t = dm_onnx_op (b, "Div", x, dm_onnx_scalar (b, (float)G_SQRT2), NULL);

  t = dm_onnx_op (b, "Erf", t, NULL);
  t = dm_onnx_op (b, "Add", t, dm_onnx_scalar (b, 1.0f), NULL);
  t = dm_onnx_op (b, "Mul", x, t, NULL);
  return dm_onnx_op (b, "Mul", t, dm_onnx_scalar (b, 0.5f), NULL);
}

/* MLP of a block: fc2 (GELU (fc1 (x))), 4D wide inside. */
static const char *
mlp (Graph *G,
     const char *x,
     const char *prefix,
     const float *fc1_w,
     const float *fc1_b,
     const float *fc2_w,
     const float *fc2_b,
     int hidden)
{
  char name[NAME_MAX_LEN];
  const char *h;

  g_snprintf (name, sizeof name, "%s.fc1", prefix);
  h = gelu (G, linear (G, x, name, fc1_w, fc1_b, G->D, hidden));
  g_snprintf (name, sizeof name, "%s.fc2", prefix);
  return linear (G, h, name, fc2_w, fc2_b, hidden, G->D);
}

static const char *
transpose (Graph *G, const char *x, int rank, const gint64 *perm)
{
  const char *y = dm_onnx_op (G->b, "Transpose", x, NULL);

  dm_onnx_attr_ints (G->b, "perm", rank, perm);
  return y;
}

static const char *
reshape (Graph *G, const char *x, int rank, const gint64 *shape)
{
  return dm_onnx_op (G->b, "Reshape", x, dm_onnx_ints (G->b, rank, shape), NULL);
}

/* qkv (B * N, 3D), per token [q | k | v] of H heads each -> q, k, v as
 * (B, H, N, hd). */
static void
split_heads (Graph *G, const char *qkv, int H, const char *out[3])
{
  DmOnnxBuilder *b = G->b;
  int D = G->D;
  const char *parts[3];

  parts[0] = dm_onnx_op (b, "Split", qkv, dm_onnx_ints (b, 3, (gint64[]){ D, D, D }), NULL);
  dm_onnx_attr_int (b, "axis", 1);
  parts[1] = dm_onnx_extra_output (b);
  parts[2] = dm_onnx_extra_output (b);
  for (int i = 0; i < 3; i++)
    out[i] = transpose (G, reshape (G, parts[i], 4, (gint64[]){ -1, G->N, H, D / H }), 4,
                        (gint64[]){ 0, 2, 1, 3 });
}

/* (B, H, N, hd) -> (B * N, D), heads concatenated in order. */
static const char *
merge_heads (Graph *G, const char *x)
{
  return reshape (G, transpose (G, x, 4, (gint64[]){ 0, 2, 1, 3 }), 2, TWO (-1, G->D));
}

/* Softmax attention of the encoder: softmax (q k^T / sqrt (hd)) v, the
 * scale on the scores as the engine applies it. */
static const char *
attention (Graph *G, const char *qkv, int H)
{
  DmOnnxBuilder *b = G->b;
  int hd = G->D / H;
  const char *h[3], *kt, *s;

  split_heads (G, qkv, H, h);
  kt = transpose (G, h[1], 4, (gint64[]){ 0, 1, 3, 2 });
  s = dm_onnx_op (b, "MatMul", h[0], kt, NULL);
  s = dm_onnx_op (b, "Mul", s, dm_onnx_scalar (b, (float)(1.0 / sqrt ((double)hd))), NULL);
  s = dm_onnx_op (b, "Softmax", s, NULL);
  dm_onnx_attr_int (b, "axis", -1);
  return merge_heads (G, dm_onnx_op (b, "MatMul", s, h[2], NULL));
}

/* The decoder's linear attention (dm-linear-attention.h): q' = elu (q) + 1,
 * k' = elu (k) + 1, KV = k'^T v, z = 1 / (q' . sum_t k'_t), out = z (q' KV). */
static const char *
linear_attention (Graph *G, const char *qkv, int H)
{
  DmOnnxBuilder *b = G->b;
  const char *h[3], *q1, *k1, *kv, *ksum, *den, *num;

  split_heads (G, qkv, H, h);
  q1 = dm_onnx_op (b, "Add", dm_onnx_op (b, "Elu", h[0], NULL), dm_onnx_scalar (b, 1.0f), NULL);
  k1 = dm_onnx_op (b, "Add", dm_onnx_op (b, "Elu", h[1], NULL), dm_onnx_scalar (b, 1.0f), NULL);
  kv = dm_onnx_op (b, "MatMul", transpose (G, k1, 4, (gint64[]){ 0, 1, 3, 2 }), h[2], NULL);
  ksum = dm_onnx_op (b, "ReduceSum", k1, dm_onnx_ints (b, 1, ONE (2)), NULL); /* (B, H, 1, hd) */
  dm_onnx_attr_int (b, "keepdims", 1);
  den = dm_onnx_op (b, "ReduceSum", dm_onnx_op (b, "Mul", q1, ksum, NULL),
                    dm_onnx_ints (b, 1, ONE (3)), NULL); /* (B, H, N, 1) */
  dm_onnx_attr_int (b, "keepdims", 1);
  num = dm_onnx_op (b, "MatMul", q1, kv, NULL);
  return merge_heads (G, dm_onnx_op (b, "Mul", dm_onnx_op (b, "Reciprocal", den, NULL), num, NULL));
}

/* The token sequence (B * N, D): [cls + its position, registers, patch
 * embeddings + the interpolated grid]. */
static const char *
embed (Graph *G, const DmVitWeights *w, const char *image)
{
  DmOnnxBuilder *b = G->b;
  const DmVitConfig *c = &w->config;
  int D = G->D, P = c->patch_size, R = c->n_registers, gg = G->g * G->g;
  g_autofree float *prefix = g_new (float, (gsize)(1 + R) * D);
  g_autofree float *pos = g_new (float, dm_vit_pos_size (c, G->crop));
  const char *x, *batch, *prefix_b;

  dm_onnx_builder_set_scope (b, "encoder.embed");
  x = dm_onnx_op (
    b, "Conv", image,
    dm_onnx_weight (b, "encoder.patch_embed.proj.weight", w->patch_w, 4, (gint64[]){ D, 3, P, P }),
    dm_onnx_weight (b, "encoder.patch_embed.proj.bias", w->patch_b, 1, ONE (D)), NULL);
  dm_onnx_attr_ints (b, "kernel_shape", 2, TWO (P, P));
  dm_onnx_attr_ints (b, "strides", 2, TWO (P, P));
  x = transpose (G, reshape (G, x, 3, (gint64[]){ 0, D, gg }), 3, (gint64[]){ 0, 2, 1 });
  dm_vit_pos_prepare (w, G->crop, pos);
  x = dm_onnx_op (b, "Add", x,
                  dm_onnx_floats (b, "encoder.pos_embed.interpolated", pos, 2, TWO (gg, D)), NULL);

  /* cls + its position and the registers, the same for every image:
   * one (1, 1 + R, D) constant expanded to the batch */
  for (int d = 0; d < D; d++)
    prefix[d] = w->cls_token[d] + (w->cls_pos != NULL ? w->cls_pos[d] : 0.0f);
  if (R > 0)
    memcpy (prefix + D, w->register_tokens, sizeof (float) * R * D);
  batch = dm_onnx_op (b, "Shape", image, NULL);
  dm_onnx_attr_int (b, "start", 0);
  dm_onnx_attr_int (b, "end", 1);
  batch = dm_onnx_op (b, "Concat", batch, dm_onnx_ints (b, 2, TWO (1, 1)), NULL);
  dm_onnx_attr_int (b, "axis", 0);
  prefix_b = dm_onnx_op (
    b, "Expand",
    dm_onnx_floats (b, "encoder.cls_and_registers", prefix, 3, (gint64[]){ 1, 1 + R, D }), batch,
    NULL);
  x = dm_onnx_op (b, "Concat", prefix_b, x, NULL);
  dm_onnx_attr_int (b, "axis", 1);
  return reshape (G, x, 2, TWO (-1, D));
}

/* x + gamma * y: a LayerScale residual. */
static const char *
scaled_residual (Graph *G, const char *x, const char *y, const char *gamma)
{
  return dm_onnx_op (G->b, "Add", x, dm_onnx_op (G->b, "Mul", y, gamma, NULL), NULL);
}

static const char *
encoder_block (Graph *G, const DmVitWeights *w, int i, const char *x)
{
  const DmVitConfig *c = &w->config;
  const DmVitBlockWeights *bw = &w->blocks[i];
  char p[NAME_MAX_LEN], q[NAME_MAX_LEN];
  const char *h;

  g_snprintf (p, sizeof p, "encoder.blocks.%d", i);
  dm_onnx_builder_set_scope (G->b, p);
  g_snprintf (q, sizeof q, "%s.norm1", p);
  h = layernorm (G, x, q, bw->norm1_w, bw->norm1_b, c->ln_eps);
  g_snprintf (q, sizeof q, "%s.attn.qkv", p);
  h = attention (G, linear (G, h, q, bw->qkv_w, bw->qkv_b, G->D, 3 * G->D), c->heads);
  g_snprintf (q, sizeof q, "%s.attn.proj", p);
  h = linear (G, h, q, bw->proj_w, bw->proj_b, G->D, G->D);
  x = scaled_residual (G, x, h, vector (G, p, "ls1.gamma", bw->ls1));

  g_snprintf (q, sizeof q, "%s.norm2", p);
  h = layernorm (G, x, q, bw->norm2_w, bw->norm2_b, c->ln_eps);
  g_snprintf (q, sizeof q, "%s.mlp", p);
  h = mlp (G, h, q, bw->fc1_w, bw->fc1_b, bw->fc2_w, bw->fc2_b, c->mlp_hidden);
  return scaled_residual (G, x, h, vector (G, p, "ls2.gamma", bw->ls2));
}

/* sum * (1 / n), the scale as dm_vit_forward applies it. */
static const char *
scale_mean (Graph *G, const char *sum, int n)
{
  return dm_onnx_op (G->b, "Mul", sum, dm_onnx_scalar (G->b, 1.0f / (float)n), NULL);
}

/* tokens (B * N, D) -> E1, E2, fused (B * N, D): the encoder blocks up to
 * the last target, the target outputs summed in target order. */
static void
encoder (Graph *G,
         const DmVitWeights *w,
         const DmVitTargets *t,
         const char *x,
         const char **E1,
         const char **E2,
         const char **fused)
{
  int last = t->targets[t->n_targets - 1], next = 0;
  const char *groups[2] = { NULL, NULL };

  *fused = NULL;
  for (int i = 0; i <= last; i++)
    {
      int g;

      x = encoder_block (G, w, i, x);
      if (next >= t->n_targets || t->targets[next] != i)
        continue;
      g = next < t->group_split ? 0 : 1;
      groups[g] = groups[g] == NULL ? x : dm_onnx_op (G->b, "Add", groups[g], x, NULL);
      *fused = next == 0 ? x : dm_onnx_op (G->b, "Add", *fused, x, NULL);
      next++;
    }
  dm_onnx_builder_set_scope (G->b, "encoder.groups");
  *E1 = scale_mean (G, groups[0], t->group_split);
  *E2 = scale_mean (G, groups[1], t->n_targets - t->group_split);
  *fused = scale_mean (G, *fused, t->n_targets);
}

static const char *
decoder_block (Graph *G, const DmDecoderBlockViews *w, int i, const char *x)
{
  char p[NAME_MAX_LEN], q[NAME_MAX_LEN];
  const char *h;

  g_snprintf (p, sizeof p, "decoder.%d", i);
  dm_onnx_builder_set_scope (G->b, p);
  g_snprintf (q, sizeof q, "%s.norm1", p);
  h = layernorm (G, x, q, w->norm1_w, w->norm1_b, DM_DECODER_LN_EPS);
  g_snprintf (q, sizeof q, "%s.attn.qkv", p);
  h = linear_attention (G, linear (G, h, q, w->qkv_w, w->qkv_b, G->D, 3 * G->D), G->D / 64);
  g_snprintf (q, sizeof q, "%s.attn.proj", p);
  x = dm_onnx_op (G->b, "Add", x, linear (G, h, q, w->proj_w, w->proj_b, G->D, G->D), NULL);

  g_snprintf (q, sizeof q, "%s.norm2", p);
  h = layernorm (G, x, q, w->norm2_w, w->norm2_b, DM_DECODER_LN_EPS);
  g_snprintf (q, sizeof q, "%s.mlp", p);
  h = mlp (G, h, q, w->fc1_w, w->fc1_b, w->fc2_w, w->fc2_b, 4 * G->D);
  return dm_onnx_op (G->b, "Add", x, h, NULL);
}

/* The mean of four block outputs, summed in the order given, as
 * dm_mean_forward does (a division, not a multiplication). */
static const char *
mean4 (Graph *G, const char *d0, const char *d1, const char *d2, const char *d3)
{
  DmOnnxBuilder *b = G->b;
  const char *s = dm_onnx_op (b, "Add", dm_onnx_op (b, "Add", d0, d1, NULL), d2, NULL);

  s = dm_onnx_op (b, "Add", s, d3, NULL);
  return dm_onnx_op (b, "Div", s, dm_onnx_scalar (b, 4.0f), NULL);
}

/* fused (B * N, D) -> R1, R2: bottleneck (inference: no dropout), the 8
 * blocks, and the groups of the reversed block list. */
static void
decoder (Graph *G, const DmDinomalyViews *w, const char *fused, const char **R1, const char **R2)
{
  const char *d[DM_DECODER_DEPTH];
  const char *x;

  G_STATIC_ASSERT (DM_DECODER_DEPTH == 8);
  dm_onnx_builder_set_scope (G->b, "bottleneck.0");
  x = mlp (G, fused, "bottleneck.0", w->bottleneck.fc1_w, w->bottleneck.fc1_b, w->bottleneck.fc2_w,
           w->bottleneck.fc2_b, 4 * G->D);
  for (int i = 0; i < DM_DECODER_DEPTH; i++)
    x = d[i] = decoder_block (G, &w->blocks[i], i, x);
  dm_onnx_builder_set_scope (G->b, "decoder.groups");
  *R1 = mean4 (G, d[7], d[6], d[5], d[4]);
  *R2 = mean4 (G, d[3], d[2], d[1], d[0]);
}

static const char *
reduce_sum_last (Graph *G, const char *x)
{
  const char *y = dm_onnx_op (G->b, "ReduceSum", x, dm_onnx_ints (G->b, 1, ONE (2)), NULL);

  dm_onnx_attr_int (G->b, "keepdims", 0);
  return y;
}

/* Norms clamped at 1e-8 as dm_cosine_distance_forward clamps them. */
static const char *
norm (Graph *G, const char *x)
{
  const char *n
    = dm_onnx_op (G->b, "Sqrt", reduce_sum_last (G, dm_onnx_op (G->b, "Mul", x, x, NULL)), NULL);

  return dm_onnx_op (G->b, "Max", n, dm_onnx_scalar (G->b, 1e-8f), NULL);
}

/* 1 - cos (E, R) per patch token: (B, 1, g, g). */
static const char *
cosine_map (Graph *G, const char *E, const char *R, int first_patch)
{
  DmOnnxBuilder *b = G->b;
  const char *e, *r, *dot, *cos;
  const char *starts = dm_onnx_ints (b, 1, ONE (first_patch));
  const char *ends = dm_onnx_ints (b, 1, ONE (G->N));
  const char *axes = dm_onnx_ints (b, 1, ONE (1));

  e = dm_onnx_op (b, "Slice", reshape (G, E, 3, (gint64[]){ -1, G->N, G->D }), starts, ends, axes,
                  NULL);
  r = dm_onnx_op (b, "Slice", reshape (G, R, 3, (gint64[]){ -1, G->N, G->D }), starts, ends, axes,
                  NULL);
  dot = reduce_sum_last (G, dm_onnx_op (b, "Mul", e, r, NULL));
  cos = dm_onnx_op (b, "Div", dot, dm_onnx_op (b, "Mul", norm (G, e), norm (G, r), NULL), NULL);
  return reshape (G, dm_onnx_op (b, "Sub", dm_onnx_scalar (b, 1.0f), cos, NULL), 4,
                  (gint64[]){ -1, 1, G->g, G->g });
}

/* Bilinear Resize of (B, 1, h, w) to (B, 1, side, side), not
 * anti-aliased (opset 17 has no antialias); sizes from the input's batch. */
static const char *
resize (Graph *G, const char *x, int side, const char *coordinates)
{
  DmOnnxBuilder *b = G->b;
  const char *sizes = dm_onnx_op (b, "Shape", x, NULL);
  const char *y;

  dm_onnx_attr_int (b, "start", 0);
  dm_onnx_attr_int (b, "end", 2);
  sizes = dm_onnx_op (b, "Concat", sizes, dm_onnx_ints (b, 2, TWO (side, side)), NULL);
  dm_onnx_attr_int (b, "axis", 0);
  y = dm_onnx_op (b, "Resize", x, "", "", sizes, NULL);
  dm_onnx_attr_string (b, "mode", "linear");
  dm_onnx_attr_string (b, "coordinate_transformation_mode", coordinates);
  return y;
}

/* §6: the group maps -> the 256 x 256 blurred map (B, 1, 256, 256). */
static const char *
anomaly_map (Graph *G, const char *a1, const char *a2)
{
  DmOnnxBuilder *b = G->b;
  float kernel[DM_ANOMALY_BLUR_SIZE * DM_ANOMALY_BLUR_SIZE];
  const char *map;
  int k = DM_ANOMALY_BLUR_SIZE, pad = DM_ANOMALY_BLUR_SIZE / 2;

  map = dm_onnx_op (b, "Add", resize (G, a1, G->crop, "align_corners"),
                    resize (G, a2, G->crop, "align_corners"), NULL);
  map = dm_onnx_op (b, "Div", map, dm_onnx_scalar (b, 2.0f), NULL);
  map = resize (G, map, DM_ANOMALY_MAP_SIZE, "half_pixel");

  dm_gaussian_kernel (kernel, k, DM_ANOMALY_BLUR_SIGMA);
  map = dm_onnx_op (
    b, "Conv", map,
    dm_onnx_floats (b, "anomaly.gaussian_kernel", kernel, 4, (gint64[]){ 1, 1, k, k }), NULL);
  dm_onnx_attr_ints (b, "kernel_shape", 2, TWO (k, k));
  dm_onnx_attr_ints (b, "pads", 4, (gint64[]){ pad, pad, pad, pad });
  return map;
}

void
dm_onnx_add_dinomaly (DmOnnxBuilder *b, const DmDinomalyModel *model)
{
  const DmVitConfig *c = &model->encoder->config;
  int side = DM_ANOMALY_MAP_SIZE, pixels = DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE;
  Graph G
    = { b, dm_vit_n_tokens (c, model->crop), c->dim, dm_dinomaly_model_grid (model), model->crop };
  const char *x, *E1, *E2, *fused, *R1, *R2, *a1, *a2, *map, *top, *score;

  dm_onnx_input (b, DM_ONNX_INPUT, 4, (gint64[]){ -1, 3, model->crop, model->crop },
                 DM_ONNX_BATCH_PARAM);
  x = embed (&G, model->encoder, DM_ONNX_INPUT);
  encoder (&G, model->encoder, &model->targets, x, &E1, &E2, &fused);
  decoder (&G, &model->decoder->v, fused, &R1, &R2);

  dm_onnx_builder_set_scope (b, "anomaly");
  a1 = cosine_map (&G, E1, R1, 1 + c->n_registers);
  a2 = cosine_map (&G, E2, R2, 1 + c->n_registers);
  map = anomaly_map (&G, a1, a2);

  top = dm_onnx_op (b, "TopK", reshape (&G, map, 2, TWO (-1, pixels)),
                    dm_onnx_ints (b, 1, ONE (DM_ANOMALY_TOP_K)), NULL);
  dm_onnx_attr_int (b, "axis", -1);
  dm_onnx_extra_output (b); /* the indices, unused */
  score = dm_onnx_op (b, "ReduceMean", top, NULL);
  dm_onnx_attr_ints (b, "axes", 1, ONE (1));
  dm_onnx_attr_int (b, "keepdims", 0);

  dm_onnx_output (b, DM_ONNX_OUTPUT_MAP, reshape (&G, map, 3, (gint64[]){ -1, side, side }), 3,
                  (gint64[]){ -1, side, side }, DM_ONNX_BATCH_PARAM);
  dm_onnx_output (b, DM_ONNX_OUTPUT_SCORE, score, 1, ONE (-1), DM_ONNX_BATCH_PARAM);
}
