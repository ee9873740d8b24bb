/* GStreamer fd passing plugin
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

#ifndef __GST_FDPASS_SOCKET_H__
#define __GST_FDPASS_SOCKET_H__

#include <glib.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

G_BEGIN_DECLS

/* addresses and listening sockets */

G_GNUC_INTERNAL
gboolean gst_fdpass_socket_address (const gchar * path,
                                    struct sockaddr_un * addr,
                                    socklen_t * len);

G_GNUC_INTERNAL
gboolean gst_fdpass_socket_address_full (const gchar * name,
                                         gboolean abstract,
                                         struct sockaddr_un * addr,
                                         socklen_t * len);

G_GNUC_INTERNAL
gint     gst_fdpass_socket_listen  (const gchar * path,
                                    guint perms,
                                    gchar ** created_path,
                                    GError ** error);

G_GNUC_INTERNAL
gint     gst_fdpass_socket_listen_full (const gchar * name,
                                        gboolean abstract,
                                        guint perms,
                                        gchar ** created_path,
                                        GError ** error);

/* peer credentials and access control */

/**
 * GstFdPassPeer:
 * @pid: process id of the peer when it connected, as seen from this
 *     process's pid namespace (0 when it is not visible from here)
 * @uid: effective user id of the peer when it connected
 * @gid: effective group id of the peer when it connected
 * @n_groups: number of entries in @groups
 * @groups: the supplementary groups of the peer when it connected
 *     (SO_PEERGROUPS, Linux 4.13 and later; possibly none). Where the
 *     kernel cannot tell them, only @gid.
 *
 * Who is at the other end of a connected Unix socket, as the kernel
 * recorded it at connect() (or socketpair()) time. A peer in a user
 * namespace that does not map its ids into ours shows up with the overflow
 * ids (usually 65534).
 *
 * Fill it with gst_fdpass_socket_get_peer() and free what it holds with
 * gst_fdpass_peer_clear().
 */
typedef struct
{
  pid_t pid;
  guint uid;
  guint gid;
  guint n_groups;
  guint *groups;
} GstFdPassPeer;

G_GNUC_INTERNAL
gboolean gst_fdpass_socket_get_peer (gint fd,
                                     GstFdPassPeer * peer);

G_GNUC_INTERNAL
void     gst_fdpass_peer_clear      (GstFdPassPeer * peer);

G_GNUC_INTERNAL
gboolean gst_fdpass_peer_is_allowed (const GstFdPassPeer * peer,
                                     const guint * uids,
                                     guint n_uids,
                                     const guint * gids,
                                     guint n_gids);

G_GNUC_INTERNAL
gchar *  gst_fdpass_peer_to_string  (const GstFdPassPeer * peer);

/* messages with file descriptors */

/**
 * GstFdPassRecvFlags:
 * @GST_FDPASS_RECV_FLAG_NONE: the message came whole, with every file
 *     descriptor it carried
 * @GST_FDPASS_RECV_FLAG_TRUNCATED: the message (a SOCK_SEQPACKET or
 *     SOCK_DGRAM packet) was larger than the buffer; the rest of it is lost
 *     (MSG_TRUNC)
 * @GST_FDPASS_RECV_FLAG_FDS_TRUNCATED: the message carried more file
 *     descriptors than fit in one message, or this process ran out of file
 *     descriptors (RLIMIT_NOFILE) while receiving them (MSG_CTRUNC); every
 *     descriptor that came was closed
 * @GST_FDPASS_RECV_FLAG_FDS_DROPPED: the message carried more file
 *     descriptors than the caller has room for; those were closed
 *
 * What gst_fdpass_socket_receive() reports about one message.
 */
typedef enum
{
  GST_FDPASS_RECV_FLAG_NONE = 0,
  GST_FDPASS_RECV_FLAG_TRUNCATED = (1 << 0),
  GST_FDPASS_RECV_FLAG_FDS_TRUNCATED = (1 << 1),
  GST_FDPASS_RECV_FLAG_FDS_DROPPED = (1 << 2),
} GstFdPassRecvFlags;

G_GNUC_INTERNAL
gssize   gst_fdpass_socket_receive (gint fd,
                                    guint8 * buf,
                                    gsize size,
                                    gint * fds,
                                    guint max_fds,
                                    guint * n_fds,
                                    GstFdPassRecvFlags * flags);

G_GNUC_INTERNAL
gssize   gst_fdpass_socket_send    (gint fd,
                                    const guint8 * data,
                                    gsize size,
                                    const gint * fds,
                                    guint n_fds);

G_GNUC_INTERNAL
void     gst_fdpass_close_fds      (gint * fds,
                                    guint n);

G_END_DECLS

#endif /* __GST_FDPASS_SOCKET_H__ */
