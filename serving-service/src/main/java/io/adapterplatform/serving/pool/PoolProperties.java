package io.adapterplatform.serving.pool;

import java.nio.file.Path;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code platform.serving.pool.*}: the capacities of the three tiers and the layout of the engine's
 * reserved {@code AdapterPool}, which the scheduler creates with the same numbers ({@code
 * AdapterPool.reserve(model, loraPlaces, maxRank, mixPlaces, maxExperts, maxTopK)}).
 *
 * @param diskDir where fetched files are kept; absent: a fresh temporary directory
 * @param diskBytes capacity of the local disk tier, in file bytes
 * @param hostBytes capacity of the host-memory tier, in bytes of parsed fp32 weights
 * @param loraPlaces LoRA/DoRA places of the device pool (indices {@code [0, loraPlaces)})
 * @param mixPlaces MixLoRA places (indices {@code [loraPlaces, loraPlaces + mixPlaces)})
 * @param maxRank the largest LoRA rank a place takes
 * @param maxExperts the most experts a MixLoRA place takes
 * @param maxTopK the largest top_k a MixLoRA place takes
 */
@ConfigurationProperties("platform.serving.pool")
public record PoolProperties(
    Optional<Path> diskDir,
    @DefaultValue("10737418240") long diskBytes,
    @DefaultValue("4294967296") long hostBytes,
    @DefaultValue("64") int loraPlaces,
    @DefaultValue("8") int mixPlaces,
    @DefaultValue("64") int maxRank,
    @DefaultValue("8") int maxExperts,
    @DefaultValue("2") int maxTopK) {

  public PoolProperties {
    diskDir = diskDir == null ? Optional.empty() : diskDir;
    if (diskBytes <= 0 || hostBytes <= 0) {
      throw new IllegalArgumentException(
          "platform.serving.pool.disk-bytes and host-bytes must be positive");
    }
    if (loraPlaces < 0 || mixPlaces < 0 || loraPlaces + mixPlaces == 0) {
      throw new IllegalArgumentException(
          "platform.serving.pool needs at least one lora-place or mix-place");
    }
    if (maxRank <= 0 || maxTopK <= 0 || maxTopK > maxExperts) {
      throw new IllegalArgumentException(
          "platform.serving.pool needs max-rank > 0 and 0 < max-top-k <= max-experts");
    }
  }

  /** The device places in all: adapter slots run from 0 to this minus one. */
  public int places() {
    return loraPlaces + mixPlaces;
  }
}
