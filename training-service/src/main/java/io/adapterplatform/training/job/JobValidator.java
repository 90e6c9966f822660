package io.adapterplatform.training.job;

import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.training.dataset.Datasets;
import io.adapterplatform.training.job.JobRequest.LoraSpec;
import io.adapterplatform.training.job.JobRequest.MixLoraSpec;
import io.adapterplatform.training.job.JobRequest.TrainingSpec;
import io.adapterplatform.training.registry.RegistryClient;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Checks a job completely before anything is stored: first the request on its own (400 naming the
 * field), then what it refers to (datasets here, base model and adapters in the registry as the
 * caller sees them: 422 naming the field), and returns it with its defaults filled in.
 */
@Component
class JobValidator {

  /** {@code name@version}: a dataset version, or an adapter version or alias. */
  static final Pattern REFERENCE =
      Pattern.compile("^([a-z0-9][a-z0-9._-]{0,127})@([a-z0-9][a-z0-9._-]{0,127})$");

  static final Set<String> SCHEDULES = Set.of("constant", "linear", "cosine");

  record DatasetRef(String name, int version) {
    @Override
    public String toString() {
      return name + "@" + version;
    }
  }

  private final Datasets datasets;
  private final RegistryClient registry;

  JobValidator(Datasets datasets, RegistryClient registry) {
    this.datasets = datasets;
    this.registry = registry;
  }

  /** The request with its defaults, or the first problem found. */
  JobRequest check(Caller caller, String bearerToken, JobRequest job) {
    JobRequest normal = checkAlone(job);
    checkReferences(caller, bearerToken, normal);
    return normal;
  }

  static JobRequest checkAlone(JobRequest job) {
    Names.require("baseModel", job.baseModel());
    datasetRef("dataset", job.dataset());
    if (job.evalDataset() != null) {
      datasetRef("evalDataset", job.evalDataset());
    }
    if (job.output() == null) {
      throw ApiException.invalidField("output", "is required");
    }
    Names.require("output.adapter", job.output().adapter());
    if (job.output().alias() != null) {
      Names.require("output.alias", job.output().alias());
    }
    if (job.method() == null) {
      throw ApiException.invalidField("method", "is required (LORA, DORA, MIXLORA or ROUTER)");
    }
    var method = job.method();
    LoraSpec lora = job.lora();
    if (lora == null && method != JobMethod.ROUTER) {
      throw ApiException.invalidField("lora", "is required for " + method);
    }
    if (lora != null) {
      lora = lora(lora);
    }
    MixLoraSpec mixlora = job.mixlora();
    if (method == JobMethod.MIXLORA && mixlora == null) {
      throw ApiException.invalidField("mixlora", "is required for MIXLORA");
    }
    if (mixlora != null) {
      if (method != JobMethod.MIXLORA && method != JobMethod.ROUTER) {
        throw ApiException.invalidField("mixlora", "is only for MIXLORA and ROUTER jobs");
      }
      mixlora = mixlora(mixlora);
    }
    if (method == JobMethod.ROUTER) {
      if (job.router() == null) {
        throw ApiException.invalidField("router", "is required for ROUTER");
      }
      reference("router.from", job.router().from());
    } else if (job.router() != null) {
      throw ApiException.invalidField("router", "is only for ROUTER jobs");
    }
    if (job.training() == null) {
      throw ApiException.invalidField("training", "is required");
    }
    return new JobRequest(
        job.baseModel(),
        job.dataset(),
        job.evalDataset(),
        job.output(),
        method,
        lora,
        mixlora,
        job.router(),
        training(job.training()));
  }

  private static LoraSpec lora(LoraSpec lora) {
    require("lora.r", lora.r());
    if (lora.r() < 1) {
      throw ApiException.invalidField("lora.r", "must be at least 1");
    }
    require("lora.alpha", lora.alpha());
    if (!(lora.alpha() > 0)) {
      throw ApiException.invalidField("lora.alpha", "must be greater than 0");
    }
    double dropout = lora.dropout() == null ? 0.0 : lora.dropout();
    if (!(dropout >= 0 && dropout < 1)) {
      throw ApiException.invalidField("lora.dropout", "must be at least 0 and less than 1");
    }
    if (lora.targetModules() == null || lora.targetModules().isEmpty()) {
      throw ApiException.invalidField("lora.targetModules", "must name at least one module");
    }
    var seen = new HashSet<String>();
    for (String module : lora.targetModules()) {
      if (module == null || !seen.add(module)) {
        throw ApiException.invalidField(
            "lora.targetModules", "must name each module once: " + module);
      }
    }
    return new LoraSpec(
        lora.r(),
        lora.alpha(),
        dropout,
        List.copyOf(lora.targetModules()),
        lora.useRslora() != null && lora.useRslora());
  }

  private static MixLoraSpec mixlora(MixLoraSpec m) {
    require("mixlora.numExperts", m.numExperts());
    if (m.numExperts() < 2) {
      throw ApiException.invalidField("mixlora.numExperts", "must be at least 2");
    }
    require("mixlora.topK", m.topK());
    if (m.topK() < 1 || m.topK() > m.numExperts()) {
      throw ApiException.invalidField(
          "mixlora.topK", "must be between 1 and numExperts (" + m.numExperts() + ")");
    }
    double aux = m.routerAuxLossCoef() == null ? 0.01 : m.routerAuxLossCoef();
    if (!(aux >= 0)) {
      throw ApiException.invalidField("mixlora.routerAuxLossCoef", "must be at least 0");
    }
    double jitter = m.jitterNoise() == null ? 0.0 : m.jitterNoise();
    if (!(jitter >= 0)) {
      throw ApiException.invalidField("mixlora.jitterNoise", "must be at least 0");
    }
    double initRange = m.routerInitRange() == null ? 0.02 : m.routerInitRange();
    if (!(initRange > 0)) {
      throw ApiException.invalidField("mixlora.routerInitRange", "must be greater than 0");
    }
    if (m.expertR() != null && m.expertR() < 1) {
      throw ApiException.invalidField("mixlora.expertR", "must be at least 1");
    }
    return new MixLoraSpec(m.numExperts(), m.topK(), aux, jitter, initRange, m.expertR());
  }

  private static TrainingSpec training(TrainingSpec t) {
    if ((t.steps() == null) == (t.epochs() == null)) {
      throw ApiException.invalidField("training.steps", "give exactly one of steps and epochs");
    }
    atLeast("training.steps", t.steps(), 1);
    atLeast("training.epochs", t.epochs(), 1);
    require("training.batchSize", t.batchSize());
    atLeast("training.batchSize", t.batchSize(), 1);
    atLeast("training.gradientAccumulation", t.gradientAccumulation(), 1);
    require("training.learningRate", t.learningRate());
    if (!(t.learningRate() > 0)) {
      throw ApiException.invalidField("training.learningRate", "must be greater than 0");
    }
    atLeast("training.warmupSteps", t.warmupSteps(), 0);
    if (t.schedule() != null && !SCHEDULES.contains(t.schedule())) {
      throw ApiException.invalidField("training.schedule", "must be one of " + SCHEDULES);
    }
    require("training.maxSeqLen", t.maxSeqLen());
    atLeast("training.maxSeqLen", t.maxSeqLen(), 2);
    if (t.evalFraction() != null && !(t.evalFraction() >= 0 && t.evalFraction() < 1)) {
      throw ApiException.invalidField(
          "training.evalFraction", "must be at least 0 and less than 1");
    }
    atLeast("training.evalEvery", t.evalEvery(), 1);
    atLeast("training.checkpointEvery", t.checkpointEvery(), 1);
    return new TrainingSpec(
        t.steps(),
        t.epochs(),
        t.batchSize(),
        t.gradientAccumulation() == null ? 1 : t.gradientAccumulation(),
        t.learningRate(),
        t.warmupSteps() == null ? 0 : t.warmupSteps(),
        t.schedule() == null ? "linear" : t.schedule(),
        t.maxSeqLen(),
        t.seed() == null ? 0L : t.seed(),
        t.evalFraction() == null ? 0.0 : t.evalFraction(),
        t.evalEvery(),
        t.checkpointEvery() == null ? 100 : t.checkpointEvery());
  }

  private void checkReferences(Caller caller, String bearerToken, JobRequest job) {
    if (!caller.sees(job.output().adapter())) {
      throw ApiException.forbidden(
          "adapter name '"
              + job.output().adapter()
              + "' is outside the token's scopes "
              + caller.scopes());
    }
    var dataset = datasetRef("dataset", job.dataset());
    if (datasets.find(caller, dataset.name(), dataset.version()).isEmpty()) {
      throw unprocessable("dataset", "dataset '" + dataset + "' does not exist");
    }
    if (job.evalDataset() != null) {
      var eval = datasetRef("evalDataset", job.evalDataset());
      if (datasets.find(caller, eval.name(), eval.version()).isEmpty()) {
        throw unprocessable("evalDataset", "dataset '" + eval + "' does not exist");
      }
    }
    var base =
        registry
            .baseModel(bearerToken, job.baseModel())
            .orElseThrow(
                () ->
                    unprocessable(
                        "baseModel", "base model '" + job.baseModel() + "' does not exist"));
    if (job.lora() != null) {
      for (String module : job.lora().targetModules()) {
        if (!base.projections().contains(module)) {
          throw unprocessable(
              "lora.targetModules",
              "'"
                  + module
                  + "' is not a module of "
                  + job.baseModel()
                  + "'s architecture "
                  + base.projections());
        }
      }
      if (job.method() == JobMethod.MIXLORA
          && job.lora().targetModules().stream()
              .noneMatch(m -> Projection.of(m).map(Projection::isFfn).orElse(false))) {
        throw unprocessable(
            "lora.targetModules",
            "a MIXLORA job needs FFN modules for its experts (gate_proj, up_proj, down_proj)");
      }
    }
    if (job.method() == JobMethod.ROUTER) {
      var matcher = REFERENCE.matcher(job.router().from());
      matcher.matches();
      var from =
          registry
              .version(bearerToken, matcher.group(1), matcher.group(2))
              .orElseThrow(
                  () ->
                      unprocessable(
                          "router.from",
                          "adapter version '" + job.router().from() + "' does not exist"));
      if (!"MIXLORA".equals(from.kind())) {
        throw unprocessable(
            "router.from",
            "'" + job.router().from() + "' is a " + from.kind() + " version, not MIXLORA");
      }
      if (!from.baseModel().equals(job.baseModel())) {
        throw unprocessable(
            "router.from", "'" + job.router().from() + "' is over base model " + from.baseModel());
      }
    }
    registry
        .adapter(bearerToken, job.output().adapter())
        .filter(a -> !a.baseModel().equals(job.baseModel()))
        .ifPresent(
            a -> {
              throw unprocessable(
                  "output.adapter",
                  "adapter '" + a.name() + "' exists over base model " + a.baseModel());
            });
  }

  static DatasetRef datasetRef(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw ApiException.invalidField(field, "is required");
    }
    var m = REFERENCE.matcher(value);
    if (!m.matches() || !m.group(2).matches("[1-9][0-9]{0,8}")) {
      throw ApiException.invalidField(field, "must be name@version, e.g. chats@1");
    }
    return new DatasetRef(m.group(1), Integer.parseInt(m.group(2)));
  }

  private static void reference(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw ApiException.invalidField(field, "is required");
    }
    if (!REFERENCE.matcher(value).matches()) {
      throw ApiException.invalidField(field, "must be adapter@version (a number or an alias)");
    }
  }

  private static void require(String field, Object value) {
    if (value == null) {
      throw ApiException.invalidField(field, "is required");
    }
  }

  private static void atLeast(String field, Integer value, int min) {
    if (value != null && value < min) {
      throw ApiException.invalidField(field, "must be at least " + min);
    }
  }

  private static ApiException unprocessable(String field, String detail) {
    return ApiException.unprocessable(
        "invalid-reference", detail, List.of(new ApiException.FieldError(field, detail)));
  }
}
