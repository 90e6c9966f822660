package io.adapterplatform.registry.storage;

/**
 * A feature's declaration of the blobs its rows keep alive. The collector removes a blob only when
 * no declaration covers it, and evaluates all of them in one statement under the blob's lock, so
 * that the feature that owns a table is also the only one that writes SQL against it.
 */
public interface BlobReferences {

  /**
   * An SQL condition, true while some row of this feature refers to the blob whose digest is the
   * expression {@code sha256} (e.g. {@code b.sha256}).
   */
  String referencedCondition(String sha256);
}
