package io.adapterplatform.registry.mixlora;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.MixLoraComposer;
import io.adapterplatform.engine.format.RouterInit;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.registry.adapter.GeneratedContent;
import io.adapterplatform.registry.adapter.Versions;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.storage.BlobStore;
import io.adapterplatform.web.problem.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a recipe (source LoRA versions + router seed) into a {@link MixLoraComposer.Composition}
 * whose expert tensors are ranged reads of the sources' stored blobs: a composed version stores no
 * weight bytes of its own, and its reference-layout weights are regenerated, byte-identical, on
 * each download. Building a plan reads every distinct source's safetensors header once (bounded in
 * total by {@code platform.registry.max-composition-headers}); built plans of committed versions
 * are kept (at most {@code platform.registry.composition-cache-size}, least recently used dropped),
 * so downloads and expert listings by readers reuse them instead of reading every source again.
 */
@Component
class Compositions implements GeneratedContent {

  static final JsonMapper JSON = JsonMapper.builder().build();

  private final Versions versions;
  private final BlobStore store;
  private final BaseModelCatalog baseModels;
  private final long maxHeaderBytes;
  private final Map<Long, MixLoraComposer.Composition> built;
  private final Counter builds;

  Compositions(
      Versions versions,
      BlobStore store,
      BaseModelCatalog baseModels,
      MeterRegistry meters,
      @Value("${platform.registry.max-composition-headers:64MB}") DataSize maxHeaders,
      @Value("${platform.registry.composition-cache-size:32}") int cacheSize) {
    this.versions = versions;
    this.store = store;
    this.baseModels = baseModels;
    this.maxHeaderBytes = maxHeaders.toBytes();
    this.built =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(
                  Map.Entry<Long, MixLoraComposer.Composition> eldest) {
                return size() > cacheSize;
              }
            });
    this.builds = meters.counter("registry.mixlora.plan.builds");
  }

  /** Builds a plan, reading each distinct source once. */
  MixLoraComposer.Composition plan(MixLoras.Recipe recipe, long baseModelId) {
    builds.increment();
    var base = baseModels.findById(baseModelId).orElseThrow();
    var loaded = new HashMap<Long, MixLoraComposer.Part>();
    long[] headerBudget = {maxHeaderBytes};
    var parts = new ArrayList<MixLoraComposer.Part>();
    for (long id : recipe.experts()) {
      parts.add(loaded.computeIfAbsent(id, k -> part(k, headerBudget)));
    }
    Optional<MixLoraComposer.Part> attention =
        Optional.ofNullable(recipe.attention())
            .map(id -> loaded.computeIfAbsent(id, k -> part(k, headerBudget)));
    return MixLoraComposer.plan(
        base.config(),
        parts,
        attention,
        recipe.topK(),
        new RouterInit(recipe.std(), recipe.seed()),
        base.name());
  }

  /** The plan of a committed composed version: built once, then kept. */
  MixLoraComposer.Composition planOf(long versionId, long baseModelId) {
    var plan = built.get(versionId);
    if (plan == null) {
      plan = plan(recipe(versionId), baseModelId);
      built.put(versionId, plan);
    }
    return plan;
  }

  /**
   * Keeps the plan that composing a version built (versions are immutable, so it never goes stale).
   */
  void keep(long versionId, MixLoraComposer.Composition plan) {
    built.put(versionId, plan);
  }

  private MixLoraComposer.Part part(long versionId, long[] headerBudget) {
    var v = versions.byId(versionId);
    var weights = versions.file(versionId, MixLoraComposer.WEIGHTS_FILE).orElseThrow().file();
    SafetensorsHeader header;
    long left = headerBudget[0];
    if (left <= 0) {
      throw headersTooLarge();
    }
    // A ranged read of at most what the header may take: never the weights behind it.
    try (InputStream in =
        store.openRange(weights.sha256(), 0, Math.min(weights.size(), 8 + left))) {
      header = SafetensorsHeader.read(in, MixLoraComposer.WEIGHTS_FILE, left);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    headerBudget[0] -= header.headerLength();
    AdapterConfig config = AdapterConfig.parse(v.configJson(), MixLoraComposer.CONFIG_FILE);
    long offset = header.headerLength();
    return new MixLoraComposer.Part(
        v.adapter() + "@" + v.number(),
        config,
        header,
        t -> store.openRange(weights.sha256(), offset + t.begin(), t.byteLength()));
  }

  private ApiException headersTooLarge() {
    String message =
        "the sources' safetensors headers exceed " + maxHeaderBytes + " bytes in total";
    return ApiException.tooLarge(
        message, java.util.List.of(new ApiException.FieldError("compose.experts", message)));
  }

  MixLoras.Recipe recipe(long versionId) {
    String json = versions.composeJson(versionId);
    return JSON.readValue(json, MixLoras.Recipe.class);
  }

  /** Streams the regenerated weights through a pipe filled by a virtual thread. */
  @Override
  public InputStream open(long versionId, String file) {
    var v = versions.byId(versionId);
    var plan = planOf(versionId, versions.adapterBaseModel(v.adapterId()));
    try {
      var in = new PipedInputStream(1 << 16);
      var out = new PipedOutputStream(in);
      Thread.ofVirtual()
          .name("mixlora-compose-" + versionId)
          .start(
              () -> {
                try (out) {
                  plan.writeWeights(out);
                } catch (IOException | RuntimeException e) {
                  // The reader sees a truncated stream and the download's verification aborts the
                  // response.
                }
              });
      return in;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
