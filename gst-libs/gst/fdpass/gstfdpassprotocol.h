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

#ifndef __GST_FDPASS_PROTOCOL_H__
#define __GST_FDPASS_PROTOCOL_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/fdpass/fdpass-prelude.h>

G_BEGIN_DECLS

/**
 * GST_FDPASS_MAGIC:
 *
 * The first four bytes of every message: "FDPS".
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAGIC 0x53504446u

/**
 * GST_FDPASS_VERSION_MAJOR:
 *
 * Major version of the wire protocol this library speaks. A peer with
 * another major version cannot be understood.
 *
 * Since: 0.1
 */
#define GST_FDPASS_VERSION_MAJOR 1

/**
 * GST_FDPASS_VERSION_MINOR:
 *
 * Minor version of the wire protocol. Minor versions add message types,
 * extension blocks and trailing fields that older peers skip, and (1.3)
 * inline buffers, which a sender sends only when told to.
 *
 * Since: 0.1
 */
#define GST_FDPASS_VERSION_MINOR 3

/**
 * GST_FDPASS_HEADER_SIZE:
 *
 * Size in bytes of the fixed header in front of every message.
 *
 * Since: 0.1
 */
#define GST_FDPASS_HEADER_SIZE 16

/**
 * GST_FDPASS_MAX_PAYLOAD:
 *
 * Largest payload a message may announce. Anything larger is rejected
 * before any memory is allocated for it.
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAX_PAYLOAD (64 * 1024)

/**
 * GST_FDPASS_MAX_FDS:
 *
 * Largest number of file descriptors one message may carry.
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAX_FDS 16

/**
 * GST_FDPASS_MAX_MEMORIES:
 *
 * Largest number of memories one buffer message may describe.
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAX_MEMORIES 16

/**
 * GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE:
 *
 * Size in bytes, header included, of the largest buffer message this
 * library writes: %GST_FDPASS_MAX_FDS fds, %GST_FDPASS_MAX_MEMORIES
 * memories, a video meta and a stream time.
 *
 * Since: 0.2
 */
#define GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE 1064

/**
 * GST_FDPASS_MAX_RELEASE_IDS:
 *
 * Largest number of buffer ids one release message may carry.
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAX_RELEASE_IDS 4096

/**
 * GST_FDPASS_RELEASE_MESSAGE_SIZE:
 * @n_ids: number of ids
 *
 * Size in bytes of a release message with @n_ids ids, header included.
 *
 * Since: 0.3
 */
#define GST_FDPASS_RELEASE_MESSAGE_SIZE(n_ids) \
    (GST_FDPASS_HEADER_SIZE + 8 + 8 * (gsize) (n_ids))

/**
 * GST_FDPASS_MAX_FORGET_FILES:
 *
 * Largest number of files one forget message may name.
 *
 * Since: 0.1
 */
#define GST_FDPASS_MAX_FORGET_FILES 4000

/**
 * GstFdPassMessageType:
 * @GST_FDPASS_MESSAGE_HELLO: protocol version and features; the first
 *     message in each direction
 * @GST_FDPASS_MESSAGE_CAPS: the caps of the buffers that follow, as a
 *     NUL-terminated string
 * @GST_FDPASS_MESSAGE_BUFFER: one buffer, its memories living in the file
 *     descriptors attached to the message
 * @GST_FDPASS_MESSAGE_EOS: end of stream
 * @GST_FDPASS_MESSAGE_RELEASE: receiver to sender: the buffers with these
 *     ids are no longer used
 * @GST_FDPASS_MESSAGE_FORGET: sender to receiver: the receiver may close
 *     these kept files (protocol 1.1)
 * @GST_FDPASS_MESSAGE_SEGMENT: sender to receiver: the segment of the
 *     buffers that follow, as the sender had it (protocol 1.2, since 0.2)
 *
 * Message types. Receivers skip types they do not know.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_FDPASS_MESSAGE_HELLO = 1,
  GST_FDPASS_MESSAGE_CAPS = 2,
  GST_FDPASS_MESSAGE_BUFFER = 3,
  GST_FDPASS_MESSAGE_EOS = 4,
  GST_FDPASS_MESSAGE_RELEASE = 5,
  GST_FDPASS_MESSAGE_FORGET = 6,
  GST_FDPASS_MESSAGE_SEGMENT = 7,
} GstFdPassMessageType;

/**
 * GstFdPassFeatures:
 * @GST_FDPASS_FEATURE_NONE: nothing
 * @GST_FDPASS_FEATURE_RELEASE: in a sender's hello: the sender reads release
 *     messages and recycles memory; in a receiver's hello: the receiver sends
 *     them
 * @GST_FDPASS_FEATURE_FILES: in a sender's hello: the sender may ask the
 *     receiver to keep files and then refer to them without passing their
 *     descriptor again; in a receiver's hello: the receiver keeps up to
 *     the max_files of its #GstFdPassHello such files (protocol 1.1)
 * @GST_FDPASS_FEATURE_INLINE: in a sender's hello: buffer messages carry
 *     the bytes of the buffer after them instead of file descriptors
 *     (protocol 1.3, Since: 0.3)
 *
 * Feature bits exchanged in hello messages.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_FDPASS_FEATURE_NONE = 0,
  GST_FDPASS_FEATURE_RELEASE = (1 << 0),
  GST_FDPASS_FEATURE_FILES = (1 << 1),
  GST_FDPASS_FEATURE_INLINE = (1 << 2),
} GstFdPassFeatures;

/**
 * GstFdPassHeaderFlags:
 * @GST_FDPASS_HEADER_FLAG_NONE: nothing
 * @GST_FDPASS_HEADER_FLAG_INLINE: on a buffer message: the bytes of the
 *     buffer, its memories concatenated, follow the message in the stream
 *     (protocol 1.3)
 *
 * Flags of the message header.
 *
 * Since: 0.3
 */
typedef enum
{
  GST_FDPASS_HEADER_FLAG_NONE = 0,
  GST_FDPASS_HEADER_FLAG_INLINE = (1 << 0),
} GstFdPassHeaderFlags;

/**
 * GST_FDPASS_INLINE_FD_INDEX:
 *
 * The fd index of the memories of an inline buffer message
 * (%GST_FDPASS_HEADER_FLAG_INLINE): they refer to no file but to the data
 * after the message, and their offset is where they start in it.
 *
 * Since: 0.3
 */
#define GST_FDPASS_INLINE_FD_INDEX G_MAXUINT32

/**
 * GstFdPassFdKind:
 * @GST_FDPASS_FD_KIND_FILE: a memfd or another regular file
 * @GST_FDPASS_FD_KIND_DMABUF: a DMA buffer
 *
 * What a passed file descriptor refers to.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_FDPASS_FD_KIND_FILE = 0,
  GST_FDPASS_FD_KIND_DMABUF = 1,
} GstFdPassFdKind;

/**
 * GstFdPassFdFlags:
 * @GST_FDPASS_FD_FLAG_NONE: the descriptor is attached, the receiver closes
 *     it once it is done with the buffer
 * @GST_FDPASS_FD_FLAG_KEEP: the descriptor is attached and the receiver keeps
 *     the file until a forget message names it
 * @GST_FDPASS_FD_FLAG_KEPT: no descriptor is attached: the entry names a file
 *     the receiver keeps since an earlier %GST_FDPASS_FD_FLAG_KEEP entry
 *
 * Flags of an fd table entry. Both flags need the
 * %GST_FDPASS_FEATURE_FILES feature on both sides and apply to files
 * (%GST_FDPASS_FD_KIND_FILE) only. (protocol 1.1)
 *
 * Since: 0.1
 */
typedef enum
{
  GST_FDPASS_FD_FLAG_NONE = 0,
  GST_FDPASS_FD_FLAG_KEEP = (1 << 0),
  GST_FDPASS_FD_FLAG_KEPT = (1 << 1),
} GstFdPassFdFlags;

/**
 * GST_FDPASS_ERROR:
 *
 * Error domain of protocol errors; the codes are #GstFdPassError values.
 *
 * Since: 0.1
 */
#define GST_FDPASS_ERROR (gst_fdpass_error_quark ())

/**
 * GstFdPassError:
 * @GST_FDPASS_ERROR_INVALID: the bytes are not a valid message
 * @GST_FDPASS_ERROR_VERSION: the peer speaks an unsupported version
 * @GST_FDPASS_ERROR_TOO_LARGE: a size or count is beyond the limits
 * @GST_FDPASS_ERROR_FD: a file descriptor is missing or not what the message
 *     described
 *
 * Error codes of the %GST_FDPASS_ERROR domain: why a message was refused.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_FDPASS_ERROR_INVALID,
  GST_FDPASS_ERROR_VERSION,
  GST_FDPASS_ERROR_TOO_LARGE,
  GST_FDPASS_ERROR_FD,
} GstFdPassError;

GST_FDPASS_API
GQuark gst_fdpass_error_quark (void);

/**
 * GstFdPassHeader:
 * @type: a #GstFdPassMessageType, or an unknown type to skip
 * @n_fds: number of file descriptors sent with the message
 * @flags: reserved, 0
 * @payload_size: bytes that follow the header
 *
 * The fixed header in front of every message.
 *
 * Since: 0.1
 */
typedef struct {
  guint16 type;
  guint16 n_fds;
  guint32 flags;
  guint32 payload_size;
} GstFdPassHeader;

/**
 * GstFdPassHello:
 * @version_major: protocol major version
 * @version_minor: protocol minor version
 * @features: #GstFdPassFeatures
 * @max_files: in a receiver's hello with %GST_FDPASS_FEATURE_FILES: how many
 *     files the receiver keeps at most; 0 otherwise (protocol 1.1)
 *
 * The payload of a hello message.
 *
 * Since: 0.1
 */
typedef struct {
  guint16 version_major;
  guint16 version_minor;
  guint32 features;
  guint32 max_files;
} GstFdPassHello;

/**
 * GstFdPassFdInfo:
 * @kind: a #GstFdPassFdKind
 * @flags: #GstFdPassFdFlags
 * @dev: st_dev of the file
 * @ino: st_ino of the file
 * @size: size of the file in bytes when it was sent
 *
 * Identity of one passed file descriptor, so that the receiver can check it
 * got the file the sender meant.
 *
 * Since: 0.1
 */
typedef struct {
  guint32 kind;
  guint32 flags;
  guint64 dev;
  guint64 ino;
  guint64 size;
} GstFdPassFdInfo;

/**
 * GstFdPassMemInfo:
 * @fd_index: index into the fds of the message
 * @offset: where the memory starts in the file
 * @size: size of the memory
 *
 * Where one memory of a buffer lies: a range of one of the files of the
 * message.
 *
 * Since: 0.1
 */
typedef struct {
  guint32 fd_index;
  guint64 offset;
  guint64 size;
} GstFdPassMemInfo;

/**
 * GstFdPassVideoInfo:
 * @format: a #GstVideoFormat
 * @flags: #GstVideoFrameFlags
 * @width: width in pixels
 * @height: height in pixels
 * @n_planes: number of planes, at most %GST_VIDEO_MAX_PLANES
 * @offset: offset of each plane from the start of the buffer
 * @stride: stride of each plane
 *
 * The #GstVideoMeta of a buffer.
 *
 * Since: 0.1
 */
typedef struct {
  guint32 format;
  guint32 flags;
  guint32 width;
  guint32 height;
  guint32 n_planes;
  guint64 offset[GST_VIDEO_MAX_PLANES];
  gint32 stride[GST_VIDEO_MAX_PLANES];
} GstFdPassVideoInfo;

/**
 * GstFdPassBufferInfo:
 * @id: buffer id, unique per sender and connection; releases name it
 * @pts: presentation timestamp or %GST_CLOCK_TIME_NONE
 * @dts: decoding timestamp or %GST_CLOCK_TIME_NONE
 * @duration: duration or %GST_CLOCK_TIME_NONE
 * @offset: buffer offset
 * @offset_end: buffer offset end
 * @flags: #GstBufferFlags
 * @n_fds: number of entries in the fd table
 * @fds: identity of each file, in table order; the descriptors of the entries
 *     without %GST_FDPASS_FD_FLAG_KEPT are attached in this order
 * @n_memories: number of memories
 * @memories: the memories, in buffer order
 * @has_video_meta: whether @video is valid
 * @video: the video meta, when @has_video_meta
 * @has_stream_time: whether @stream_time is valid
 * @stream_time: the sender's stream time of @pts (its position in the
 *     stream, e.g. from the start of a file or playlist), or
 *     %GST_CLOCK_TIME_NONE
 *
 * Everything a buffer message says about a buffer.
 *
 * Since: 0.1
 */
typedef struct {
  guint64 id;
  GstClockTime pts;
  GstClockTime dts;
  GstClockTime duration;
  guint64 offset;
  guint64 offset_end;
  guint32 flags;

  guint n_fds;
  GstFdPassFdInfo fds[GST_FDPASS_MAX_FDS];

  guint n_memories;
  GstFdPassMemInfo memories[GST_FDPASS_MAX_MEMORIES];

  gboolean has_video_meta;
  GstFdPassVideoInfo video;

  gboolean has_stream_time;
  GstClockTime stream_time;
} GstFdPassBufferInfo;

/* encoding */

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_hello   (const GstFdPassHello * hello);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_caps    (const GstCaps * caps);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_buffer  (const GstFdPassBufferInfo * info);

GST_FDPASS_API
gsize       gst_fdpass_buffer_info_write   (const GstFdPassBufferInfo * info,
                                            guint8 * data,
                                            gsize size);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_eos     (void);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_release (const guint64 * ids,
                                            guint n_ids);

GST_FDPASS_API
gsize       gst_fdpass_release_write       (const guint64 * ids,
                                            guint n_ids,
                                            guint8 * data,
                                            gsize size);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_forget  (const GstFdPassFdInfo * files,
                                            guint n_files);

GST_FDPASS_API
GstBuffer * gst_fdpass_message_new_segment (const GstSegment * segment);

/* decoding */

GST_FDPASS_API
gboolean    gst_fdpass_header_parse        (const guint8 * data,
                                            gsize size,
                                            GstFdPassHeader * header,
                                            GError ** error);

GST_FDPASS_API
gboolean    gst_fdpass_hello_parse         (const guint8 * payload,
                                            gsize size,
                                            GstFdPassHello * hello,
                                            GError ** error);

GST_FDPASS_API
GstCaps *   gst_fdpass_caps_parse          (const guint8 * payload,
                                            gsize size,
                                            GError ** error);

GST_FDPASS_API
gboolean    gst_fdpass_buffer_parse        (const GstFdPassHeader * header,
                                            const guint8 * payload,
                                            gsize size,
                                            GstFdPassBufferInfo * info,
                                            GError ** error);

GST_FDPASS_API
gboolean    gst_fdpass_segment_parse       (const guint8 * payload,
                                            gsize size,
                                            GstSegment * segment,
                                            GError ** error);

GST_FDPASS_API
gboolean    gst_fdpass_release_parse       (const guint8 * payload,
                                            gsize size,
                                            guint64 ** ids,
                                            guint * n_ids,
                                            GError ** error);

GST_FDPASS_API
gboolean    gst_fdpass_forget_parse        (const guint8 * payload,
                                            gsize size,
                                            GstFdPassFdInfo ** files,
                                            guint * n_files,
                                            GError ** error);

GST_FDPASS_API
guint       gst_fdpass_buffer_info_n_attached (const GstFdPassBufferInfo * info);

/* helpers */

GST_FDPASS_API
gboolean    gst_fdpass_fd_info_from_fd     (gint fd,
                                            GstFdPassFdKind kind,
                                            GstFdPassFdInfo * info);

GST_FDPASS_API
gboolean    gst_fdpass_buffer_info_set_video_meta (GstFdPassBufferInfo * info,
                                                   const GstVideoMeta * meta);

GST_FDPASS_API
GstVideoMeta * gst_fdpass_buffer_info_add_video_meta (const GstFdPassBufferInfo * info,
                                                      GstBuffer * buffer);

G_END_DECLS

#endif /* __GST_FDPASS_PROTOCOL_H__ */
