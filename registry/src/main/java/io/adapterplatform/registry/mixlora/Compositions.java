package io.adapterplatform.registry.mixlora;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.MixLoraComposer;
import io.adapterplatform.engine.format.RouterInit;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.registry.adapter.GeneratedContent;
import io.adapterplatform.registry.adapter.Versions;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a recipe (source LoRA versions + router seed) into a {@link MixLoraComposer.Composition} whose
 * expert tensors are ranged reads of the sources' stored blobs: a composed version stores no weight
 * bytes of its own, and its reference-layout weights are regenerated, byte-identical, on each download.
 */
@Component
class Compositions implements GeneratedContent {

  static final JsonMapper JSON = JsonMapper.builder().build();

  private final Versions versions;
  private final BlobStore store;
  private final BaseModelCatalog baseModels;

  Compositions(Versions versions, BlobStore store, BaseModelCatalog baseModels) {
    this.versions = versions;
    this.store = store;
    this.baseModels = baseModels;
  }

  MixLoraComposer.Composition plan(MixLoras.Recipe recipe, long baseModelId) {
    var base = baseModels.findById(baseModelId).orElseThrow();
    var parts = new ArrayList<MixLoraComposer.Part>();
    for (long id : recipe.experts()) {
      parts.add(part(id));
    }
    Optional<MixLoraComposer.Part> attention = Optional.ofNullable(recipe.attention()).map(this::part);
    return MixLoraComposer.plan(base.config(), parts, attention, recipe.topK(),
        new RouterInit(recipe.std(), recipe.seed()), base.name());
  }

  private MixLoraComposer.Part part(long versionId) {
    var v = versions.byId(versionId);
    var weights = versions.file(versionId, MixLoraComposer.WEIGHTS_FILE).orElseThrow().file();
    SafetensorsHeader header;
    try (InputStream in = store.openBlob(weights.sha256(), 0)) {
      header = SafetensorsHeader.read(in, MixLoraComposer.WEIGHTS_FILE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AdapterConfig config = AdapterConfig.parse(v.configJson(), MixLoraComposer.CONFIG_FILE);
    long offset = header.headerLength();
    return new MixLoraComposer.Part(v.adapter() + "@" + v.number(), config, header,
        t -> store.openRange(weights.sha256(), offset + t.begin(), t.byteLength()));
  }

  MixLoras.Recipe recipe(long versionId) {
    String json = versions.composeJson(versionId);
    return JSON.readValue(json, MixLoras.Recipe.class);
  }

  /** Streams the regenerated weights through a pipe filled by a virtual thread. */
  @Override
  public InputStream open(long versionId, String file) {
    var v = versions.byId(versionId);
    var plan = plan(recipe(versionId), versions.adapterBaseModel(v.adapterId()));
    try {
      var in = new PipedInputStream(1 << 16);
      var out = new PipedOutputStream(in);
      Thread.ofVirtual().name("mixlora-compose-" + versionId).start(() -> {
        try (out) {
          plan.writeWeights(out);
        } catch (IOException | RuntimeException e) {
          // The reader sees a truncated stream and the download's verification aborts the response.
        }
      });
      return in;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
