/* GStreamer fd passing plugin: properties of a bin proxied to its children
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

/* fdpasssink and fdpasssrc show the useful properties of their children
 * as their own: each is installed on the bin as a copy of the child's
 * GParamSpec (so gst-inspect-1.0 shows the child's range, default and
 * blurb), and reading or writing it reads or writes the child's. The
 * property ids are the positions in the table plus one. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpassproxy.h"

/* A new GParamSpec like @pspec, or NULL for a type this does not know. */
static GParamSpec *
fdpass_param_spec_copy (GParamSpec * pspec)
{
  const gchar *name = g_param_spec_get_name (pspec);
  const gchar *nick = g_param_spec_get_nick (pspec);
  const gchar *blurb = g_param_spec_get_blurb (pspec);
  /* the strings are the child class's, which lives as long as ours */
  GParamFlags flags = pspec->flags | G_PARAM_STATIC_STRINGS;

  if (G_IS_PARAM_SPEC_BOOLEAN (pspec)) {
    GParamSpecBoolean *p = G_PARAM_SPEC_BOOLEAN (pspec);

    return g_param_spec_boolean (name, nick, blurb, p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_INT (pspec)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT (pspec);

    return g_param_spec_int (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_UINT (pspec)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT (pspec);

    return g_param_spec_uint (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_INT64 (pspec)) {
    GParamSpecInt64 *p = G_PARAM_SPEC_INT64 (pspec);

    return g_param_spec_int64 (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_UINT64 (pspec)) {
    GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (pspec);

    return g_param_spec_uint64 (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_ENUM (pspec)) {
    GParamSpecEnum *p = G_PARAM_SPEC_ENUM (pspec);

    return g_param_spec_enum (name, nick, blurb, pspec->value_type,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_FLAGS (pspec)) {
    GParamSpecFlags *p = G_PARAM_SPEC_FLAGS (pspec);

    return g_param_spec_flags (name, nick, blurb, pspec->value_type,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_STRING (pspec)) {
    GParamSpecString *p = G_PARAM_SPEC_STRING (pspec);

    return g_param_spec_string (name, nick, blurb, p->default_value, flags);
  } else if (GST_IS_PARAM_SPEC_ARRAY_LIST (pspec)) {
    GstParamSpecArray *p = GST_PARAM_SPEC_ARRAY_LIST (pspec);

    return gst_param_spec_array (name, nick, blurb,
        p->element_spec ? fdpass_param_spec_copy (p->element_spec) : NULL,
        flags);
  } else if (G_IS_PARAM_SPEC_BOXED (pspec)) {
    return g_param_spec_boxed (name, nick, blurb, pspec->value_type, flags);
  }

  return NULL;
}

/* Installs on @klass the properties @props of the children, whose types
 * are @child_types. A property a child does not have is left out. */
void
fdpass_proxy_install_properties (GObjectClass * klass,
    const FdPassProxyProperty * props, guint n_props, const GType * child_types)
{
  guint i;

  for (i = 0; i < n_props; i++) {
    GObjectClass *child_class = g_type_class_ref (child_types[props[i].child]);
    GParamSpec *pspec, *copy = NULL;

    pspec = g_object_class_find_property (child_class, props[i].name);
    if (pspec)
      copy = fdpass_param_spec_copy (pspec);
    if (copy)
      g_object_class_install_property (klass, i + 1, copy);
    else
      g_warning ("cannot proxy property '%s' of %s", props[i].name,
          g_type_name (child_types[props[i].child]));
    /* the child's class stays: its strings are ours now */
  }
}

gboolean
fdpass_proxy_set_property (GstElement ** children,
    const FdPassProxyProperty * props, guint n_props, guint prop_id,
    const GValue * value)
{
  if (prop_id == 0 || prop_id > n_props)
    return FALSE;

  g_object_set_property (G_OBJECT (children[props[prop_id - 1].child]),
      props[prop_id - 1].name, value);

  return TRUE;
}

gboolean
fdpass_proxy_get_property (GstElement ** children,
    const FdPassProxyProperty * props, guint n_props, guint prop_id,
    GValue * value)
{
  if (prop_id == 0 || prop_id > n_props)
    return FALSE;

  g_object_get_property (G_OBJECT (children[props[prop_id - 1].child]),
      props[prop_id - 1].name, value);

  return TRUE;
}
