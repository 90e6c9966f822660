package io.adapterplatform.registry.mixlora;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterLayout;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.MixLoraComposer;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.engine.format.TensorInfo;
import io.adapterplatform.registry.adapter.Adapters;
import io.adapterplatform.registry.adapter.VersionMetadata;
import io.adapterplatform.registry.adapter.Versions;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.problem.RegistryProblem;
import io.adapterplatform.registry.storage.BlobStore;
import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

@Service
class MixLoraService {

  private final Versions versions;
  private final Compositions compositions;
  private final BlobStore store;
  private final BaseModelCatalog baseModels;
  private final TransactionTemplate tx;

  MixLoraService(
      Versions versions,
      Compositions compositions,
      BlobStore store,
      BaseModelCatalog baseModels,
      TransactionTemplate tx) {
    this.versions = versions;
    this.compositions = compositions;
    this.store = store;
    this.baseModels = baseModels;
    this.tx = tx;
  }

  /**
   * Composes a MixLoRA version from existing LoRA versions. The request's size is checked before
   * anything is read, and each distinct source is resolved and read once. The plan is built and the
   * output's weights are generated once to learn their sha256 and size OUTSIDE any transaction
   * (that reads every source from the object store); only the commit is transactional: it locks the
   * sources FOR SHARE (they cannot be deleted under it), checks that every reference still names
   * the version the plan was built from, and stores the recipe and the small config blob. The built
   * plan is kept for the version's downloads.
   */
  Versions.VersionRow compose(Caller caller, String name, MixLoras.ComposeRequest request) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    var c = request == null ? null : request.compose();
    if (c == null) {
      throw ApiException.invalidField("compose", "is required");
    }
    var metadata =
        VersionMetadata.check(
            new Adapters.PublishMetadata(request.description(), request.tags(), request.lineage()),
            "");
    if (c.experts() == null || c.experts().isEmpty()) {
      throw ApiException.invalidField("compose.experts", "at least one expert is required");
    }
    if (c.experts().size() > AdapterConfig.MAX_EXPERTS) {
      String message =
          "at most " + AdapterConfig.MAX_EXPERTS + " experts, not " + c.experts().size();
      throw ApiException.unprocessable(
          "too-many-experts",
          "compose.experts: " + message,
          List.of(new ApiException.FieldError("compose.experts", message)));
    }
    if (c.topK() == null || c.topK() < 1) {
      throw ApiException.invalidField("compose.topK", "must be a positive integer");
    }
    if (c.topK() > c.experts().size()) {
      throw ApiException.unprocessable(
          "inconsistent-file",
          "topK " + c.topK() + " exceeds the " + c.experts().size() + " experts",
          List.of(
              new ApiException.FieldError(
                  "compose.topK", "must not exceed the number of experts")));
    }
    double std = 0.02;
    long seed = 0;
    if (c.router() != null) {
      String init = c.router().init() == null ? "random" : c.router().init();
      if (!init.equals("random") && !init.equals("zeros")) {
        throw ApiException.invalidField("compose.router.init", "must be 'random' or 'zeros'");
      }
      if (c.router().range() != null) {
        if (!(c.router().range() >= 0) || c.router().range().isInfinite()) {
          throw ApiException.invalidField(
              "compose.router.range", "must be a finite non-negative number");
        }
        std = c.router().range();
      }
      if (init.equals("zeros")) {
        std = 0;
      }
      seed = c.router().seed() == null ? 0 : c.router().seed();
    }
    // Each distinct reference is resolved once, under the field where it first appears.
    var fields = new LinkedHashMap<String, String>();
    var resolved = new HashMap<String, Versions.VersionRow>();
    var experts = new ArrayList<Long>();
    for (int i = 0; i < c.experts().size(); i++) {
      String ref = c.experts().get(i);
      String field = "compose.experts[" + i + "]";
      if (ref != null) {
        fields.putIfAbsent(ref, field);
      }
      Versions.VersionRow v = ref == null ? source(adapter, null, field, false) : resolved.get(ref);
      if (v == null) {
        v = source(adapter, ref, field, false);
        resolved.put(ref, v);
      }
      experts.add(v.id());
    }
    Long attention = null;
    if (c.attention() != null) {
      fields.putIfAbsent(c.attention(), "compose.attention");
      var v = resolved.get(c.attention());
      if (v == null) {
        v = source(adapter, c.attention(), "compose.attention", false);
        resolved.put(c.attention(), v);
      }
      attention = v.id();
    }
    var recipe = new MixLoras.Recipe(experts, attention, c.topK(), std, seed);
    MixLoraComposer.Composition plan;
    try {
      plan = compositions.plan(recipe, adapter.baseModelId());
    } catch (FormatException e) {
      throw pointAtSources(e, c);
    }
    String weightsSha = digestOfWeights(plan);
    byte[] config = plan.config().toJson();
    String configSha = sha256(config);
    store.putBlob(config, configSha);
    var files =
        List.of(
            new Versions.NewFile(
                new FileInfo(MixLoraComposer.CONFIG_FILE, configSha, config.length), false),
            new Versions.NewFile(
                new FileInfo(MixLoraComposer.WEIGHTS_FILE, weightsSha, plan.weightsSize()), true));
    var sources = new ArrayList<Versions.Source>();
    for (int i = 0; i < experts.size(); i++) {
      sources.add(new Versions.Source(i, experts.get(i)));
    }
    if (attention != null) {
      sources.add(new Versions.Source(-1, attention));
    }
    AdapterConfig cfg = plan.config();
    var v =
        new Versions.NewVersion(
            "MIXLORA",
            config,
            cfg.expertR(),
            cfg.targetModules(),
            cfg.numExperts(),
            cfg.topK(),
            Compositions.JSON.writeValueAsString(recipe),
            files,
            sources,
            metadata);
    var row =
        tx.execute(
            status -> {
              for (var ref : fields.entrySet()) {
                if (source(adapter, ref.getKey(), ref.getValue(), true).id()
                    != resolved.get(ref.getKey()).id()) {
                  // Its alias moved while the plan was built from the version it named before: the
                  // input changed.
                  String message =
                      "'" + ref.getKey() + "' was moved to another version while composing; retry";
                  throw ApiException.unprocessable(
                      "source-moved",
                      ref.getValue() + ": " + message,
                      List.of(new ApiException.FieldError(ref.getValue(), message)));
                }
              }
              return versions.commit(caller.actor(), adapter, v);
            });
    compositions.keep(row.id(), plan);
    return row;
  }

  /**
   * The composer names the offending source ({@code adapter@number}) at the start of each problem;
   * the caller wrote {@code compose.experts[i]}, so the problem points there instead of at {@code
   * adapter_config.json}.
   */
  private ApiException pointAtSources(FormatException e, MixLoras.Compose c) {
    var mapped = RegistryProblem.fromFormat(e);
    var errors = new ArrayList<ApiException.FieldError>();
    for (var fe : mapped.errors()) {
      errors.add(
          new ApiException.FieldError(fieldOf(fe.message(), c).orElse(fe.field()), fe.message()));
    }
    return new ApiException(
        mapped.status(), mapped.slug(), mapped.title(), mapped.getMessage(), errors);
  }

  private Optional<String> fieldOf(String problem, MixLoras.Compose c) {
    for (int i = 0; i < c.experts().size(); i++) {
      if (names(c.experts().get(i)).stream()
          .anyMatch(n -> problem.startsWith(n + " ") || problem.startsWith(n + "/"))) {
        return Optional.of("compose.experts[" + i + "]");
      }
    }
    if (c.attention() != null
        && names(c.attention()).stream()
            .anyMatch(n -> problem.startsWith(n + " ") || problem.startsWith(n + "/"))) {
      return Optional.of("compose.attention");
    }
    return Optional.empty();
  }

  /**
   * The names a reference may appear under in a composer problem: as written, and as {@code
   * adapter@number}.
   */
  private List<String> names(String ref) {
    int at = ref.indexOf('@');
    var adapter = versions.adapter(ref.substring(0, at));
    return List.of(
        ref,
        adapter.name() + "@" + versions.resolve(adapter, ref.substring(at + 1), false).number());
  }

  /** A source reference {@code adapter@ref}: a live LoRA version over the same base model. */
  private Versions.VersionRow source(
      Versions.AdapterRef target, String ref, String field, boolean lockShared) {
    int at = ref == null ? -1 : ref.indexOf('@');
    if (at <= 0 || at == ref.length() - 1) {
      throw ApiException.invalidField(field, "must be 'adapter@version' or 'adapter@alias'");
    }
    Versions.AdapterRef adapter;
    Versions.VersionRow v;
    try {
      adapter = versions.adapter(ref.substring(0, at));
      v = versions.resolve(adapter, ref.substring(at + 1), lockShared);
    } catch (ApiException e) {
      // The version being created exists; it is its input that points at nothing, hence 422, not
      // 404.
      if (e.status() != HttpStatus.NOT_FOUND && e.status() != HttpStatus.GONE) {
        throw e;
      }
      throw ApiException.unprocessable(
          "unknown-source",
          field + ": " + e.getMessage(),
          List.of(new ApiException.FieldError(field, e.getMessage())));
    }
    if (adapter.baseModelId() != target.baseModelId()) {
      throw ApiException.unprocessable(
          "base-model-mismatch",
          ref + " is over another base model",
          List.of(new ApiException.FieldError(field, "another base model")));
    }
    if (!v.kind().equals("LORA")) {
      throw ApiException.unprocessable(
          "not-a-lora",
          ref + " is a " + v.kind() + " version; experts are plain LoRA",
          List.of(new ApiException.FieldError(field, "must be a LORA version")));
    }
    return v;
  }

  /**
   * Not transactional: a stored version's header comes from the object store, and no connection
   * waits on it.
   */
  MixLoras.MixLoraExperts experts(Caller caller, String name, String ref) {
    caller.require(Role.READER);
    var adapter = versions.adapter(name);
    var v = versions.resolve(adapter, ref, false);
    if (!v.kind().equals("MIXLORA")) {
      throw ApiException.conflict(
          "not-mixlora", name + "@" + v.number() + " is a " + v.kind() + " version, not MIXLORA");
    }
    var weights = versions.file(v.id(), MixLoraComposer.WEIGHTS_FILE).orElseThrow();
    SafetensorsHeader header;
    if (weights.generated()) {
      header = compositions.planOf(v.id(), adapter.baseModelId()).header();
    } else {
      try (InputStream in = store.openBlob(weights.file().sha256(), 0)) {
        header = SafetensorsHeader.read(in, MixLoraComposer.WEIGHTS_FILE);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    var config = AdapterConfig.parse(v.configJson(), MixLoraComposer.CONFIG_FILE);
    var model = baseModels.findById(adapter.baseModelId()).orElseThrow().config();
    AdapterLayout layout =
        AdapterLayout.validate(config, header, model, MixLoraComposer.WEIGHTS_FILE);
    Map<Integer, MixLoras.ExpertSource> sources = new HashMap<>();
    for (var s : versions.sources(v.id())) {
      var src = versions.byId(s.versionId());
      // A source outside the caller's scopes does not exist for it: the expert shows no source.
      if (s.expertIndex() >= 0 && caller.sees(src.adapter())) {
        sources.put(s.expertIndex(), new MixLoras.ExpertSource(src.adapter(), src.number()));
      }
    }
    var experts =
        layout.experts().stream()
            .map(e -> new MixLoras.Expert(e.index(), sources.get(e.index()), tensors(e.tensors())))
            .toList();
    return new MixLoras.MixLoraExperts(
        name,
        v.number(),
        config.numExperts(),
        config.topK(),
        experts,
        tensors(layout.routerTensors()),
        tensors(layout.attentionTensors()));
  }

  private static List<MixLoras.Tensor> tensors(List<TensorInfo> infos) {
    return infos.stream()
        .map(
            t ->
                new MixLoras.Tensor(
                    t.name(),
                    t.dtype().safetensorsName(),
                    Arrays.stream(t.shape()).boxed().toList()))
        .toList();
  }

  private static String digestOfWeights(MixLoraComposer.Composition plan) {
    MessageDigest digest = messageDigest();
    try (var out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
      plan.writeWeights(
          new java.io.BufferedOutputStream(out, 1 << 16) {
            @Override
            public void close() {
              // writeWeights flushes; the digest stream is closed by try-with-resources
            }
          });
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(messageDigest().digest(bytes));
  }

  private static MessageDigest messageDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
