package io.adapterplatform.serving.pool;

import io.swagger.v3.oas.annotations.media.Schema;

/** The three places an adapter version can be held, slowest first. */
@Schema(name = "ServingTier", enumAsRef = true)
public enum Tier {
  DISK,
  HOST,
  DEVICE;

  /** The lower-case tag of metrics and the admin API. */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
