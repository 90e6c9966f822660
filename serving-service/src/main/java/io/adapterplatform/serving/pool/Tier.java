package io.adapterplatform.serving.pool;

/** The three places an adapter version can be held, slowest first. */
public enum Tier {
  DISK,
  HOST,
  DEVICE;

  /** The lower-case tag of metrics and the admin API. */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
