/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes Protocol Buffers messages (the binary wire format) without
 * generated code: a message is built field by field as a tree, then its
 * bytes are streamed to a DmByteSink. Large byte fields may be borrowed
 * (not copied), so a message that carries hundreds of megabytes of tensor
 * data costs only its small fields in memory.
 *
 * The wire format (https://protobuf.dev/programming-guides/encoding/):
 * a message is a sequence of fields, each a key then a value;
 *
 *   key       varint (field_number << 3 | wire_type)
 *   varint    7 bits per byte, least significant group first, the high
 *             bit set on every byte but the last; int32/int64/enum values
 *             are their 64-bit two's complement (a negative number takes
 *             10 bytes); uint64 and bool likewise
 *   wire types 0 varint, 1 fixed 64-bit, 2 length-delimited (a varint
 *             byte count then the bytes: strings, bytes, nested messages,
 *             packed repeated scalars), 5 fixed 32-bit (float, fixed32),
 *             little-endian
 *
 * Repeated fields are the same key written once per element, in order
 * (proto2's unpacked form, which every parser reads). Fields may appear in
 * any order; this writer keeps the order of the calls. */
#pragma once

#include <glib.h>

#include "dm-file-util.h"

G_BEGIN_DECLS

/* A message larger than this cannot be read back by the protobuf
 * libraries (their lengths are signed 32-bit). */
#define DM_PROTOBUF_MAX_SIZE G_GUINT64_CONSTANT (0x7fffffff)

typedef struct _DmProtoMessage DmProtoMessage;

DmProtoMessage *dm_proto_message_new (void);
/* Frees the message and every nested message added to it. */
void dm_proto_message_free (DmProtoMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProtoMessage, dm_proto_message_free)

/* Scalar fields. int32, int64 and enum fields take dm_proto_add_int (a
 * negative value as its 64-bit two's complement), uint32, uint64 and bool
 * dm_proto_add_uint, float dm_proto_add_float (wire type 5). */
void dm_proto_add_int (DmProtoMessage *message, guint field, gint64 value);
void dm_proto_add_uint (DmProtoMessage *message, guint field, guint64 value);
void dm_proto_add_float (DmProtoMessage *message, guint field, float value);

/* Length-delimited fields. A string is written without its NUL. Bytes are
 * copied, except by dm_proto_add_bytes_borrowed: data must then stay
 * valid and unchanged until the message is written. */
void dm_proto_add_string (DmProtoMessage *message, guint field, const char *value);
void dm_proto_add_bytes (DmProtoMessage *message, guint field, const void *data, gsize n);
void dm_proto_add_bytes_borrowed (DmProtoMessage *message, guint field, const void *data, gsize n);

/* A nested message in field `field`, owned by message: fill it before
 * the outer message is sized or written. */
DmProtoMessage *dm_proto_add_message (DmProtoMessage *message, guint field);

/* The encoded size in bytes (nested messages and borrowed bytes
 * included). Sizing caches each nested message's size in it, hence not
 * const. */
guint64 dm_proto_message_size (DmProtoMessage *message);

/* Streams the encoded message to sink: small fields through a buffer,
 * borrowed bytes straight from where they are. Fails (DM_ERROR_TOO_LARGE)
 * when the message is larger than DM_PROTOBUF_MAX_SIZE, or with the
 * sink's error. */
gboolean dm_proto_message_write (DmProtoMessage *message,
                                 DmByteSink sink,
                                 gpointer user_data,
                                 GError **error);

G_END_DECLS
