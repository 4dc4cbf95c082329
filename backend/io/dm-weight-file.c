/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opens weight files of any supported format (dm-weight-file.h). */
#include "dm-weight-file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"

#define HEAD_SIZE 512

DmWeightFormat
dm_weight_file_sniff (const guint8 *head, gsize n)
{
  if (n >= 4 && head[0] == 'P' && head[1] == 'K'
      && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
    return DM_WEIGHT_FORMAT_PTH;
  /* A legacy file starts with a pickle (PROTO 2..5). The first 8 bytes of
   * a safetensors file are its header length, which can start the same way
   * (0x0280 = 640 bytes): its upper bytes are zero and "{" follows. */
  if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
    {
      gboolean safetensors
        = n >= 9 && head[4] == 0 && head[5] == 0 && head[6] == 0 && head[7] == 0 && head[8] == '{';
      if (!safetensors)
        return DM_WEIGHT_FORMAT_PTH_LEGACY;
    }
  /* PyTorch before 0.4 wrote a tar file: its reader refuses it by name. */
  if (n >= 262 && memcmp (head + 257, "ustar", 5) == 0)
    return DM_WEIGHT_FORMAT_PTH_LEGACY;
  return DM_WEIGHT_FORMAT_SAFETENSORS;
}

const char *
dm_weight_format_description (DmWeightFormat format)
{
  switch (format)
    {
    case DM_WEIGHT_FORMAT_PTH: return "PyTorch zip archive (torch.save)";
    case DM_WEIGHT_FORMAT_PTH_LEGACY: return "PyTorch legacy format (torch.save before 1.6)";
    case DM_WEIGHT_FORMAT_SAFETENSORS:
    default: return "safetensors";
    }
}

DmSafetensors *
dm_weight_file_new_from_bytes (GBytes *bytes,
                               const char *name,
                               DmWeightFileInfo *info,
                               GError **error)
{
  DmWeightFileInfo local = { 0 };
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  DmSafetensors *st;

  if (info == NULL)
    info = &local;
  memset (info, 0, sizeof *info);
  info->format = dm_weight_file_sniff (data, MIN (size, (gsize)HEAD_SIZE));
  info->file_size = size;
  if (info->format == DM_WEIGHT_FORMAT_SAFETENSORS)
    st = dm_safetensors_new_from_bytes (bytes, name, error);
  else
    st = dm_pth_read (bytes, name, &info->pth, error);
  dm_weight_file_info_clear (&local);
  return st;
}

DmSafetensors *
dm_weight_file_open (const char *path, DmWeightFileInfo *info, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  guint8 head[HEAD_SIZE];
  gssize n = 0;
  int fd;

  /* a file that is no regular file (a named pipe) is refused before any
   * read can wait on it */
  fd = dm_open_regular (path, NULL, error);
  if (fd < 0)
    return NULL;
  do
    n = read (fd, head, sizeof head);
  while (n < 0 && errno == EINTR);
  n = MAX (n, 0);
  /* safetensors, and every file that cannot be read: its reader says why */
  if (dm_weight_file_sniff (head, (gsize)n) == DM_WEIGHT_FORMAT_SAFETENSORS)
    {
      DmSafetensors *st;

      close (fd);
      st = dm_safetensors_open (path, error);

      if (info != NULL)
        {
          memset (info, 0, sizeof *info);
          info->file_size = st != NULL ? dm_safetensors_file_size (st) : 0;
        }
      return st;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", path, local_error->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  return dm_weight_file_new_from_bytes (bytes, path, info, error);
}

void
dm_weight_file_info_clear (DmWeightFileInfo *info)
{
  dm_pth_info_clear (&info->pth);
}
