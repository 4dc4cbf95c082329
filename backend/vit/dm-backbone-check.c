/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checks a backbone file a user chose. */
#include "dm-backbone-check.h"

#include <glib/gstdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-weight-file.h"

gboolean
dm_backbone_check (const char *path, DmBackboneCheck *check, GError **error)
{
  g_autoptr (DmSafetensors) st = NULL;
  g_autofree char *dir = NULL, *config_json = NULL;
  GStatBuf buf;

  memset (check, 0, sizeof *check);
  if (g_stat (path, &buf) != 0 || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such file", path);
      return FALSE;
    }
  st = dm_weight_file_open (path, NULL, error);
  if (st == NULL)
    return FALSE;
  dir = g_path_get_dirname (path);
  config_json = g_build_filename (dir, "config.json", NULL);
  if (!dm_vit_probe (st, config_json, &check->probe, error))
    return FALSE;
  check->path = g_strdup (path);
  check->file_size = (guint64)buf.st_size;
  check->sha256 = dm_file_sha256 (path, error);
  if (check->sha256 == NULL)
    {
      dm_backbone_check_clear (check);
      return FALSE;
    }
  return TRUE;
}

void
dm_backbone_check_clear (DmBackboneCheck *check)
{
  g_clear_pointer (&check->path, g_free);
  g_clear_pointer (&check->sha256, g_free);
  dm_vit_probe_clear (&check->probe);
}

char *
dm_backbone_arch_name (const DmVitConfig *c)
{
  const char *size = NULL;

  switch (c->dim)
    {
    case 384: size = "S"; break;
    case 768: size = "B"; break;
    case 1024: size = "L"; break;
    case 1536: size = "g"; break;
    default: break;
    }
  if (size != NULL)
    return g_strdup_printf ("ViT-%s/%d", size, c->patch_size);
  return g_strdup_printf ("ViT (D %d)/%d", c->dim, c->patch_size);
}

char *
dm_backbone_family_name (const DmVitConfig *c)
{
  g_autofree char *arch = dm_backbone_arch_name (c);

  if (c->n_registers == 0)
    return g_strdup_printf ("DINOv2 %s without registers", arch);
  return g_strdup_printf ("DINOv2 %s with %d register%s", arch, c->n_registers,
                          c->n_registers == 1 ? "" : "s");
}

gboolean
dm_backbone_official (const DmVitConfig *c, DmBackboneOfficial *o)
{
  static const struct
  {
    int dim, depth;
    DmBackboneOfficial reg, plain;
  } releases[] = {
    { 384,
      12,
      { "dinov2_vits14_reg4_pretrain.pth", "facebook/dinov2-with-registers-small",
        "vit_small_patch14_reg4_dinov2.lvd142m" },
      { "dinov2_vits14_pretrain.pth", "facebook/dinov2-small",
        "vit_small_patch14_dinov2.lvd142m" } },
    { 768,
      12,
      { "dinov2_vitb14_reg4_pretrain.pth", "facebook/dinov2-with-registers-base",
        "vit_base_patch14_reg4_dinov2.lvd142m" },
      { "dinov2_vitb14_pretrain.pth", "facebook/dinov2-base", "vit_base_patch14_dinov2.lvd142m" } },
    { 1024,
      24,
      { "dinov2_vitl14_reg4_pretrain.pth", "facebook/dinov2-with-registers-large",
        "vit_large_patch14_reg4_dinov2.lvd142m" },
      { "dinov2_vitl14_pretrain.pth", "facebook/dinov2-large",
        "vit_large_patch14_dinov2.lvd142m" } },
  };

  memset (o, 0, sizeof *o);
  if (c->patch_size != 14 || (c->n_registers != 0 && c->n_registers != 4))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (releases); i++)
    if (releases[i].dim == c->dim && releases[i].depth == c->depth)
      {
        *o = c->n_registers == 4 ? releases[i].reg : releases[i].plain;
        return TRUE;
      }
  return FALSE;
}
