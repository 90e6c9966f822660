package io.adapterplatform.serving.metrics;

import io.swagger.v3.oas.annotations.Hidden;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /metrics}: the model-server protocol of the Gateway API Inference Extension, the four
 * gauges its endpoint picker reads under vLLM's names, in Prometheus' text format and without a
 * token (the picker sends none). vLLM's names hold ':', which Micrometer's Prometheus naming would
 * turn into '_', hence this endpoint beside {@code /actuator/prometheus} (which needs a METRICS
 * token and carries the full set under the platform's names). It discloses queue lengths and the
 * names of adapters in use, nothing else; {@code platform.serving.metrics.model-server-endpoint}
 * false removes it.
 */
@Hidden
@RestController
@ConditionalOnBooleanProperty(
    name = "platform.serving.metrics.model-server-endpoint",
    matchIfMissing = true)
class ModelServerMetricsController {

  static final String PATH = "/metrics";
  private static final MediaType PROMETHEUS_TEXT =
      MediaType.parseMediaType("text/plain;version=0.0.4;charset=utf-8");

  private final ServingMetrics metrics;
  private final java.time.InstantSource clock;

  ModelServerMetricsController(ServingMetrics metrics) {
    this.metrics = metrics;
    this.clock = java.time.InstantSource.system();
  }

  @GetMapping(PATH)
  ResponseEntity<String> scrape() {
    ModelServerState s = metrics.modelServer();
    StringBuilder out = new StringBuilder();
    gauge(out, "vllm:num_requests_waiting", "Requests waiting for admission.", "", s.waiting());
    gauge(out, "vllm:num_requests_running", "Requests generating.", "", s.running());
    gauge(
        out,
        "vllm:gpu_cache_usage_perc",
        "KV-cache use, 0 to 1: reserved KV tokens over the budget.",
        "",
        s.kvUsage());
    // as vLLM: the value is when this was last updated (now), the state is in the labels
    String labels =
        "{max_lora=\""
            + s.maxLora()
            + "\",running_lora_adapters=\""
            + joined(s.runningAdapters())
            + "\",waiting_lora_adapters=\""
            + joined(s.waitingAdapters())
            + "\"}";
    gauge(
        out,
        "vllm:lora_requests_info",
        "Adapters of running and waiting requests; the value is the time of the update.",
        labels,
        clock.instant().toEpochMilli() / 1000.0);
    return ResponseEntity.ok().contentType(PROMETHEUS_TEXT).body(out.toString());
  }

  private static void gauge(
      StringBuilder out, String name, String help, String labels, double value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" gauge\n");
    out.append(name).append(labels).append(' ').append(number(value)).append('\n');
  }

  private static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%s", value);
  }

  // label values escape '\', '"' and newlines (Prometheus text format); names never hold ','
  private static String joined(List<String> names) {
    return String.join(",", names).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
