package io.adapterplatform.serving.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.adapterplatform.serving.EngineTestBase;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The serving series move as the requests that ran say they should: scraped from {@code
 * /actuator/prometheus} (METRICS or ADMIN token) and, for the endpoint picker, from {@code
 * /metrics} without a token.
 */
class ServingMetricsTest extends EngineTestBase {

  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void generationMovesEverySeriesByWhatTheRequestsUsed() throws Exception {
    String adapter = newAdapter("metered");
    Scrape before = prometheus();

    JsonNode base = complete(BASE, "[1,2,3]", 5, 1);
    JsonNode pinned = complete(adapter + "@1", "[4,5,6,7]", 7, 2);
    JsonNode latest = complete(adapter, "[8,9]", 3, 1);

    Scrape after = prometheus();
    int prompt = 0;
    int completion = 0;
    for (JsonNode r : new JsonNode[] {base, pinned, latest}) {
      prompt += r.at("/usage/prompt_tokens").asInt();
      completion += r.at("/usage/completion_tokens").asInt();
    }
    assertThat(completion)
        .as("no end-of-sequence token: every choice runs to max_tokens")
        .isEqualTo(5 + 2 * 7 + 3);
    assertThat(delta(before, after, "platform_serving_generation_tokens_total", "base_model", BASE))
        .isEqualTo(completion);
    assertThat(delta(before, after, "platform_serving_prompt_tokens_total", "base_model", BASE))
        .isEqualTo(prompt);
    assertThat(
            delta(
                before,
                after,
                "platform_serving_requests_total",
                "endpoint",
                "/v1/completions",
                "status",
                "200"))
        .isEqualTo(3);
    int choices = 4;
    assertThat(delta(before, after, "platform_serving_time_to_first_token_seconds_count"))
        .isEqualTo(choices);
    assertThat(
            delta(
                before, after, "platform_serving_time_to_first_token_seconds_bucket", "le", "+Inf"))
        .isEqualTo(choices);
    assertThat(delta(before, after, "platform_serving_time_per_output_token_seconds_count"))
        .as("every generated token after a choice's first")
        .isEqualTo(completion - choices);
    // a choice reads its prompt (one row per token) and decodes from its first generated token on
    assertThat(delta(before, after, "platform_serving_batch_rows_sum"))
        .isEqualTo((3 + 5 - 1) + 2 * (4 + 7 - 1) + (2 + 3 - 1));
    double steps = delta(before, after, "platform_serving_batch_rows_count");
    assertThat(steps).isPositive();
    assertThat(delta(before, after, "platform_serving_batch_adapters_count")).isEqualTo(steps);
    assertThat(delta(before, after, "platform_serving_batch_adapters_sum"))
        .as("one row at a time: one adapter per forward pass")
        .isEqualTo(steps);
    assertThat(delta(before, after, "platform_serving_batch_forward_seconds_count"))
        .isEqualTo(steps);
    assertThat(delta(before, after, "platform_serving_batch_forward_seconds_sum"))
        .as("each pass takes some time")
        .isPositive();
    assertThat(delta(before, after, "serving_pool_loads_seconds_count")).isEqualTo(1);
    assertThat(after.has("serving_pool_loads_seconds_bucket")).isTrue();
    assertThat(delta(before, after, "serving_pool_misses_total", "tier", "device", "part", "lora"))
        .isEqualTo(1);
    assertThat(delta(before, after, "serving_pool_hits_total", "tier", "device", "part", "lora"))
        .isEqualTo(1);
    assertThat(after.sum("platform_serving_queue_depth")).isZero();
    assertThat(after.sum("platform_serving_requests_running")).isZero();
    assertThat(after.sum("platform_serving_tokens_per_second"))
        .as("the tokens just generated are within the rate's window")
        .isPositive();
  }

  @Test
  void theModelServerGaugesShowTheRunningAndTheWaitingAdapterWithoutAToken() throws Exception {
    String running = newAdapter("running");
    String waiting = newAdapter("waiting");
    complete(waiting + "@1", "[1]", 1, 1); // loaded, so that its next request only queues

    HttpClient streamClient = HttpClient.newHttpClient();
    HttpClient queuedClient = HttpClient.newHttpClient();
    try {
      HttpResponse<Stream<String>> stream =
          streamClient.send(
              completion(running, "[1,2]", 4000, 1, true), HttpResponse.BodyHandlers.ofLines());
      Iterator<String> lines = stream.body().iterator();
      assertThat(lines.next()).startsWith("data: ");
      CompletableFuture<HttpResponse<String>> queued =
          queuedClient.sendAsync(
              completion(waiting + "@1", "[3]", 2, 1, false), HttpResponse.BodyHandlers.ofString());

      Scrape seen =
          await()
              .atMost(Duration.ofSeconds(30))
              .until(this::modelServer, s -> s.sum("vllm:num_requests_waiting") == 1);

      assertThat(seen.sum("vllm:num_requests_running")).isEqualTo(1);
      assertThat(seen.sum("vllm:gpu_cache_usage_perc")).isGreaterThan(0).isLessThanOrEqualTo(1);
      var info = seen.named("vllm:lora_requests_info");
      assertThat(info).hasSize(1);
      assertThat(info.getFirst().labels())
          .containsEntry("max_lora", "3")
          .containsEntry("running_lora_adapters", running)
          .containsEntry("waiting_lora_adapters", waiting + "@1");
      assertThat(info.getFirst().value())
          .as("the time of the update, in seconds")
          .isCloseTo(
              System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
      assertThat(prometheus().sum("platform_serving_queue_depth"))
          .as("the autoscaler's gauge agrees")
          .isEqualTo(1);

      stream.body().close(); // the client leaves: its row goes to the waiting request
      HttpResponse<String> done = queued.get(60, TimeUnit.SECONDS);
      assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
      assertThat(json.readTree(done.body()).at("/usage/completion_tokens").asInt()).isEqualTo(2);
    } finally {
      streamClient.shutdownNow();
      queuedClient.shutdownNow();
    }
  }

  @Test
  void theModelServerEndpointIsPlainPrometheusTextWhileTheActuatorKeepsItsToken() throws Exception {
    HttpResponse<String> open = get("/metrics", null);

    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    Scrape s = Scrape.parse(open.body());
    assertThat(s.has("vllm:num_requests_waiting")).isTrue();
    assertThat(s.has("vllm:num_requests_running")).isTrue();
    assertThat(s.has("vllm:gpu_cache_usage_perc")).isTrue();
    assertThat(s.named("vllm:lora_requests_info").getFirst().labels())
        .containsOnlyKeys("max_lora", "running_lora_adapters", "waiting_lora_adapters");
    assertThat(open.body()).contains("# TYPE vllm:lora_requests_info gauge");
    assertThat(get("/actuator/prometheus", null).statusCode()).isEqualTo(401);
  }

  @Test
  void repeatedBadTokensOnV1Get429WithRetryAfterAsOnApiV1() throws Exception {
    InetAddress guesser = InetAddress.getByName("127.0.0.7");
    String body = "{\"model\":\"" + BASE + "\",\"prompt\":[1],\"max_tokens\":1}";
    Scrape before = prometheus();

    // platform.auth.failed-limit.max-failures: 100 per address and minute
    for (int i = 1; i < 100; i++) {
      var refused = postFrom(guesser, "/v1/completions", "wrong-token-" + i, body);
      assertThat(refused.statusCode()).isEqualTo(401);
    }
    var limited = postFrom(guesser, "/v1/completions", "wrong-token-100", body);

    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After"))
        .hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isBetween(1L, 61L));
    assertThat(limited.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = json.readTree(limited.body());
    assertThat(problem.get("status").asInt()).isEqualTo(429);
    assertThat(problem.at("/error/type").asString()).isEqualTo("rate_limit_error");
    assertThat(problem.at("/error/code").asString()).isEqualTo("too-many-requests");
    assertThat(getFrom(guesser, "/api/v1/adapters", ADMIN).statusCode())
        .as("one limit for /v1 and /api/v1: even a good token waits")
        .isEqualTo(429);
    assertThat(getFrom(guesser, "/v1/models", ADMIN).statusCode()).isEqualTo(429);
    assertThat(get("/v1/models", ADMIN).statusCode())
        .as("another address is not limited")
        .isEqualTo(200);
    Scrape after = prometheus();
    assertThat(
            delta(
                before,
                after,
                "platform_serving_requests_total",
                "endpoint",
                "/v1/completions",
                "status",
                "401"))
        .isEqualTo(99);
    assertThat(
            delta(
                before,
                after,
                "platform_serving_requests_total",
                "endpoint",
                "/v1/completions",
                "status",
                "429"))
        .isEqualTo(1);
  }

  private JsonNode complete(String model, String prompt, int maxTokens, int n) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                completion(model, prompt, maxTokens, n, false),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private HttpRequest completion(
      String model, String prompt, int maxTokens, int n, boolean stream) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
        .header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"model\":\""
                    + model
                    + "\",\"prompt\":"
                    + prompt
                    + ",\"max_tokens\":"
                    + maxTokens
                    + ",\"n\":"
                    + n
                    + ",\"temperature\":0,\"stream\":"
                    + stream
                    + "}"))
        .build();
  }

  private Scrape prometheus() throws Exception {
    HttpResponse<String> r = get("/actuator/prometheus", ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    return Scrape.parse(r.body());
  }

  private Scrape modelServer() throws Exception {
    HttpResponse<String> r = get("/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    return Scrape.parse(r.body());
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
