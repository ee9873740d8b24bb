/* GStreamer fd passing library
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

/**
 * SECTION:gstfdpassprotocol
 * @title: fdpass wire protocol
 * @short_description: Encoding and decoding of the messages exchanged by
 *     fdpay, fddepay and the fdpass socket elements
 *
 * Every message is a 16 byte header followed by a payload. All fields are
 * little-endian and of fixed width; `docs/wire-protocol.md` describes every
 * byte. File descriptors travel next to the message bytes as SCM_RIGHTS
 * ancillary data; this module only deals with bytes and checks them: every
 * length, count and offset is bounds-checked, and malformed input is
 * rejected with a #GError in the %GST_FDPASS_ERROR domain.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpassprotocol.h"
#include "gstfdpassprotocol-private.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#define BUFFER_FIXED_SIZE 56
/* where the fd count is in the payload of a buffer message: after the id,
 * the three times, the two offsets and the flags */
#define BUFFER_N_FDS_OFFSET (6 * 8 + 4)
#define FD_ENTRY_SIZE 32
#define MEM_ENTRY_SIZE 24
#define EXT_HEADER_SIZE 8
#define VIDEO_META_EXT_SIZE 72
#define HELLO_SIZE 12
/* a 1.0 hello: without max_files */
#define HELLO_1_0_SIZE 8
#define RELEASE_FIXED_SIZE 8
#define FORGET_FIXED_SIZE 8
#define FORGET_ENTRY_SIZE 16
#define SEGMENT_SIZE 80

#define KNOWN_FD_FLAGS (GST_FDPASS_FD_FLAG_KEEP | GST_FDPASS_FD_FLAG_KEPT)

/* extension blocks at the end of a buffer message */
#define EXT_VIDEO_META 1
#define EXT_STREAM_TIME 2
#define STREAM_TIME_EXT_SIZE 8

G_STATIC_ASSERT (BUFFER_FIXED_SIZE == 6 * 8 + 4 + 2 + 2);
G_STATIC_ASSERT (GST_FDPASS_RELEASE_MESSAGE_SIZE (1) ==
    GST_FDPASS_HEADER_SIZE + RELEASE_FIXED_SIZE + 8);
G_STATIC_ASSERT (VIDEO_META_EXT_SIZE == 6 * 4 + 4 * 8 + 4 * 4);
G_STATIC_ASSERT (GST_VIDEO_MAX_PLANES == 4);
G_STATIC_ASSERT (FORGET_FIXED_SIZE +
    GST_FDPASS_MAX_FORGET_FILES * FORGET_ENTRY_SIZE <= GST_FDPASS_MAX_PAYLOAD);
G_STATIC_ASSERT (GST_FDPASS_HEADER_SIZE + BUFFER_FIXED_SIZE +
    GST_FDPASS_MAX_FDS * FD_ENTRY_SIZE +
    GST_FDPASS_MAX_MEMORIES * MEM_ENTRY_SIZE +
    EXT_HEADER_SIZE + VIDEO_META_EXT_SIZE <= GST_FDPASS_MAX_PAYLOAD);
G_STATIC_ASSERT (GST_FDPASS_HEADER_SIZE + BUFFER_FIXED_SIZE +
    GST_FDPASS_MAX_FDS * FD_ENTRY_SIZE +
    GST_FDPASS_MAX_MEMORIES * MEM_ENTRY_SIZE +
    EXT_HEADER_SIZE + VIDEO_META_EXT_SIZE + EXT_HEADER_SIZE +
    STREAM_TIME_EXT_SIZE == GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE);

/**
 * gst_fdpass_error_quark:
 *
 * The error domain of the message parsers, %GST_FDPASS_ERROR. Its codes
 * are #GstFdPassError values.
 *
 * Returns: the quark of the domain
 *
 * Since: 0.1
 */
GQuark
gst_fdpass_error_quark (void)
{
  return g_quark_from_static_string ("gst-fdpass-error-quark");
}

/* Writes a message whose size is known before it starts, into memory of
 * exactly that size, with plain stores. GstByteWriter checks for room, and
 * can grow its memory, on every value it writes: code many times the size
 * of the store, and messages go out for every frame. finish_message()
 * checks that a message filled its memory. */
typedef struct
{
  guint8 *data;
  guint8 *pos;
  gsize size;
} MessageWriter;

static inline void
put_u16 (MessageWriter * w, guint16 value)
{
  GST_WRITE_UINT16_LE (w->pos, value);
  w->pos += 2;
}

static inline void
put_u32 (MessageWriter * w, guint32 value)
{
  GST_WRITE_UINT32_LE (w->pos, value);
  w->pos += 4;
}

static inline void
put_i32 (MessageWriter * w, gint32 value)
{
  put_u32 (w, (guint32) value);
}

static inline void
put_u64 (MessageWriter * w, guint64 value)
{
  GST_WRITE_UINT64_LE (w->pos, value);
  w->pos += 8;
}

static inline void
put_f64 (MessageWriter * w, gdouble value)
{
  GST_WRITE_DOUBLE_LE (w->pos, value);
  w->pos += 8;
}

static void
writer_init (MessageWriter * w, guint8 * data, gsize size)
{
  w->data = w->pos = data;
  w->size = size;
}

/* the header of a message of the size @w was made for */
static void
write_header (MessageWriter * w, GstFdPassMessageType type, guint n_fds)
{
  put_u32 (w, GST_FDPASS_MAGIC);
  put_u16 (w, type);
  put_u16 (w, n_fds);
  put_u32 (w, 0);
  put_u32 (w, w->size - GST_FDPASS_HEADER_SIZE);
}

/* A message of @size bytes, which @w writes through @map: one allocation
 * for the bytes and their memory, and one for the buffer. Messages go out
 * for every frame (buffer messages, releases), so this matters. */
static GstBuffer *
begin_message (gsize size, MessageWriter * w, GstMapInfo * map)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  G_GNUC_UNUSED gboolean mapped;

  /* fresh system memory always maps */
  mapped = gst_buffer_map (buf, map, GST_MAP_WRITE);
  g_assert (mapped);
  writer_init (w, map->data, size);

  return buf;
}

/* @buf, once @w wrote its message, which must fill it exactly */
static GstBuffer *
finish_message (GstBuffer * buf, GstMapInfo * map, MessageWriter * w)
{
  g_assert (w->pos == map->data + map->size);
  g_assert (map->size >= GST_FDPASS_HEADER_SIZE);
  g_assert (map->size - GST_FDPASS_HEADER_SIZE <= GST_FDPASS_MAX_PAYLOAD);
  gst_buffer_unmap (buf, map);

  return buf;
}

/**
 * gst_fdpass_message_new_hello:
 * @hello: the versions and features to announce
 *
 * Encodes a hello message, the first message of each side of a connection:
 * the protocol version it speaks and the #GstFdPassFeatures it offers.
 *
 * Returns: (transfer full): a hello message
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_hello (const GstFdPassHello * hello)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;

  g_return_val_if_fail (hello != NULL, NULL);

  buf = begin_message (GST_FDPASS_HEADER_SIZE + HELLO_SIZE, &w, &map);
  write_header (&w, GST_FDPASS_MESSAGE_HELLO, 0);
  put_u16 (&w, hello->version_major);
  put_u16 (&w, hello->version_minor);
  put_u32 (&w, hello->features);
  put_u32 (&w, hello->max_files);

  return finish_message (buf, &map, &w);
}

/**
 * gst_fdpass_message_new_caps:
 * @caps: fixed caps
 *
 * Encodes a caps message: @caps serialized by gst_caps_to_string(), NUL
 * terminated. It applies to the buffer messages that follow it.
 *
 * Returns: (transfer full) (nullable): a caps message, or %NULL when the
 *     serialized caps are larger than %GST_FDPASS_MAX_PAYLOAD
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_caps (const GstCaps * caps)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;
  gchar *str;
  gsize len;

  g_return_val_if_fail (GST_IS_CAPS (caps), NULL);

  str = gst_caps_to_string (caps);
  len = strlen (str) + 1;
  if (len > GST_FDPASS_MAX_PAYLOAD) {
    g_free (str);
    return NULL;
  }

  buf = begin_message (GST_FDPASS_HEADER_SIZE + len, &w, &map);
  write_header (&w, GST_FDPASS_MESSAGE_CAPS, 0);
  memcpy (w.pos, str, len);
  w.pos += len;
  g_free (str);

  return finish_message (buf, &map, &w);
}

/* the size of the buffer message for @info */
static guint
buffer_message_size (const GstFdPassBufferInfo * info)
{
  return GST_FDPASS_HEADER_SIZE + BUFFER_FIXED_SIZE +
      info->n_fds * FD_ENTRY_SIZE + info->n_memories * MEM_ENTRY_SIZE +
      (info->has_video_meta ? EXT_HEADER_SIZE + VIDEO_META_EXT_SIZE : 0) +
      (info->has_stream_time ? EXT_HEADER_SIZE + STREAM_TIME_EXT_SIZE : 0);
}

/* writes the buffer message for @info, of buffer_message_size() bytes */
static void
put_buffer_message (MessageWriter * w, const GstFdPassBufferInfo * info)
{
  guint i;

  write_header (w, GST_FDPASS_MESSAGE_BUFFER,
      gst_fdpass_buffer_info_n_attached (info));
  /* inline data follows the message (1.3) */
  if (info->n_memories > 0 &&
      info->memories[0].fd_index == GST_FDPASS_INLINE_FD_INDEX)
    GST_WRITE_UINT32_LE (w->data + 8, GST_FDPASS_HEADER_FLAG_INLINE);

  put_u64 (w, info->id);
  put_u64 (w, info->pts);
  put_u64 (w, info->dts);
  put_u64 (w, info->duration);
  put_u64 (w, info->offset);
  put_u64 (w, info->offset_end);
  put_u32 (w, info->flags);
  put_u16 (w, info->n_fds);
  put_u16 (w, info->n_memories);

  for (i = 0; i < info->n_fds; i++) {
    const GstFdPassFdInfo *fd = &info->fds[i];

    put_u32 (w, fd->kind);
    put_u32 (w, fd->flags);
    put_u64 (w, fd->dev);
    put_u64 (w, fd->ino);
    put_u64 (w, fd->size);
  }

  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *mem = &info->memories[i];

    put_u32 (w, mem->fd_index);
    put_u32 (w, 0);
    put_u64 (w, mem->offset);
    put_u64 (w, mem->size);
  }

  if (info->has_video_meta) {
    const GstFdPassVideoInfo *v = &info->video;

    put_u16 (w, EXT_VIDEO_META);
    put_u16 (w, 0);
    put_u32 (w, VIDEO_META_EXT_SIZE);
    put_u32 (w, v->format);
    put_u32 (w, v->flags);
    put_u32 (w, v->width);
    put_u32 (w, v->height);
    put_u32 (w, v->n_planes);
    put_u32 (w, 0);
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
      put_u64 (w, v->offset[i]);
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
      put_i32 (w, v->stride[i]);
  }

  if (info->has_stream_time) {
    put_u16 (w, EXT_STREAM_TIME);
    put_u16 (w, 0);
    put_u32 (w, STREAM_TIME_EXT_SIZE);
    put_u64 (w, info->stream_time);
  }
}

/**
 * gst_fdpass_message_new_buffer:
 * @info: the buffer to describe
 *
 * Encodes a buffer message. The file descriptors described by @info must be
 * sent with the returned bytes, in the same order.
 *
 * Returns: (transfer full): a buffer message
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_buffer (const GstFdPassBufferInfo * info)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (info->n_fds <= GST_FDPASS_MAX_FDS, NULL);
  g_return_val_if_fail (info->n_memories <= GST_FDPASS_MAX_MEMORIES, NULL);

  buf = begin_message (buffer_message_size (info), &w, &map);
  put_buffer_message (&w, info);

  return finish_message (buf, &map, &w);
}

/**
 * gst_fdpass_buffer_info_write:
 * @info: the buffer to describe
 * @data: (out caller-allocates) (array length=size): where to write the
 *     message
 * @size: room at @data, in bytes
 *
 * Writes the same bytes as gst_fdpass_message_new_buffer() into memory of
 * the caller's, such as a buffer of %GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE
 * bytes that a sender reuses for every message.
 *
 * Returns: the size of the message, or 0 when it does not fit in @size
 *     bytes (nothing is written then)
 *
 * Since: 0.2
 */
gsize
gst_fdpass_buffer_info_write (const GstFdPassBufferInfo * info, guint8 * data,
    gsize size)
{
  MessageWriter w;

  g_return_val_if_fail (info != NULL, 0);
  g_return_val_if_fail (info->n_fds <= GST_FDPASS_MAX_FDS, 0);
  g_return_val_if_fail (info->n_memories <= GST_FDPASS_MAX_MEMORIES, 0);
  g_return_val_if_fail (data != NULL || size == 0, 0);

  if (size < buffer_message_size (info))
    return 0;

  writer_init (&w, data, buffer_message_size (info));
  put_buffer_message (&w, info);
  g_assert (w.pos == data + w.size);

  return buffer_message_size (info);
}

/* Gives the buffer message at @message, as gst_fdpass_buffer_info_write()
 * wrote it, the id @id, the fd flags @flags (one for each of its @n_fds
 * fds) and the count of attached descriptors @n_attached (those not
 * flagged kept, which the caller counted as it picked them): the bytes it
 * would have, encoded with those. */
void
gst_fdpass_buffer_message_patch (guint8 * message, guint64 id,
    const guint32 * flags, guint n_fds, guint n_attached)
{
  guint8 *fd_table = message + GST_FDPASS_HEADER_SIZE + BUFFER_FIXED_SIZE;
  guint i;

  g_assert (GST_READ_UINT16_LE (message + GST_FDPASS_HEADER_SIZE +
          BUFFER_N_FDS_OFFSET) == n_fds);
  g_assert (n_attached <= n_fds);

  GST_WRITE_UINT64_LE (message + GST_FDPASS_HEADER_SIZE, id);
  for (i = 0; i < n_fds; i++)
    GST_WRITE_UINT32_LE (fd_table + i * FD_ENTRY_SIZE + 4, flags[i]);
  GST_WRITE_UINT16_LE (message + 6, n_attached);
}

/**
 * gst_fdpass_message_new_eos:
 *
 * Encodes an end-of-stream message. It has no payload.
 *
 * Returns: (transfer full): an end-of-stream message
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_eos (void)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;

  buf = begin_message (GST_FDPASS_HEADER_SIZE, &w, &map);
  write_header (&w, GST_FDPASS_MESSAGE_EOS, 0);

  return finish_message (buf, &map, &w);
}

static void
put_release_message (MessageWriter * w, const guint64 * ids, guint n_ids)
{
  guint i;

  write_header (w, GST_FDPASS_MESSAGE_RELEASE, 0);
  put_u32 (w, n_ids);
  /* reserved */
  put_u32 (w, 0);
  for (i = 0; i < n_ids; i++)
    put_u64 (w, ids[i]);
}

/**
 * gst_fdpass_message_new_release:
 * @ids: (array length=n_ids): ids of the buffers the receiver is done with
 * @n_ids: number of ids, at most %GST_FDPASS_MAX_RELEASE_IDS
 *
 * Encodes a release message, which a receiver that announced
 * %GST_FDPASS_FEATURE_RELEASE sends to tell the sender that it no longer
 * uses the buffers with these ids, so that their memory may be written
 * again.
 *
 * Returns: (transfer full): a release message
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_release (const guint64 * ids, guint n_ids)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;

  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  g_return_val_if_fail (n_ids <= GST_FDPASS_MAX_RELEASE_IDS, NULL);

  buf = begin_message (GST_FDPASS_RELEASE_MESSAGE_SIZE (n_ids), &w, &map);
  put_release_message (&w, ids, n_ids);

  return finish_message (buf, &map, &w);
}

/**
 * gst_fdpass_release_write:
 * @ids: (array length=n_ids): ids of the buffers the receiver is done with
 * @n_ids: number of ids, at most %GST_FDPASS_MAX_RELEASE_IDS
 * @data: (out caller-allocates) (array length=size): where to write the
 *     message
 * @size: room at @data, in bytes
 *
 * Writes the same bytes as gst_fdpass_message_new_release() into memory of
 * the caller's, such as an array on the stack of a receiver that sends a
 * release for every frame.
 *
 * Returns: the size of the message, GST_FDPASS_RELEASE_MESSAGE_SIZE()
 *     of @n_ids, or 0 when it does not fit in @size bytes (nothing is
 *     written then)
 *
 * Since: 0.3
 */
gsize
gst_fdpass_release_write (const guint64 * ids, guint n_ids, guint8 * data,
    gsize size)
{
  MessageWriter w;

  g_return_val_if_fail (ids != NULL || n_ids == 0, 0);
  g_return_val_if_fail (n_ids <= GST_FDPASS_MAX_RELEASE_IDS, 0);
  g_return_val_if_fail (data != NULL || size == 0, 0);

  if (size < GST_FDPASS_RELEASE_MESSAGE_SIZE (n_ids))
    return 0;

  writer_init (&w, data, GST_FDPASS_RELEASE_MESSAGE_SIZE (n_ids));
  put_release_message (&w, ids, n_ids);
  g_assert (w.pos == data + w.size);

  return w.size;
}

/**
 * gst_fdpass_message_new_forget:
 * @files: (array length=n_files): the files the receiver may close; only
 *     their device and inode numbers are used
 * @n_files: number of files, at most %GST_FDPASS_MAX_FORGET_FILES
 *
 * Encodes a forget message (protocol 1.1): the sender tells a receiver
 * that keeps files (%GST_FDPASS_FEATURE_FILES) which of them it may close,
 * because no buffer message will name them again.
 *
 * Returns: (transfer full): a forget message
 *
 * Since: 0.1
 */
GstBuffer *
gst_fdpass_message_new_forget (const GstFdPassFdInfo * files, guint n_files)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;
  guint i;

  g_return_val_if_fail (files != NULL || n_files == 0, NULL);
  g_return_val_if_fail (n_files <= GST_FDPASS_MAX_FORGET_FILES, NULL);

  buf = begin_message (GST_FDPASS_HEADER_SIZE +
      FORGET_FIXED_SIZE + n_files * FORGET_ENTRY_SIZE, &w, &map);
  write_header (&w, GST_FDPASS_MESSAGE_FORGET, 0);
  put_u32 (&w, n_files);
  put_u32 (&w, 0);
  for (i = 0; i < n_files; i++) {
    put_u64 (&w, files[i].dev);
    put_u64 (&w, files[i].ino);
  }

  return finish_message (buf, &map, &w);
}

/**
 * gst_fdpass_message_new_segment:
 * @segment: a segment in %GST_FORMAT_TIME
 *
 * The segment message tells the receiver how the sender's timestamps map to
 * running time and stream time, so that it can give its buffers the same
 * segment (protocol 1.2).
 *
 * Returns: (transfer full) (nullable): a segment message, or %NULL when
 *     @segment is not in %GST_FORMAT_TIME
 *
 * Since: 0.2
 */
GstBuffer *
gst_fdpass_message_new_segment (const GstSegment * segment)
{
  MessageWriter w;
  GstMapInfo map;
  GstBuffer *buf;

  g_return_val_if_fail (segment != NULL, NULL);

  if (segment->format != GST_FORMAT_TIME)
    return NULL;

  buf = begin_message (GST_FDPASS_HEADER_SIZE + SEGMENT_SIZE, &w, &map);
  write_header (&w, GST_FDPASS_MESSAGE_SEGMENT, 0);
  put_u32 (&w, segment->flags);
  put_u32 (&w, segment->format);
  put_f64 (&w, segment->rate);
  put_f64 (&w, segment->applied_rate);
  put_u64 (&w, segment->base);
  put_u64 (&w, segment->offset);
  put_u64 (&w, segment->start);
  put_u64 (&w, segment->stop);
  put_u64 (&w, segment->time);
  put_u64 (&w, segment->position);
  put_u64 (&w, segment->duration);

  return finish_message (buf, &map, &w);
}

/* Reads values that the caller checked are there, once for a whole table
 * or block (reader_has()), rather than once per value as GstByteReader
 * does: buffer and release messages are parsed for every frame. */
typedef struct
{
  const guint8 *pos;
  const guint8 *end;
} MessageReader;

static inline void
reader_init (MessageReader * r, const guint8 * data, gsize size)
{
  r->pos = data;
  r->end = data + size;
}

static inline gsize
reader_remaining (const MessageReader * r)
{
  return r->end - r->pos;
}

static inline gboolean
reader_has (const MessageReader * r, guint64 n)
{
  return n <= reader_remaining (r);
}

static inline guint16
get_u16 (MessageReader * r)
{
  guint16 value = GST_READ_UINT16_LE (r->pos);

  r->pos += 2;
  return value;
}

static inline guint32
get_u32 (MessageReader * r)
{
  guint32 value = GST_READ_UINT32_LE (r->pos);

  r->pos += 4;
  return value;
}

static inline guint64
get_u64 (MessageReader * r)
{
  guint64 value = GST_READ_UINT64_LE (r->pos);

  r->pos += 8;
  return value;
}

static inline gdouble
get_f64 (MessageReader * r)
{
  gdouble value = GST_READ_DOUBLE_LE (r->pos);

  r->pos += 8;
  return value;
}

/* The parsers run for every message, their error paths almost never:
 * those call a function marked cold, which tells the compiler to move them
 * away from the code that runs, so that fewer lines of code are loaded into
 * the caches for each message. */
#if defined(__GNUC__)
#define PARSE_ERROR_ATTRIBUTES \
    __attribute__ ((cold, noinline, format (printf, 3, 4)))
#else
#define PARSE_ERROR_ATTRIBUTES
#endif

PARSE_ERROR_ATTRIBUTES static void
parse_error (GError ** error, GstFdPassError code, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (GST_FDPASS_ERROR, code,
          format, args));
  va_end (args);
}

#define FAIL(code, ...) G_STMT_START { \
  parse_error (error, GST_FDPASS_ERROR_ ## code, __VA_ARGS__); \
  return FALSE; \
} G_STMT_END

#define TRUNCATED(what) \
  FAIL (INVALID, "Truncated %s (%" G_GSIZE_FORMAT " bytes)", what, size)

/**
 * gst_fdpass_header_parse:
 * @data: (array length=size): at least %GST_FDPASS_HEADER_SIZE bytes
 * @size: number of bytes in @data
 * @header: (out): the parsed header
 * @error: return location for a #GError
 *
 * Parses and checks a message header: the magic, the payload size against
 * %GST_FDPASS_MAX_PAYLOAD and the fd count against %GST_FDPASS_MAX_FDS.
 * Messages of known types other than buffer messages must carry no fds.
 *
 * Returns: %TRUE when the header is valid
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_header_parse (const guint8 * data, gsize size,
    GstFdPassHeader * header, GError ** error)
{
  MessageReader r;
  guint32 magic;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  reader_init (&r, data, size);
  if (!reader_has (&r, GST_FDPASS_HEADER_SIZE))
    TRUNCATED ("message header");
  magic = get_u32 (&r);
  header->type = get_u16 (&r);
  header->n_fds = get_u16 (&r);
  header->flags = get_u32 (&r);
  header->payload_size = get_u32 (&r);

  if (magic != GST_FDPASS_MAGIC)
    FAIL (INVALID, "Bad magic 0x%08x, not an fdpass stream", magic);

  if (header->payload_size > GST_FDPASS_MAX_PAYLOAD)
    FAIL (TOO_LARGE, "Payload of %u bytes is larger than the limit of %u",
        header->payload_size, GST_FDPASS_MAX_PAYLOAD);

  if (header->n_fds > GST_FDPASS_MAX_FDS)
    FAIL (TOO_LARGE, "%u file descriptors in one message, the limit is %u",
        header->n_fds, GST_FDPASS_MAX_FDS);

  switch (header->type) {
    case GST_FDPASS_MESSAGE_HELLO:
    case GST_FDPASS_MESSAGE_CAPS:
    case GST_FDPASS_MESSAGE_EOS:
    case GST_FDPASS_MESSAGE_RELEASE:
    case GST_FDPASS_MESSAGE_FORGET:
    case GST_FDPASS_MESSAGE_SEGMENT:
      if (header->n_fds != 0)
        FAIL (INVALID, "Message of type %u carries %u file descriptors",
            header->type, header->n_fds);
      break;
    default:
      break;
  }

  return TRUE;
}

/**
 * gst_fdpass_hello_parse:
 * @payload: (array length=size): the payload of a hello message
 * @size: payload size
 * @hello: (out): the parsed hello
 * @error: return location for a #GError
 *
 * Parses a hello message. A peer with another major version is refused with
 * %GST_FDPASS_ERROR_VERSION.
 *
 * Returns: %TRUE when the hello is valid and compatible
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_hello_parse (const guint8 * payload, gsize size,
    GstFdPassHello * hello, GError ** error)
{
  MessageReader r;

  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (hello != NULL, FALSE);

  reader_init (&r, payload, size);
  if (!reader_has (&r, HELLO_1_0_SIZE))
    TRUNCATED ("hello message");
  hello->version_major = get_u16 (&r);
  hello->version_minor = get_u16 (&r);
  hello->features = get_u32 (&r);
  /* added in 1.1: a 1.0 peer keeps no files */
  hello->max_files = reader_has (&r, 4) ? get_u32 (&r) : 0;

  if (hello->version_major != GST_FDPASS_VERSION_MAJOR)
    FAIL (VERSION, "Peer speaks protocol version %u.%u, this is %u.%u",
        hello->version_major, hello->version_minor,
        GST_FDPASS_VERSION_MAJOR, GST_FDPASS_VERSION_MINOR);

  return TRUE;
}

/* The deserializers of these value types accept any string without
 * g_critical()s: the basic types, by the abbreviations and GType names
 * gst_caps_to_string() writes. Others do not (in 1.22 a bad (buffer) value
 * makes gst_buffer_unmap() assert) or build objects (structures, caps,
 * samples) nobody downstream expects from a peer. */
static const gchar *const safe_value_types[] = {
  "int", "i", "uint", "u", "float", "f", "double", "d", "fraction",
  "boolean", "bool", "b", "string", "str", "s", "bitmask", "flagset",
  "gint", "guint", "gint64", "guint64", "gfloat", "gdouble", "gboolean",
  "gchararray", "GstFraction", "GstBitmask", "GstFlagSet",
};

/* how deep arrays of arrays may nest */
#define MAX_CAPS_ARRAY_DEPTH 8

typedef enum
{
  VALUE_TYPE_ANY,               /* no cast: GStreamer guesses */
  VALUE_TYPE_FRACTION,
  VALUE_TYPE_OTHER,
} ValueType;

#define CAPS_FAIL(...) G_STMT_START { \
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID, \
        "Caps message holds invalid caps: " __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

/* GStreamer keeps every structure, field and caps feature name it parses
 * as a GQuark, for the life of the process: a peer sending caps with new
 * names again and again would grow us for ever. Names this process knows
 * already are free; at most this many new ones come from peers. */
#define MAX_NEW_CAPS_NAMES 1024
#define MAX_CAPS_NAME_LENGTH 128

static gint new_caps_names_left = MAX_NEW_CAPS_NAMES;

/* the names of the caps of raw video and audio and of the common codecs,
 * known before any peer may use up the budget */
static const gchar *common_caps_names[] = {
  "video/x-raw", "audio/x-raw", "image/jpeg", "video/x-h264", "video/x-h265",
  "memory:SystemMemory", "memory:DMABuf", "memory:fdpass",
  "format", "width", "height", "framerate", "max-framerate",
  "pixel-aspect-ratio", "interlace-mode", "field-order", "colorimetry",
  "chroma-site", "multiview-mode", "multiview-flags", "views",
  "mastering-display-info", "content-light-level", "drm-format",
  "rate", "channels", "layout", "channel-mask",
  "stream-format", "alignment", "profile", "level", "tier", "parsed",
  "codec_data",
};

static gpointer
intern_common_caps_names (gpointer data)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (common_caps_names); i++)
    g_quark_from_static_string (common_caps_names[i]);

  return NULL;
}

static gboolean
caps_name_is_affordable (const gchar * start, gsize len, GError ** error)
{
  static GOnce interned = G_ONCE_INIT;
  gchar name[MAX_CAPS_NAME_LENGTH + 1];

  g_once (&interned, intern_common_caps_names, NULL);

  if (len > MAX_CAPS_NAME_LENGTH)
    CAPS_FAIL ("a name is longer than %d characters", MAX_CAPS_NAME_LENGTH);

  memcpy (name, start, len);
  name[len] = '\0';
  if (g_quark_try_string (name) != 0)
    return TRUE;

  if (g_atomic_int_add (&new_caps_names_left, -1) <= 0) {
    g_atomic_int_inc (&new_caps_names_left);
    CAPS_FAIL ("'%s' would be one new name too many: this process took %d "
        "new caps names from peers already", name, MAX_NEW_CAPS_NAMES);
  }

  return TRUE;
}

/* the characters of an unquoted value, field name or type name */
static gboolean
is_simple_char (gchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("_-+/:.", c));
}

/* Whether @name is one of the value types above, or a registered
 * GstFlagSet subtype (decoders put GstVideoMultiviewFlagsSet in caps). */
static gboolean
value_type_is_safe (const gchar * name)
{
  GType type;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (safe_value_types); i++) {
    if (strcmp (name, safe_value_types[i]) == 0)
      return TRUE;
  }

  type = g_type_from_name (name);
  return type != 0 && g_type_is_a (type, GST_TYPE_FLAG_SET);
}

/* Parses the type cast at *@p, "(name)" with optional spaces, and moves
 * *@p past it. */
static gboolean
parse_value_type (const gchar ** p, ValueType * type, GError ** error)
{
  const gchar *s = *p + 1, *start;
  gchar *name;
  gboolean safe;

  while (*s == ' ')
    s++;
  for (start = s; is_simple_char (*s); s++);
  name = g_strndup (start, s - start);
  while (*s == ' ')
    s++;

  safe = *s == ')' && value_type_is_safe (name);
  if (!safe) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Caps message holds invalid caps: values of type '%s' are not "
        "accepted", name);
    g_free (name);
    return FALSE;
  }

  *type = strcmp (name, "fraction") == 0 || strcmp (name, "GstFraction") == 0
      ? VALUE_TYPE_FRACTION : VALUE_TYPE_OTHER;
  g_free (name);
  *p = s + 1;
  return TRUE;
}

/* Reads the integer sscanf ("%d") would read at *@p, moving *@p past it;
 * FALSE when there is none. */
static gboolean
read_int (const gchar ** p, gint64 * val)
{
  const gchar *s = *p;
  gchar *end;

  if (*s == '+' || *s == '-')
    s++;
  if (!g_ascii_isdigit (*s))
    return FALSE;

  *val = g_ascii_strtoll (*p, &end, 10);
  *p = end;
  return TRUE;
}

/* Whether the unquoted value [@s, @end) is safe to deserialize as a
 * fraction. In 1.22 the fraction deserializer reads it with sscanf ("%d")
 * and hands gst_value_set_fraction() whatever comes out, which
 * g_critical()s on G_MININT (and a number that does not fit in an int can
 * turn into one). A value without a type (@typed FALSE) is only read as a
 * fraction when it is no number. */
static gboolean
fraction_value_is_safe (const gchar * s, const gchar * end, gboolean typed)
{
  gint64 num, den;

  if (!typed) {
    gchar *str = g_strndup (s, end - s);
    gchar *num_end;

    g_ascii_strtod (str, &num_end);
    if (*num_end == '\0') {
      g_free (str);
      return TRUE;
    }
    g_free (str);
  }

  if (!read_int (&s, &num))
    return TRUE;
  if (num < -G_MAXINT || num > G_MAXINT)
    return FALSE;
  if (s < end && *s == '/') {
    s++;
    if (read_int (&s, &den) && (den < -G_MAXINT || den > G_MAXINT))
      return FALSE;
  }
  return TRUE;
}

/* Checks the fields of a caps string, after its name and caps features:
 * every type cast outside quoted strings names a safe type, no lists or
 * ranges (never fixed, and their deserializers g_critical() on reversed
 * bounds), quoted values have a type, one structure only, arrays nest at
 * most MAX_CAPS_ARRAY_DEPTH deep, and every value that may be read as a
 * fraction fits. */
static gboolean
caps_fields_are_safe (const gchar * p, GError ** error)
{
  /* the type of the values of each array we are in; index 0: outside */
  ValueType array_type[MAX_CAPS_ARRAY_DEPTH + 1] = { VALUE_TYPE_ANY, };
  ValueType cast = VALUE_TYPE_ANY;
  guint depth = 0;

  while (*p) {
    if (*p == '"') {
      /* 1.22 g_warning()s when it reads a quoted value without a type as
       * a number; gst_caps_to_string() always writes the type */
      if (cast == VALUE_TYPE_ANY && array_type[depth] == VALUE_TYPE_ANY)
        CAPS_FAIL ("quoted value without a type");
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
      }
      if (*p == '\0')
        CAPS_FAIL ("unterminated string");
      p++;
      cast = VALUE_TYPE_ANY;
    } else if (*p == '(') {
      if (!parse_value_type (&p, &cast, error))
        return FALSE;
    } else if (*p == '<') {
      if (depth == MAX_CAPS_ARRAY_DEPTH)
        CAPS_FAIL ("arrays nested more than %d deep", MAX_CAPS_ARRAY_DEPTH);
      depth++;
      /* values without a cast of their own have the array's type */
      array_type[depth] = cast != VALUE_TYPE_ANY ? cast : array_type[depth - 1];
      cast = VALUE_TYPE_ANY;
      p++;
    } else if (*p == '>') {
      if (depth == 0)
        CAPS_FAIL ("'>' outside of an array");
      depth--;
      p++;
    } else if (*p == '{' || *p == '[') {
      CAPS_FAIL ("lists and ranges are not fixed");
    } else if (*p == ';') {
      CAPS_FAIL ("more than one structure");
    } else if (is_simple_char (*p)) {
      const gchar *start = p, *next;
      ValueType type = cast != VALUE_TYPE_ANY ? cast : array_type[depth];

      while (is_simple_char (*p))
        p++;
      for (next = p; *next == ' '; next++);
      if (depth == 0 && *next == '=') {
        /* a field name */
        if (!caps_name_is_affordable (start, p - start, error))
          return FALSE;
        continue;
      }
      /* a value without a type may be guessed to be a fraction */
      if (type != VALUE_TYPE_OTHER && !fraction_value_is_safe (start, p,
              type == VALUE_TYPE_FRACTION))
        CAPS_FAIL ("fraction %.*s out of range", (gint) (p - start), start);
      cast = VALUE_TYPE_ANY;
    } else {
      /* separators and spaces */
      if (*p == ',')
        cast = VALUE_TYPE_ANY;
      p++;
    }
  }

  return TRUE;
}

/* gst_caps_from_string() g_critical()s or g_warning()s on some malformed
 * strings: a structure name that does not start with a letter, invalid
 * caps features, 0.10-style raw video and audio, values of types whose
 * deserializers assert, fractions out of range, reversed ranges. A peer
 * must not be able to trigger those: accept one structure whose name and
 * features are valid, whose fields pass caps_fields_are_safe(). */
static gboolean
caps_string_is_safe (const gchar * str, GError ** error)
{
  static const gchar *special[] = { "NONE", "ANY", "EMPTY" };
  const gchar *p;
  guint i;

  /* GStreamer warns about 0.10-style raw caps */
  if (!g_ascii_isalpha (*str) || g_str_has_prefix (str, "video/x-raw-") ||
      g_str_has_prefix (str, "audio/x-raw-"))
    CAPS_FAIL ("bad media type");
  for (p = str; is_simple_char (*p); p++);
  if (!caps_name_is_affordable (str, p - str, error))
    return FALSE;

  /* names that are caps of their own as a string: a structure of that name
   * could never be sent back as it came */
  for (i = 0; i < G_N_ELEMENTS (special); i++) {
    if (strlen (special[i]) == (gsize) (p - str) &&
        strncmp (str, special[i], p - str) == 0)
      CAPS_FAIL ("bad media type");
  }

  /* caps features: (namespace:name, namespace:name) */
  if (*p == '(') {
    do {
      const gchar *feature;

      for (p++; *p == ' '; p++);
      feature = p;
      if (!g_ascii_isalpha (*p))
        CAPS_FAIL ("bad caps features");
      while (g_ascii_isalpha (*p))
        p++;
      if (*p++ != ':' || !g_ascii_isalpha (*p))
        CAPS_FAIL ("bad caps features");
      while (g_ascii_isalnum (*p))
        p++;
      if (!caps_name_is_affordable (feature, p - feature, error))
        return FALSE;
    } while (*p == ',');
    if (*p++ != ')')
      CAPS_FAIL ("bad caps features");
  }
  if (*p != '\0' && *p != ',' && *p != ' ')
    CAPS_FAIL ("bad media type");

  return caps_fields_are_safe (p, error);
}

/* Whether @value is of one of the types caps_fields_are_safe() lets
 * through, or an array of them; strings must not be NULL, which the
 * string "NULL" gives and which elements do not expect in caps. */
static gboolean
value_is_safe (const GValue * value)
{
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_STRING)
    return g_value_get_string (value) != NULL;

  if (type == GST_TYPE_ARRAY) {
    guint i, n = gst_value_array_get_size (value);

    for (i = 0; i < n; i++) {
      if (!value_is_safe (gst_value_array_get_value (value, i)))
        return FALSE;
    }
    return TRUE;
  }

  return type == G_TYPE_INT || type == G_TYPE_UINT || type == G_TYPE_INT64 ||
      type == G_TYPE_UINT64 || type == G_TYPE_FLOAT ||
      type == G_TYPE_DOUBLE || type == G_TYPE_BOOLEAN ||
      type == GST_TYPE_FRACTION || type == GST_TYPE_BITMASK ||
      g_type_is_a (type, GST_TYPE_FLAG_SET);
}

static gboolean
find_unsafe_field (GQuark field, const GValue * value, gpointer user_data)
{
  if (value_is_safe (value))
    return TRUE;

  *(GQuark *) user_data = field;
  return FALSE;
}

/**
 * gst_fdpass_caps_parse:
 * @payload: (array length=size): the payload of a caps message
 * @size: payload size
 * @error: return location for a #GError
 *
 * Parses the caps of a caps message, which come from another process and
 * are checked before gst_caps_from_string() sees them: one structure, no
 * lists or ranges, and type casts only to the basic types (int, uint,
 * gint64, guint64, float, double, fraction, boolean, string, bitmask,
 * flagset and registered #GstFlagSet subtypes), whose deserializers cannot
 * be made to assert.
 *
 * Returns: (transfer full) (nullable): the caps, or %NULL when the payload
 *     is not a NUL-terminated string of fixed caps made of those types
 *
 * Since: 0.1
 */
GstCaps *
gst_fdpass_caps_parse (const guint8 * payload, gsize size, GError ** error)
{
  GQuark field = 0;
  GstCaps *caps;

  g_return_val_if_fail (payload != NULL || size == 0, NULL);

  if (size == 0 || payload[size - 1] != '\0' ||
      memchr (payload, '\0', size) != payload + size - 1) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Caps message is not one NUL-terminated string");
    return NULL;
  }

  if (!g_utf8_validate ((const gchar *) payload, size - 1, NULL)) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Caps message is not valid UTF-8");
    return NULL;
  }

  /* senders put it in the caps of multiview video: it must be known by
   * name before it is checked and its values read */
  gst_video_multiview_flagset_get_type ();

  if (!caps_string_is_safe ((const gchar *) payload, error))
    return NULL;

  caps = gst_caps_from_string ((const gchar *) payload);
  if (caps == NULL || !gst_caps_is_fixed (caps)) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Caps message holds no fixed caps: '%s'", (const gchar *) payload);
    gst_clear_caps (&caps);
    return NULL;
  }

  if (!gst_structure_foreach (gst_caps_get_structure (caps, 0),
          find_unsafe_field, &field)) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Caps message holds invalid caps: field '%s' has a value of a type "
        "that is not accepted, or a NULL string", g_quark_to_string (field));
    gst_caps_unref (caps);
    return NULL;
  }

  return caps;
}

/* GstVideoFormat values are small: one bit each, set once from the enum of
 * the GstVideo this process runs with, so that the format of each frame
 * is one lookup rather than a search of the enum */
#define MAX_VIDEO_FORMAT_VALUE 1024
static guint8 known_video_formats[MAX_VIDEO_FORMAT_VALUE / 8];

static gboolean
video_format_is_known (guint32 format)
{
  static gsize init = 0;

  if (g_once_init_enter (&init)) {
    GEnumClass *klass = g_type_class_ref (GST_TYPE_VIDEO_FORMAT);
    guint i;

    for (i = 0; i < klass->n_values; i++) {
      gint value = klass->values[i].value;

      if (value != GST_VIDEO_FORMAT_UNKNOWN && value >= 0 &&
          value < MAX_VIDEO_FORMAT_VALUE)
        known_video_formats[value / 8] |= 1 << (value % 8);
    }
    g_type_class_unref (klass);
    g_once_init_leave (&init, 1);
  }

  return format < MAX_VIDEO_FORMAT_VALUE &&
      (known_video_formats[format / 8] & (1 << (format % 8))) != 0;
}

static gboolean
parse_video_meta (MessageReader * r, GstFdPassVideoInfo * v, GError ** error)
{
  gsize size = reader_remaining (r);
  guint i;

  if (!reader_has (r, VIDEO_META_EXT_SIZE))
    TRUNCATED ("video meta");
  v->format = get_u32 (r);
  v->flags = get_u32 (r);
  v->width = get_u32 (r);
  v->height = get_u32 (r);
  v->n_planes = get_u32 (r);
  /* reserved */
  get_u32 (r);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    v->offset[i] = get_u64 (r);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    v->stride[i] = (gint32) get_u32 (r);

  if (!video_format_is_known (v->format))
    FAIL (INVALID, "Unknown video format %u", v->format);
  if (v->n_planes == 0 || v->n_planes > GST_VIDEO_MAX_PLANES)
    FAIL (INVALID, "Video meta with %u planes", v->n_planes);
  if (v->width == 0 || v->height == 0 || v->width > G_MAXINT ||
      v->height > G_MAXINT)
    FAIL (INVALID, "Video meta with size %ux%u", v->width, v->height);
  for (i = 0; i < v->n_planes; i++) {
    if (v->offset[i] > G_MAXSIZE)
      FAIL (TOO_LARGE, "Plane %u offset %" G_GUINT64_FORMAT " does not fit",
          i, v->offset[i]);
  }

  return TRUE;
}

/**
 * gst_fdpass_buffer_parse:
 * @header: the header of the message
 * @payload: (array length=size): the payload of a buffer message
 * @size: payload size
 * @info: (out caller-allocates): the parsed buffer description
 * @error: return location for a #GError
 *
 * Parses and checks a buffer message: the header must announce one file
 * descriptor per fd table entry that does not name a kept file,
 * every memory must name an existing fd and lie within the 64 bit range,
 * and counts must be within the limits. Unknown extension blocks are
 * skipped. When the header has %GST_FDPASS_HEADER_FLAG_INLINE, the message
 * has no fds, every memory is %GST_FDPASS_INLINE_FD_INDEX and starts right
 * after the one before; the data after the message, as long as the last
 * memory's end, is the caller's to check and read.
 *
 * Returns: %TRUE when the message is valid
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_buffer_parse (const GstFdPassHeader * header,
    const guint8 * payload, gsize size, GstFdPassBufferInfo * info,
    GError ** error)
{
  MessageReader r;
  guint16 n_fds, n_memories;
  gboolean is_inline;
  guint64 inline_end = 0;
  guint i;

  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (info, 0, sizeof (*info));
  is_inline = (header->flags & GST_FDPASS_HEADER_FLAG_INLINE) != 0;

  if (size != header->payload_size)
    FAIL (INVALID, "Buffer payload is %" G_GSIZE_FORMAT " bytes, the header "
        "announced %u", size, header->payload_size);

  reader_init (&r, payload, size);

  if (!reader_has (&r, BUFFER_FIXED_SIZE))
    TRUNCATED ("buffer message");
  info->id = get_u64 (&r);
  info->pts = get_u64 (&r);
  info->dts = get_u64 (&r);
  info->duration = get_u64 (&r);
  info->offset = get_u64 (&r);
  info->offset_end = get_u64 (&r);
  info->flags = get_u32 (&r);
  n_fds = get_u16 (&r);
  n_memories = get_u16 (&r);

  if (n_fds > GST_FDPASS_MAX_FDS)
    FAIL (TOO_LARGE, "%u file descriptors, the limit is %u", n_fds,
        GST_FDPASS_MAX_FDS);
  if (n_memories > GST_FDPASS_MAX_MEMORIES)
    FAIL (TOO_LARGE, "%u memories, the limit is %u", n_memories,
        GST_FDPASS_MAX_MEMORIES);
  if (is_inline && n_fds > 0)
    FAIL (INVALID, "An inline buffer message has %u files", n_fds);

  if (!reader_has (&r, n_fds * FD_ENTRY_SIZE))
    TRUNCATED ("fd table");
  info->n_fds = n_fds;
  for (i = 0; i < n_fds; i++) {
    GstFdPassFdInfo *fd = &info->fds[i];

    fd->kind = get_u32 (&r);
    fd->flags = get_u32 (&r);
    fd->dev = get_u64 (&r);
    fd->ino = get_u64 (&r);
    fd->size = get_u64 (&r);
    if (fd->kind != GST_FDPASS_FD_KIND_FILE &&
        fd->kind != GST_FDPASS_FD_KIND_DMABUF)
      FAIL (INVALID, "File descriptor %u has unknown kind %u", i, fd->kind);
    /* reserved in 1.0, where senders wrote 0 */
    fd->flags &= KNOWN_FD_FLAGS;
    if (fd->flags == KNOWN_FD_FLAGS)
      FAIL (INVALID, "File %u is both attached and kept already", i);
    if (fd->flags != 0 && fd->kind != GST_FDPASS_FD_KIND_FILE)
      FAIL (INVALID, "File %u of kind %u cannot be kept", i, fd->kind);
  }

  if (gst_fdpass_buffer_info_n_attached (info) != header->n_fds)
    FAIL (FD, "Buffer message needs %u file descriptors but %u were "
        "announced", gst_fdpass_buffer_info_n_attached (info), header->n_fds);

  if (!reader_has (&r, n_memories * MEM_ENTRY_SIZE))
    TRUNCATED ("memory table");
  info->n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    GstFdPassMemInfo *mem = &info->memories[i];
    guint64 end;

    mem->fd_index = get_u32 (&r);
    /* reserved */
    get_u32 (&r);
    mem->offset = get_u64 (&r);
    mem->size = get_u64 (&r);
    if (is_inline && mem->fd_index != GST_FDPASS_INLINE_FD_INDEX)
      FAIL (INVALID, "Memory %u of an inline buffer uses file descriptor %u",
          i, mem->fd_index);
    if (!is_inline && mem->fd_index >= n_fds)
      FAIL (INVALID, "Memory %u uses file descriptor %u of %u", i,
          mem->fd_index, n_fds);
    if (is_inline && mem->offset != inline_end)
      FAIL (INVALID, "Memory %u of an inline buffer starts at %"
          G_GUINT64_FORMAT " of the data, not right after the one before (%"
          G_GUINT64_FORMAT ")", i, mem->offset, inline_end);
    if (!g_uint64_checked_add (&end, mem->offset, mem->size) ||
        end > G_MAXSSIZE)
      FAIL (TOO_LARGE, "Memory %u (offset %" G_GUINT64_FORMAT ", size %"
          G_GUINT64_FORMAT ") does not fit in memory", i, mem->offset,
          mem->size);
    inline_end = end;
  }

  while (reader_remaining (&r) > 0) {
    guint16 ext_type;
    guint32 ext_size;
    MessageReader ext;

    if (!reader_has (&r, EXT_HEADER_SIZE))
      TRUNCATED ("extension block");
    ext_type = get_u16 (&r);
    /* reserved */
    get_u16 (&r);
    ext_size = get_u32 (&r);
    if (!reader_has (&r, ext_size))
      TRUNCATED ("extension block");

    reader_init (&ext, r.pos, ext_size);
    r.pos += ext_size;
    switch (ext_type) {
      case EXT_VIDEO_META:
        if (info->has_video_meta)
          FAIL (INVALID, "Two video metas in one buffer message");
        if (!parse_video_meta (&ext, &info->video, error))
          return FALSE;
        info->has_video_meta = TRUE;
        break;
      case EXT_STREAM_TIME:
        if (info->has_stream_time)
          FAIL (INVALID, "Two stream times in one buffer message");
        if (!reader_has (&ext, STREAM_TIME_EXT_SIZE))
          FAIL (INVALID, "Truncated stream time (%u bytes)", ext_size);
        info->stream_time = get_u64 (&ext);
        info->has_stream_time = TRUE;
        break;
      default:
        /* added by a later minor version: skip */
        break;
    }
  }

  return TRUE;
}

/**
 * gst_fdpass_release_parse:
 * @payload: (array length=size): the payload of a release message
 * @size: payload size
 * @ids: (out) (array length=n_ids) (transfer full): the released ids, free
 *     with g_free()
 * @n_ids: (out): number of ids
 * @error: return location for a #GError
 *
 * Parses a release message: at most %GST_FDPASS_MAX_RELEASE_IDS ids, all of
 * them within the payload.
 *
 * Returns: %TRUE when the message is valid
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_release_parse (const guint8 * payload, gsize size, guint64 ** ids,
    guint * n_ids, GError ** error)
{
  guint64 *out;
  guint count, i;

  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (ids != NULL && n_ids != NULL, FALSE);

  if (!gst_fdpass_release_check (payload, size, &count, error))
    return FALSE;

  out = g_new (guint64, MAX (count, 1));
  for (i = 0; i < count; i++)
    out[i] = gst_fdpass_release_get_id (payload, i);

  *ids = out;
  *n_ids = count;
  return TRUE;
}

/* Checks the payload of a release message as gst_fdpass_release_parse()
 * does, without copying its ids: they are read in place with
 * gst_fdpass_release_get_id(), so that a sender handles the release of
 * every frame without an allocation. */
gboolean
gst_fdpass_release_check (const guint8 * payload, gsize size, guint * n_ids,
    GError ** error)
{
  MessageReader r;
  guint32 count;

  reader_init (&r, payload, size);
  if (!reader_has (&r, RELEASE_FIXED_SIZE))
    TRUNCATED ("release message");
  count = get_u32 (&r);
  /* reserved */
  get_u32 (&r);

  if (count > GST_FDPASS_MAX_RELEASE_IDS)
    FAIL (TOO_LARGE, "%u ids in one release message, the limit is %u", count,
        GST_FDPASS_MAX_RELEASE_IDS);
  if (!reader_has (&r, (guint64) count * 8))
    TRUNCATED ("release message");

  *n_ids = count;
  return TRUE;
}

/* id @i of a release message that gst_fdpass_release_check() accepted with
 * more than @i ids */
guint64
gst_fdpass_release_get_id (const guint8 * payload, guint i)
{
  return GST_READ_UINT64_LE (payload + RELEASE_FIXED_SIZE + (gsize) i * 8);
}

/* the segment flags a receiver passes on: those that describe how the
 * sender's buffers were made (GstSegmentFlags of 1.22) */
#define SEGMENT_FLAGS_KNOWN (GST_SEGMENT_FLAG_RESET | \
    GST_SEGMENT_FLAG_TRICKMODE | GST_SEGMENT_FLAG_SEGMENT | \
    GST_SEGMENT_FLAG_TRICKMODE_KEY_UNITS | \
    GST_SEGMENT_FLAG_TRICKMODE_FORWARD_PREDICTED | \
    GST_SEGMENT_FLAG_TRICKMODE_NO_AUDIO)

/* a time a peer may put in a segment: up to G_MAXINT64, so that sums and
 * differences of two of them never overflow, or none where @none_ok */
static gboolean
segment_time_is_valid (guint64 t, gboolean none_ok)
{
  if (t == GST_CLOCK_TIME_NONE)
    return none_ok;
  return t <= G_MAXINT64;
}

static gboolean
segment_rate_is_valid (gdouble rate)
{
  /* what gst_event_new_segment() accepts, and a finite number */
  return isfinite (rate) && rate != 0.0 && fabs (rate) >= 1e-9 &&
      fabs (rate) <= 1e9;
}

/**
 * gst_fdpass_segment_parse:
 * @payload: (array length=size): the payload of a segment message
 * @size: payload size
 * @segment: (out caller-allocates): the parsed segment
 * @error: return location for a #GError
 *
 * Parses and checks a segment message (protocol 1.2). The segment is in
 * %GST_FORMAT_TIME, its rates are finite and not zero, its times are at
 * most %G_MAXINT64 (the start, time, base and offset are not none), its
 * stop, when set, is not before its start nor its offset beyond its
 * length, and a reverse segment (negative rate) has a stop. Unknown flags
 * are dropped.
 *
 * Returns: %TRUE when the message is valid; @segment can then be passed to
 *     gst_event_new_segment()
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_segment_parse (const guint8 * payload, gsize size,
    GstSegment * segment, GError ** error)
{
  MessageReader r;
  guint32 flags, format;
  gdouble rate, applied_rate;
  guint64 base, offset, start, stop, time, position, duration;

  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (segment != NULL, FALSE);

  reader_init (&r, payload, size);
  if (!reader_has (&r, SEGMENT_SIZE))
    TRUNCATED ("segment message");
  flags = get_u32 (&r);
  format = get_u32 (&r);
  rate = get_f64 (&r);
  applied_rate = get_f64 (&r);
  base = get_u64 (&r);
  offset = get_u64 (&r);
  start = get_u64 (&r);
  stop = get_u64 (&r);
  time = get_u64 (&r);
  position = get_u64 (&r);
  duration = get_u64 (&r);

  if (format != GST_FORMAT_TIME)
    FAIL (INVALID, "Segment in format %u, only time (%u) is supported",
        format, GST_FORMAT_TIME);
  if (!segment_rate_is_valid (rate) || !segment_rate_is_valid (applied_rate))
    FAIL (INVALID, "Segment with rate %g and applied rate %g", rate,
        applied_rate);
  if (!segment_time_is_valid (base, FALSE) ||
      !segment_time_is_valid (offset, FALSE) ||
      !segment_time_is_valid (start, FALSE) ||
      !segment_time_is_valid (time, FALSE) ||
      !segment_time_is_valid (stop, TRUE) ||
      !segment_time_is_valid (position, TRUE) ||
      !segment_time_is_valid (duration, TRUE))
    FAIL (INVALID, "Segment with a time out of range: base %" G_GUINT64_FORMAT
        ", offset %" G_GUINT64_FORMAT ", start %" G_GUINT64_FORMAT ", stop %"
        G_GUINT64_FORMAT ", time %" G_GUINT64_FORMAT ", position %"
        G_GUINT64_FORMAT ", duration %" G_GUINT64_FORMAT, base, offset, start,
        stop, time, position, duration);
  if (stop != GST_CLOCK_TIME_NONE && stop < start)
    FAIL (INVALID,
        "Segment stops at %" G_GUINT64_FORMAT " before it starts at %"
        G_GUINT64_FORMAT, stop, start);
  /* running time is computed back from the stop when playing backwards
   * (GStreamer asserts on a reverse segment without one), and the offset
   * lies within the segment */
  if (rate < 0.0 && stop == GST_CLOCK_TIME_NONE)
    FAIL (INVALID, "Reverse segment (rate %g) without a stop", rate);
  if (stop != GST_CLOCK_TIME_NONE && offset > stop - start)
    FAIL (INVALID, "Segment offset %" G_GUINT64_FORMAT " is beyond its length %"
        G_GUINT64_FORMAT, offset, stop - start);

  gst_segment_init (segment, GST_FORMAT_TIME);
  segment->flags = flags & SEGMENT_FLAGS_KNOWN;
  segment->rate = rate;
  segment->applied_rate = applied_rate;
  segment->base = base;
  segment->offset = offset;
  segment->start = start;
  segment->stop = stop;
  segment->time = time;
  segment->position = position;
  segment->duration = duration;

  return TRUE;
}

/**
 * gst_fdpass_forget_parse:
 * @payload: (array length=size): the payload of a forget message
 * @size: payload size
 * @files: (out) (transfer full) (array length=n_files): the files named,
 *     with only their device and inode numbers set; free with g_free()
 * @n_files: (out): number of files
 * @error: return location for a #GError
 *
 * Parses a forget message (protocol 1.1): at most
 * %GST_FDPASS_MAX_FORGET_FILES files, all of them within the payload.
 *
 * Returns: %TRUE when the message is valid
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_forget_parse (const guint8 * payload, gsize size,
    GstFdPassFdInfo ** files, guint * n_files, GError ** error)
{
  MessageReader r;
  guint32 count;
  GstFdPassFdInfo *out;
  guint i;

  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (files != NULL && n_files != NULL, FALSE);

  reader_init (&r, payload, size);
  if (!reader_has (&r, FORGET_FIXED_SIZE))
    TRUNCATED ("forget message");
  count = get_u32 (&r);
  /* reserved */
  get_u32 (&r);

  if (count > GST_FDPASS_MAX_FORGET_FILES)
    FAIL (TOO_LARGE, "%u files in one forget message, the limit is %u", count,
        GST_FDPASS_MAX_FORGET_FILES);
  if (!reader_has (&r, (guint64) count * FORGET_ENTRY_SIZE))
    TRUNCATED ("forget message");

  out = g_new0 (GstFdPassFdInfo, MAX (count, 1));
  for (i = 0; i < count; i++) {
    out[i].dev = get_u64 (&r);
    out[i].ino = get_u64 (&r);
  }

  *files = out;
  *n_files = count;
  return TRUE;
}

/**
 * gst_fdpass_buffer_info_n_attached:
 * @info: a buffer description
 *
 * Counts the descriptors a buffer message has attached, which a receiver
 * compares with the descriptors that came with it.
 *
 * Returns: how many file descriptors travel with the message of @info: one
 *     per fd table entry, except the entries naming a kept file
 *
 * Since: 0.1
 */
guint
gst_fdpass_buffer_info_n_attached (const GstFdPassBufferInfo * info)
{
  guint i, n = 0;

  g_return_val_if_fail (info != NULL, 0);

  for (i = 0; i < info->n_fds && i < GST_FDPASS_MAX_FDS; i++) {
    if (!(info->fds[i].flags & GST_FDPASS_FD_FLAG_KEPT))
      n++;
  }

  return n;
}

/**
 * gst_fdpass_fd_info_from_fd:
 * @fd: a file descriptor
 * @kind: what @fd is
 * @info: (out): its identity
 *
 * Fills @info with the identity (device, inode and size) of @fd.
 *
 * Returns: %FALSE when fstat() failed, with errno set
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_fd_info_from_fd (gint fd, GstFdPassFdKind kind,
    GstFdPassFdInfo * info)
{
  struct stat st;

  g_return_val_if_fail (info != NULL, FALSE);

  if (fstat (fd, &st) < 0)
    return FALSE;

  info->kind = kind;
  info->flags = 0;
  info->dev = st.st_dev;
  info->ino = st.st_ino;
  info->size = st.st_size;
  return TRUE;
}

/**
 * gst_fdpass_buffer_info_set_video_meta:
 * @info: a buffer description
 * @meta: the video meta of the buffer
 *
 * Copies the format, flags, size, planes, offsets and strides of @meta into
 * @info, to travel in the video meta extension block of the buffer message.
 *
 * Returns: %FALSE when @meta cannot be described (no plane or more than
 *     %GST_VIDEO_MAX_PLANES); @info is not changed then
 *
 * Since: 0.1
 */
gboolean
gst_fdpass_buffer_info_set_video_meta (GstFdPassBufferInfo * info,
    const GstVideoMeta * meta)
{
  GstFdPassVideoInfo *v;
  guint i;

  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (meta != NULL, FALSE);

  if (meta->n_planes == 0 || meta->n_planes > GST_VIDEO_MAX_PLANES)
    return FALSE;

  v = &info->video;
  memset (v, 0, sizeof (*v));
  v->format = meta->format;
  v->flags = meta->flags;
  v->width = meta->width;
  v->height = meta->height;
  v->n_planes = meta->n_planes;
  for (i = 0; i < meta->n_planes; i++) {
    v->offset[i] = meta->offset[i];
    v->stride[i] = meta->stride[i];
  }
  info->has_video_meta = TRUE;

  return TRUE;
}

/**
 * gst_fdpass_buffer_info_add_video_meta:
 * @info: a parsed buffer description with a video meta
 * @buffer: the buffer to add it to
 *
 * Adds to @buffer the #GstVideoMeta that the video meta extension block of
 * a parsed buffer message described, so that the receiver's buffer has the
 * sender's plane layout.
 *
 * Returns: (transfer none) (nullable): the added meta
 *
 * Since: 0.1
 */
GstVideoMeta *
gst_fdpass_buffer_info_add_video_meta (const GstFdPassBufferInfo * info,
    GstBuffer * buffer)
{
  const GstFdPassVideoInfo *v;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
  gint stride[GST_VIDEO_MAX_PLANES] = { 0, };
  guint i;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (info->has_video_meta, NULL);

  v = &info->video;
  for (i = 0; i < v->n_planes && i < GST_VIDEO_MAX_PLANES; i++) {
    offset[i] = v->offset[i];
    stride[i] = v->stride[i];
  }

  return gst_buffer_add_video_meta_full (buffer, v->flags, v->format,
      v->width, v->height, v->n_planes, offset, stride);
}
