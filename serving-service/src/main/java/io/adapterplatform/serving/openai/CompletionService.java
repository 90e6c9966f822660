package io.adapterplatform.serving.openai;

import io.adapterplatform.serving.batch.GenerationRequest;
import io.adapterplatform.serving.batch.Sampling;
import io.adapterplatform.serving.engine.ModelLease;
import io.adapterplatform.serving.engine.ServedModel;
import io.adapterplatform.serving.engine.ServingEngine;
import io.adapterplatform.serving.metrics.ServingMetrics;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.ResolvedModel;
import io.adapterplatform.serving.pool.AdapterLease;
import io.adapterplatform.serving.pool.ServingPool;
import io.adapterplatform.web.problem.ApiException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/completions}: resolves the model, starts its base model on first use, leases the
 * adapter's pool place, tokenizes the prompts, submits one generation per prompt and choice to the
 * batcher, and gathers (or streams) what comes back.
 */
@Service
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
public class CompletionService {

  static final int MAX_N = 16;
  static final int MAX_STOPS = 4;

  private final ModelResolver resolver;
  private final ServingEngine engine;
  private final ServingPool pool;
  private final ServingMetrics metrics;

  public CompletionService(
      ModelResolver resolver, ServingEngine engine, ServingPool pool, ServingMetrics metrics) {
    this.resolver = resolver;
    this.engine = engine;
    this.pool = pool;
    this.metrics = metrics;
  }

  /** A completion whose generations are submitted; closing it gives up what is still running. */
  final class Running implements AutoCloseable {
    final String id = "cmpl-" + UUID.randomUUID();
    final long created = System.currentTimeMillis() / 1000;
    final CompletionRequest request;
    final List<ChoiceRun> choices;
    final int promptTokens;
    private final AdapterLease lease;
    private final ModelLease baseModel;
    private final ServingMetrics.RequestMetrics measured;

    Running(
        CompletionRequest request,
        List<ChoiceRun> choices,
        int promptTokens,
        AdapterLease l,
        ModelLease baseModel,
        ServingMetrics.RequestMetrics measured) {
      this.request = request;
      this.choices = choices;
      this.promptTokens = promptTokens;
      this.lease = l;
      this.baseModel = baseModel;
      this.measured = measured;
    }

    CompletionResponse.Usage usage() {
      int completion = choices.stream().mapToInt(ChoiceRun::completionTokens).sum();
      return new CompletionResponse.Usage(promptTokens, completion, promptTokens + completion);
    }

    @Override
    public void close() {
      choices.forEach(ChoiceRun::cancel);
      try {
        lease.close();
        var usage = usage();
        measured.finished(usage.promptTokens(), usage.completionTokens());
      } finally {
        baseModel.close();
      }
    }
  }

  /**
   * Checks the request, resolves and leases its model and submits every generation.
   *
   * @throws ApiException 400 for a bad parameter, 404 for an unknown model, 429 (as {@code
   *     QueueFullException}) when the batcher's queue is full
   */
  public Running start(CompletionRequest request, String token) {
    Parameters.of(request);
    return start(request, resolver.resolve(request.model(), token), token);
  }

  /** {@link #start(CompletionRequest, String)} for a model already resolved (chat completions). */
  Running start(CompletionRequest request, ResolvedModel model, String token) {
    Parameters p = Parameters.of(request);
    // held until the completion ends, so that its base model is neither unloaded nor drained away
    ModelLease baseModel = engine.use(model.baseModel(), token);
    try {
      return start(p, request, model, token, baseModel);
    } catch (RuntimeException e) {
      baseModel.close();
      throw e;
    }
  }

  private Running start(
      Parameters p,
      CompletionRequest request,
      ResolvedModel model,
      String token,
      ModelLease baseModel) {
    ServedModel served = baseModel.model();
    List<int[]> prompts = Prompts.tokens(request.prompt(), served);
    for (int[] prompt : prompts) {
      for (int id : prompt) {
        if (id < 0 || id >= served.vocabSize()) {
          throw ApiException.invalidField(
              "prompt",
              "token id " + id + " is outside the vocabulary [0, " + served.vocabSize() + ")");
        }
      }
    }
    Set<Integer> stopIds =
        served.eosTokenId().isPresent() ? Set.of(served.eosTokenId().getAsInt()) : Set.of();
    AdapterLease lease = pool.acquire(model, token);
    List<ChoiceRun> runs = new ArrayList<>();
    int promptTokens = prompts.stream().mapToInt(t -> t.length).sum();
    var measured =
        metrics.started(model.baseModel(), served.batcher(), request.model(), lease.slot());
    Running running = new Running(request, runs, promptTokens, lease, baseModel, measured);
    try {
      for (int[] prompt : prompts) {
        for (int i = 0; i < p.n(); i++) {
          var run =
              new ChoiceRun(served, runs.size(), prompt, p.stops(), p.logprobs() != null, p.echo());
          Sampling sampling =
              p.seed() == null
                  ? Sampling.unseeded(p.temperature(), p.topP())
                  : new Sampling(p.temperature(), p.topP(), p.seed() + i);
          var generation =
              new GenerationRequest(
                  prompt,
                  lease.slot(),
                  p.maxTokens(),
                  sampling,
                  stopIds,
                  p.logprobs() == null ? OptionalInt.empty() : OptionalInt.of(p.logprobs()),
                  p.echo(),
                  null);
          runs.add(run);
          run.started(served.batcher().submit(generation, measured.timed(run)));
        }
      }
      return running;
    } catch (RuntimeException e) {
      measured.rejected();
      running.close();
      throw e;
    }
  }

  /** Waits for every choice and answers them together. */
  public CompletionResponse collect(Running running) throws InterruptedException {
    try (running) {
      List<CompletionResponse.Choice> choices = new ArrayList<>();
      boolean ids = Boolean.TRUE.equals(running.request.returnTokenIds());
      for (ChoiceRun run : running.choices) {
        StringBuilder text = new StringBuilder();
        List<Integer> tokenIds = new ArrayList<>();
        var logprobs = new Accumulated();
        String[] finish = new String[1];
        run.drain(
            d -> {
              text.append(d.text());
              tokenIds.addAll(d.tokenIds());
              logprobs.add(d.logprobs());
              finish[0] = d.finishReason();
            });
        choices.add(
            new CompletionResponse.Choice(
                text.toString(),
                run.index,
                logprobs.result(),
                finish[0],
                ids ? Arrays.stream(run.prompt).boxed().toList() : null,
                ids ? tokenIds : null));
      }
      return new CompletionResponse(
          running.id,
          "text_completion",
          running.created,
          running.request.model(),
          choices,
          running.usage());
    }
  }

  /**
   * Streams every choice as it is generated, one {@code text_completion} chunk per delta (choices
   * one after the other; they are generated together), then the usage when asked.
   */
  public void stream(Running running, Consumer<CompletionResponse> chunks)
      throws InterruptedException {
    try (running) {
      boolean ids = Boolean.TRUE.equals(running.request.returnTokenIds());
      for (ChoiceRun run : running.choices) {
        boolean[] first = {true};
        run.drain(
            d -> {
              var choice =
                  new CompletionResponse.Choice(
                      d.text(),
                      run.index,
                      d.logprobs(),
                      d.finishReason(),
                      ids && first[0] ? Arrays.stream(run.prompt).boxed().toList() : null,
                      ids ? d.tokenIds() : null);
              first[0] = false;
              chunks.accept(
                  new CompletionResponse(
                      running.id,
                      "text_completion",
                      running.created,
                      running.request.model(),
                      List.of(choice),
                      null));
            });
      }
      var options = running.request.streamOptions();
      if (options != null && Boolean.TRUE.equals(options.includeUsage())) {
        chunks.accept(
            new CompletionResponse(
                running.id,
                "text_completion",
                running.created,
                running.request.model(),
                List.of(),
                running.usage()));
      }
    }
  }

  /** The legacy log-probabilities of a whole choice, gathered from its deltas. */
  private static final class Accumulated {
    private CompletionResponse.Logprobs sum;

    void add(CompletionResponse.Logprobs more) {
      if (more == null) {
        return;
      }
      if (sum == null) {
        sum =
            new CompletionResponse.Logprobs(
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
      }
      sum.tokens().addAll(more.tokens());
      sum.tokenLogprobs().addAll(more.tokenLogprobs());
      sum.topLogprobs().addAll(more.topLogprobs());
      sum.textOffset().addAll(more.textOffset());
    }

    CompletionResponse.Logprobs result() {
      return sum;
    }
  }

  /** The request's parameters, checked, with OpenAI's defaults. */
  record Parameters(
      int maxTokens,
      double temperature,
      double topP,
      Long seed,
      List<String> stops,
      int n,
      boolean echo,
      Integer logprobs) {

    static Parameters of(CompletionRequest r) {
      if (r.prompt() == null || r.prompt().isNull()) {
        throw ApiException.invalidField("prompt", "is required");
      }
      int maxTokens = r.maxTokens() == null ? 16 : r.maxTokens();
      if (maxTokens < 0) {
        throw ApiException.invalidField("max_tokens", "must be >= 0, got " + maxTokens);
      }
      double temperature = r.temperature() == null ? 1 : r.temperature();
      if (!(temperature >= 0 && temperature <= 2)) {
        throw ApiException.invalidField("temperature", "must be in [0, 2], got " + temperature);
      }
      double topP = r.topP() == null ? 1 : r.topP();
      if (!(topP > 0 && topP <= 1)) {
        throw ApiException.invalidField("top_p", "must be in (0, 1], got " + topP);
      }
      int n = r.n() == null ? 1 : r.n();
      if (n < 1 || n > MAX_N) {
        throw ApiException.invalidField("n", "must be in [1, " + MAX_N + "], got " + n);
      }
      Integer logprobs = r.logprobs();
      if (logprobs != null && (logprobs < 0 || logprobs > GenerationRequest.MAX_LOGPROBS)) {
        throw ApiException.invalidField(
            "logprobs", "must be in [0, " + GenerationRequest.MAX_LOGPROBS + "], got " + logprobs);
      }
      boolean echo = Boolean.TRUE.equals(r.echo());
      if (maxTokens == 0 && !echo) {
        throw ApiException.invalidField("max_tokens", "0 needs echo: true (it scores the prompt)");
      }
      return new Parameters(
          maxTokens, temperature, topP, r.seed(), stops(r.stop()), n, echo, logprobs);
    }

    private static List<String> stops(JsonNode stop) {
      if (stop == null || stop.isNull()) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      if (stop.isString()) {
        out.add(stop.asString());
      } else if (stop.isArray()) {
        for (JsonNode s : stop) {
          if (!s.isString()) {
            throw ApiException.invalidField("stop", "must be a string or a list of strings");
          }
          out.add(s.asString());
        }
      } else {
        throw ApiException.invalidField("stop", "must be a string or a list of strings");
      }
      if (out.size() > MAX_STOPS || out.stream().anyMatch(String::isEmpty)) {
        throw ApiException.invalidField(
            "stop", "takes up to " + MAX_STOPS + " non-empty strings, got " + out);
      }
      return List.copyOf(out);
    }
  }
}
