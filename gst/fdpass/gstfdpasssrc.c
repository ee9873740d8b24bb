/* GStreamer fd passing plugin: fdpasssrc
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
 * SECTION:element-fdpasssrc
 * @title: fdpasssrc
 * @see_also: fdpasssink, unixsocketsrc, fddepay
 *
 * Receives the buffers another process shares over a Unix socket (with
 * fdpasssink, or fdpay ! unixsocketsink), mapped read-only from the
 * sender's memory without a copy: it is `unixsocketsrc ! fddepay` in one
 * element, and gives the buffers with the caps the sender had. Its
 * properties are those of its children that a user sets most; the others
 * are reached through the children, named `src` and `depay` (e.g.
 * `depay::max-buffer-size=0` on a gst-launch-1.0 line, or
 * gst_child_proxy_set()).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 fdpasssrc socket-path=/tmp/video.sock ! videoconvert ! autovideosink
 * ]|
 *
 * Since: 0.2
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpasssrc.h"

#include "gstfddepay.h"
#include "gstfdpasselements.h"
#include "gstfdpassproxy.h"
#include "gstunixsocketsrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_fdpass_src_debug);
#define GST_CAT_DEFAULT gst_fdpass_src_debug

enum
{
  CHILD_SRC,
  CHILD_DEPAY,
  N_CHILDREN
};

/* the property ids are the positions in this table plus one */
static const FdPassProxyProperty proxied[] = {
  {"socket-path", CHILD_SRC},
  {"socket-type", CHILD_SRC},
  {"fd", CHILD_SRC},
  {"reconnect", CHILD_SRC},
  {"retry", CHILD_SRC},
  {"retry-interval", CHILD_SRC},
  {"is-live", CHILD_SRC},
  {"num-buffers", CHILD_SRC},
  {"sender-running-time", CHILD_DEPAY},
  {"max-buffer-size", CHILD_DEPAY},
  {"stats", CHILD_DEPAY},
};

struct _GstFdPassSrc
{
  GstBin parent;

  GstElement *children[N_CHILDREN];
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_fdpass_src_parent_class parent_class
G_DEFINE_TYPE (GstFdPassSrc, gst_fdpass_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fdpasssrc, "fdpasssrc",
    GST_RANK_NONE, GST_TYPE_FDPASS_SRC, fdpass_element_init (plugin));

static void
gst_fdpass_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstFdPassSrc *self = GST_FDPASS_SRC (object);

  if (!fdpass_proxy_set_property (self->children, proxied,
          G_N_ELEMENTS (proxied), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_fdpass_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstFdPassSrc *self = GST_FDPASS_SRC (object);

  if (!fdpass_proxy_get_property (self->children, proxied,
          G_N_ELEMENTS (proxied), prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_fdpass_src_class_init (GstFdPassSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GType child_types[N_CHILDREN] = {
    GST_TYPE_UNIX_SOCKET_SRC, GST_TYPE_FD_DEPAY
  };

  gobject_class->set_property = gst_fdpass_src_set_property;
  gobject_class->get_property = gst_fdpass_src_get_property;

  fdpass_proxy_install_properties (gobject_class, proxied,
      G_N_ELEMENTS (proxied), child_types);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "File descriptor passing source", "Source/Network",
      "Receives buffers that another process shares over a Unix socket, "
      "without copying them (unixsocketsrc ! fddepay)",
      "gst-fdpass contributors");

  GST_DEBUG_CATEGORY_INIT (gst_fdpass_src_debug, "fdpasssrc", 0,
      "unixsocketsrc ! fddepay");
}

static void
gst_fdpass_src_init (GstFdPassSrc * self)
{
  GstPadTemplate *templ;
  GstPad *pad, *ghost;

  /* by type: the children are this plugin's own */
  self->children[CHILD_SRC] = g_object_new (GST_TYPE_UNIX_SOCKET_SRC,
      "name", "src", NULL);
  self->children[CHILD_DEPAY] = g_object_new (GST_TYPE_FD_DEPAY,
      "name", "depay", NULL);

  gst_bin_add_many (GST_BIN (self), self->children[CHILD_SRC],
      self->children[CHILD_DEPAY], NULL);
  gst_element_link (self->children[CHILD_SRC], self->children[CHILD_DEPAY]);

  pad = gst_element_get_static_pad (self->children[CHILD_DEPAY], "src");
  templ = gst_static_pad_template_get (&src_template);
  ghost = gst_ghost_pad_new_from_template ("src", pad, templ);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  gst_object_unref (templ);
  gst_object_unref (pad);
}
