package io.adapterplatform.engine.model;

/**
 * One sequence's share of the rows of a forward pass: {@code length} consecutive rows that continue
 * the sequence held in {@code cache} (null: a fresh sequence with nothing cached, nothing kept).
 */
public record Segment(int length, KvCache cache) {

  public Segment {
    if (length <= 0) {
      throw new IllegalArgumentException("a segment needs at least one token, got " + length);
    }
  }

  /** A fresh sequence of {@code length} tokens without a cache (scoring, training). */
  public static Segment of(int length) {
    return new Segment(length, null);
  }

  int past() {
    return cache == null ? 0 : cache.length();
  }
}
