package io.adapterplatform.registry.storage;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** {@code platform.registry.*}: where blobs live and how uploads are bounded. */
@ConfigurationProperties("platform.registry")
record StorageProperties(
    String bucket,
    DataSize maxFileSize,
    Duration stagingMaxAge,
    Duration blobGrace,
    Integer maxParts,
    DataSize maxBufferedBytes) {

  StorageProperties {
    bucket = bucket == null || bucket.isBlank() ? "adapter-registry" : bucket;
    maxFileSize = maxFileSize == null ? DataSize.ofGigabytes(16) : maxFileSize;
    stagingMaxAge = stagingMaxAge == null ? Duration.ofHours(1) : stagingMaxAge;
    // An object under blobs/ younger than this may belong to an upload that promoted but has not
    // committed.
    blobGrace = blobGrace == null ? Duration.ofHours(1) : blobGrace;
    // A sharded base model has a config, tokenizer files and its shards: 64 parts hold a 50-shard
    // model.
    maxParts = maxParts == null ? 64 : maxParts;
    // JSON files and safetensors headers are kept in memory until validation: large tokenizers fit.
    maxBufferedBytes = maxBufferedBytes == null ? DataSize.ofMegabytes(128) : maxBufferedBytes;
    if (maxParts < 1 || maxBufferedBytes.toBytes() < 1) {
      throw new IllegalArgumentException(
          "platform.registry.max-parts and max-buffered-bytes must be positive");
    }
  }
}
