package io.adapterplatform.registry.storage;

import java.security.MessageDigest;

/**
 * The sha256 of consecutive fixed-size chunks of a blob, recorded while its upload streamed, so
 * that a Range request can read and verify only the chunks it covers. {@code digests} holds 32
 * bytes per chunk from chunk {@code firstChunk} on (all of them when recorded; a slice when loaded
 * for one range). The last chunk of a blob may be shorter than {@code chunkSize}.
 */
record ChunkDigests(int chunkSize, long firstChunk, byte[] digests) {

  /**
   * Chunk size of new uploads: a ranged read costs at most two chunks beyond the range itself, and
   * the digests cost 32 bytes per MiB (512 KiB for a 16 GiB file). Stored with each blob, so it may
   * change later.
   */
  static final int CHUNK_SIZE = 1024 * 1024;

  static final int DIGEST_BYTES = 32;

  ChunkDigests {
    if (chunkSize <= 0 || firstChunk < 0 || digests.length % DIGEST_BYTES != 0) {
      throw new IllegalArgumentException("malformed chunk digests");
    }
  }

  int count() {
    return digests.length / DIGEST_BYTES;
  }

  /**
   * Whether {@code digest} is the recorded digest of chunk {@code index} (of the blob, not of this
   * slice).
   */
  boolean matches(long index, byte[] digest) {
    long slot = index - firstChunk;
    if (slot < 0 || slot >= count() || digest.length != DIGEST_BYTES) {
      return false;
    }
    int at = (int) slot * DIGEST_BYTES;
    return MessageDigest.isEqual(
        java.util.Arrays.copyOfRange(digests, at, at + DIGEST_BYTES), digest);
  }
}
