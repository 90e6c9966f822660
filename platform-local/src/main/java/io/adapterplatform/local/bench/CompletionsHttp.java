package io.adapterplatform.local.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.StringJoiner;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code POST /v1/completions} over plain HTTP/1.1 ({@link HttpClient}): a token-id prompt, greedy,
 * streamed as server-sent events with {@code return_token_ids} so that every generated token is
 * counted and timed where it arrives.
 */
final class CompletionsHttp {

  private static final Pattern TOKEN_IDS = Pattern.compile("\"token_ids\"\\s*:\\s*\\[([^\\]]*)]");
  private static final Pattern COMPLETION_TOKENS =
      Pattern.compile("\"completion_tokens\"\\s*:\\s*(\\d+)");

  private final HttpClient http;
  private final URI completions;
  private final String token;

  CompletionsHttp(String baseUrl, String token) {
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    this.completions = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/completions");
    this.token = token;
  }

  /**
   * One streamed request, timed on {@link System#nanoTime()}.
   *
   * @param tokenTimes when each generated token arrived (tokens of one event share a time)
   */
  record Streamed(long sent, long[] tokenTimes) {

    int tokens() {
      return tokenTimes.length;
    }

    double timeToFirstTokenMs() {
      return (tokenTimes[0] - sent) / 1e6;
    }

    /** Mean time between output tokens after the first; NaN with fewer than two. */
    double timePerOutputTokenMs() {
      return tokenTimes.length < 2
          ? Double.NaN
          : (tokenTimes[tokenTimes.length - 1] - tokenTimes[0]) / 1e6 / (tokenTimes.length - 1);
    }
  }

  Streamed stream(String model, int[] prompt, int maxTokens)
      throws IOException, InterruptedException {
    var request = request(model, prompt, maxTokens, true);
    var sent = System.nanoTime();
    var response = http.send(request, HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      var body = response.body().collect(Collectors.joining("\n"));
      throw new IllegalStateException(
          "POST /v1/completions for " + model + ": HTTP " + response.statusCode() + " " + body);
    }
    var times = new long[maxTokens];
    var n = 0;
    try (var lines = response.body()) {
      for (var line : (Iterable<String>) lines::iterator) {
        if (!line.startsWith("data:")) {
          continue;
        }
        var now = System.nanoTime();
        var m = TOKEN_IDS.matcher(line);
        while (m.find()) {
          var ids = m.group(1).trim();
          var count = ids.isEmpty() ? 0 : ids.split(",").length;
          for (var i = 0; i < count; i++) {
            if (n == times.length) {
              times = Arrays.copyOf(times, n * 2);
            }
            times[n++] = now;
          }
        }
      }
    }
    if (n == 0) {
      throw new IllegalStateException("POST /v1/completions for " + model + ": no token came");
    }
    return new Streamed(sent, Arrays.copyOf(times, n));
  }

  /** One request answered whole; returns its generated token count. */
  int complete(String model, int[] prompt, int maxTokens) throws IOException, InterruptedException {
    var response =
        http.send(request(model, prompt, maxTokens, false), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "POST /v1/completions for "
              + model
              + ": HTTP "
              + response.statusCode()
              + " "
              + response.body());
    }
    var m = COMPLETION_TOKENS.matcher(response.body());
    if (!m.find()) {
      throw new IllegalStateException("no usage in the answer for " + model);
    }
    return Integer.parseInt(m.group(1));
  }

  private HttpRequest request(String model, int[] prompt, int maxTokens, boolean stream) {
    var ids = new StringJoiner(",", "[", "]");
    for (var t : prompt) {
      ids.add(Integer.toString(t));
    }
    var body =
        "{\"model\":\"%s\",\"prompt\":%s,\"max_tokens\":%d,\"temperature\":0,\"stream\":%b,\"return_token_ids\":true}"
            .formatted(model, ids, maxTokens, stream);
    return HttpRequest.newBuilder(completions)
        .timeout(Duration.ofMinutes(30))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .header("Accept", stream ? "text/event-stream" : "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }
}
