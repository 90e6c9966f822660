package io.adapterplatform.local.standalone;

import static io.adapterplatform.local.standalone.Standalone.ADMIN;
import static io.adapterplatform.local.standalone.Standalone.get;
import static io.adapterplatform.local.standalone.Standalone.send;
import static io.adapterplatform.local.standalone.Standalone.tokenWith;
import static io.adapterplatform.local.standalone.Standalone.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.TestBackends;
import io.adapterplatform.training.TrainingApplication;
import io.adapterplatform.web.auth.RemoteTokenVerifier;
import io.adapterplatform.web.auth.TokenVerifier;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The training service as the chart deploys it: TrainingApplication alone in its context, set up
 * only by the chart's environment variables, beside a registry that runs as its own application on
 * its own port and verifies the service's tokens.
 */
class TrainingApplicationTest {

  private static ConfigurableApplicationContext registry;
  private static ConfigurableApplicationContext training;
  private static String registryUrl;
  private static String trainingUrl;

  @BeforeAll
  static void start() {
    var backends = TestBackends.shared();
    registry = Standalone.registry(backends);
    registryUrl = Standalone.url(registry);
    var env = new HashMap<>(ChartEnvironment.beside(registryUrl, backends, ADMIN));
    env.put("PLATFORM_TRAINING_ROLE", "api"); // the training-api Deployment's env in values.yaml
    assertThat(ChartEnvironment.namesTheChartSets()).containsAll(env.keySet());
    training = ChartEnvironment.run(TrainingApplication.application(), env);
    trainingUrl = Standalone.url(training);
  }

  @AfterAll
  static void stop() {
    if (training != null) {
      training.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void runsWithoutTheRegistryModuleAndAsksTheRegistryWhoATokenIs() {
    assertThat(Standalone.registryBeans(training)).isEmpty();
    assertThat(training.getBean(TokenVerifier.class)).isInstanceOf(RemoteTokenVerifier.class);
    assertThat(training.getEnvironment().getProperty("platform.training.registry-url"))
        .isEqualTo(registryUrl);
  }

  @Test
  void aTokenTheRegistryIssuedAuthenticatesHereAndAnUnknownOneIsRefused() throws Exception {
    String reader = tokenWith(registryUrl, Role.READER);

    var known = get(trainingUrl + "/api/v1/datasets", reader);
    var unknown = get(trainingUrl + "/api/v1/datasets", "not-a-token-the-registry-issued-0123");
    var none = get(trainingUrl + "/api/v1/datasets", null);

    assertThat(known.status()).as(known.body()).isEqualTo(200);
    assertThat(unknown.status()).isEqualTo(401);
    assertThat(unknown.contentType()).startsWith("application/problem+json");
    assertThat(none.status()).isEqualTo(401);
  }

  @Test
  void uploadsADatasetAndReadsItBack() throws Exception {
    String trainer = tokenWith(registryUrl, Role.TRAINER);
    String name = "standalone-" + unique();

    var upload = uploadDataset(trainer, name, "{\"text\": \"hello\"}\n{\"text\": \"world\"}\n");
    var read = get(trainingUrl + "/api/v1/datasets/" + name + "/versions/1", trainer);

    assertThat(upload.status()).as(upload.body()).isEqualTo(201);
    assertThat(upload.json().get("name").asString()).isEqualTo(name);
    assertThat(read.status()).as(read.body()).isEqualTo(200);
    assertThat(read.json().get("version").asInt()).isEqualTo(1);
  }

  @Test
  void checksAJobsBaseModelThroughTheRegistrysApi() throws Exception {
    String base = "standalone-base-" + unique();
    Standalone.uploadBaseModel(registryUrl, base);
    String trainer = tokenWith(registryUrl, Role.TRAINER, Role.READER);
    String dataset = "standalone-jobs-" + unique();
    assertThat(uploadDataset(trainer, dataset, "{\"text\": \"a b c\"}\n").status()).isEqualTo(201);

    var queued = postJson("/api/v1/jobs", trainer, loraJob(base, dataset + "@1"));
    var absent = postJson("/api/v1/jobs", trainer, loraJob("absent-" + unique(), dataset + "@1"));

    assertThat(queued.status()).as(queued.body()).isEqualTo(202);
    assertThat(queued.json().get("state").asString()).isEqualTo("QUEUED");
    assertThat(absent.status()).as(absent.body()).isEqualTo(422);
    assertThat(absent.body()).contains("baseModel");
  }

  @Test
  void refusesToStartWithoutTheRegistrysAddress() {
    assertThatThrownBy(
            () ->
                ChartEnvironment.run(
                    TrainingApplication.application(), Map.of("PLATFORM_PORT", "0")))
        .hasStackTraceContaining("PLATFORM_AUTH_REGISTRY_URL");
  }

  @Test
  void answersTheChartsProbesWithoutAToken() throws Exception {
    assertThat(get(trainingUrl + "/actuator/health/liveness", null).status()).isEqualTo(200);
    assertThat(get(trainingUrl + "/actuator/health/readiness", null).status()).isEqualTo(200);
  }

  private static String loraJob(String base, String dataset) {
    return """
        {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "out-%s"}, "method": "LORA",
         "lora": {"r": 4, "alpha": 8, "targetModules": ["q_proj", "v_proj"]},
         "training": {"steps": 2, "batchSize": 1, "learningRate": 0.001, "maxSeqLen": 16}}
        """
        .formatted(base, dataset, unique());
  }

  private static Standalone.Response postJson(String path, String token, String body)
      throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create(trainingUrl + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        token);
  }

  private static Standalone.Response uploadDataset(String token, String name, String jsonl)
      throws Exception {
    String boundary = "b" + unique();
    var body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--%1$s\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n%2$s\r\n"
                + "--%1$s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.jsonl\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n%3$s\r\n--%1$s--\r\n")
            .formatted(boundary, name, jsonl)
            .getBytes(StandardCharsets.UTF_8));
    return send(
        HttpRequest.newBuilder(URI.create(trainingUrl + "/api/v1/datasets"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())),
        token);
  }
}
