/* GStreamer fd passing plugin: fdpasssink
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
 * SECTION:element-fdpasssink
 * @title: fdpasssink
 * @see_also: fdpasssrc, fdpay, unixsocketsink
 *
 * Shares the buffers it receives (raw video, or anything else) with the
 * processes that connect to a Unix socket, without copying them: it is
 * `fdpay ! unixsocketsink` in one element. Its properties are those of its
 * children that a user sets most; the others are reached through the
 * children, named `pay` and `sink` (e.g. `pay::zero-copy-foreign-pools=true`
 * on a gst-launch-1.0 line, or gst_child_proxy_set()), and so are the
 * sink's signals (gst_bin_get_by_name (bin, "sink")).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc ! fdpasssink socket-path=/tmp/video.sock
 * ]|
 * and, in another process, `fdpasssrc socket-path=/tmp/video.sock`.
 *
 * Since: 0.2
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpasssink.h"

#include "gstfdpasselements.h"
#include "gstfdpassproxy.h"
#include "gstfdpay.h"
#include "gstunixsocketsink.h"

GST_DEBUG_CATEGORY_STATIC (gst_fdpass_sink_debug);
#define GST_CAT_DEFAULT gst_fdpass_sink_debug

enum
{
  CHILD_PAY,
  CHILD_SINK,
  N_CHILDREN
};

/* the property ids are the positions in this table plus one */
static const FdPassProxyProperty proxied[] = {
  {"socket-path", CHILD_SINK},
  {"socket-type", CHILD_SINK},
  {"perms", CHILD_SINK},
  {"fd", CHILD_SINK},
  {"wait-for-connection", CHILD_SINK},
  {"allowed-uids", CHILD_SINK},
  {"allowed-gids", CHILD_SINK},
  {"max-clients", CHILD_SINK},
  {"max-pending", CHILD_SINK},
  {"max-held-bytes", CHILD_SINK},
  {"slow-client-policy", CHILD_SINK},
  {"timeout", CHILD_SINK},
  {"sync", CHILD_SINK},
  {"stats", CHILD_SINK},
};

struct _GstFdPassSink
{
  GstBin parent;

  GstElement *children[N_CHILDREN];
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_fdpass_sink_parent_class parent_class
G_DEFINE_TYPE (GstFdPassSink, gst_fdpass_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fdpasssink, "fdpasssink",
    GST_RANK_NONE, GST_TYPE_FDPASS_SINK, fdpass_element_init (plugin));

static void
gst_fdpass_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstFdPassSink *self = GST_FDPASS_SINK (object);

  if (!fdpass_proxy_set_property (self->children, proxied,
          G_N_ELEMENTS (proxied), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_fdpass_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstFdPassSink *self = GST_FDPASS_SINK (object);

  if (!fdpass_proxy_get_property (self->children, proxied,
          G_N_ELEMENTS (proxied), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_fdpass_sink_class_init (GstFdPassSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GType child_types[N_CHILDREN] = {
    GST_TYPE_FD_PAY, GST_TYPE_UNIX_SOCKET_SINK
  };

  gobject_class->set_property = gst_fdpass_sink_set_property;
  gobject_class->get_property = gst_fdpass_sink_get_property;

  fdpass_proxy_install_properties (gobject_class, proxied,
      G_N_ELEMENTS (proxied), child_types);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "File descriptor passing sink", "Sink/Network",
      "Shares buffers with other processes over a Unix socket without "
      "copying them (fdpay ! unixsocketsink)", "gst-fdpass contributors");

  GST_DEBUG_CATEGORY_INIT (gst_fdpass_sink_debug, "fdpasssink", 0,
      "fdpay ! unixsocketsink");
}

static void
gst_fdpass_sink_init (GstFdPassSink * self)
{
  GstPadTemplate *templ;
  GstPad *pad, *ghost;

  /* by type: the children are this plugin's own */
  self->children[CHILD_PAY] = g_object_new (GST_TYPE_FD_PAY, "name", "pay",
      NULL);
  self->children[CHILD_SINK] = g_object_new (GST_TYPE_UNIX_SOCKET_SINK,
      "name", "sink", NULL);

  gst_bin_add_many (GST_BIN (self), self->children[CHILD_PAY],
      self->children[CHILD_SINK], NULL);
  gst_element_link (self->children[CHILD_PAY], self->children[CHILD_SINK]);

  pad = gst_element_get_static_pad (self->children[CHILD_PAY], "sink");
  templ = gst_static_pad_template_get (&sink_template);
  ghost = gst_ghost_pad_new_from_template ("sink", pad, templ);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  gst_object_unref (templ);
  gst_object_unref (pad);
}
