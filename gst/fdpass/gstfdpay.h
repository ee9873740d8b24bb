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

#ifndef __GST_FD_PAY_H__
#define __GST_FD_PAY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstFdPayPayload:
 * @GST_FD_PAY_PAYLOAD_FD: frames stay in shared memory and messages pass
 *     their file descriptors: for Unix sockets on one machine
 * @GST_FD_PAY_PAYLOAD_INLINE: the bytes of each frame follow its message
 *     (protocol 1.3): for any byte stream, TCP or SRT to another machine
 *
 * What fdpay's buffer messages carry.
 */
typedef enum
{
  GST_FD_PAY_PAYLOAD_FD,
  GST_FD_PAY_PAYLOAD_INLINE,
} GstFdPayPayload;

#define GST_TYPE_FD_PAY_PAYLOAD (gst_fd_pay_payload_get_type ())
GType gst_fd_pay_payload_get_type (void);

#define GST_TYPE_FD_PAY (gst_fd_pay_get_type ())
G_DECLARE_FINAL_TYPE (GstFdPay, gst_fd_pay, GST, FD_PAY, GstElement)

G_END_DECLS

#endif /* __GST_FD_PAY_H__ */
