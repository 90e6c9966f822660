package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What each values file is for: defaults, GPU cluster, CPU-only, external Secrets, inference
 * gateway.
 */
class ChartScenarioTest {

  @Test
  void defaultsHoldNoCredentialAndReferenceTheReleaseSecrets() {
    var values = HelmChart.values("default");
    var manifests = HelmChart.render("default");

    for (var path :
        List.of(
            List.of("database", "username"),
            List.of("database", "password"),
            List.of("s3", "accessKey"),
            List.of("s3", "secretKey"),
            List.of("auth", "adminToken"))) {
      assertThat(HelmChart.value(values, path.toArray(String[]::new)))
          .as(path.toString())
          .isEqualTo("");
    }
    var registry = container(manifests.deployment("registry"));
    assertThat(secretOf(registry, "SPRING_DATASOURCE_PASSWORD"))
        .isEqualTo(Manifests.name("database"));
    assertThat(secretOf(registry, "PLATFORM_S3_SECRET_KEY")).isEqualTo(Manifests.name("s3"));
    assertThat(secretOf(registry, "PLATFORM_ADMIN_TOKEN")).isEqualTo(Manifests.name("admin-token"));
    assertThat(manifests.custom("InferencePool")).isEmpty();
    assertThat(manifests.custom("ServiceMonitor")).isEmpty();
  }

  @Test
  void externalSecretsAreReferencedByTheirNamesAndKeys() {
    var manifests = HelmChart.render("external-secret-values.yaml");

    for (var deployment : manifests.all(Deployment.class)) {
      var container = container(deployment);
      assertThat(secretOf(container, "SPRING_DATASOURCE_USERNAME")).isEqualTo("platform-db");
      assertThat(
              env(container, "SPRING_DATASOURCE_PASSWORD")
                  .getValueFrom()
                  .getSecretKeyRef()
                  .getKey())
          .isEqualTo("pass");
      assertThat(secretOf(container, "PLATFORM_S3_ACCESS_KEY")).isEqualTo("platform-s3");
      assertThat(secretOf(container, "PLATFORM_ADMIN_TOKEN")).isEqualTo("platform-admin");
      assertThat(secretOf(container, "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"))
          .isEqualTo("platform-kafka");
    }
    var config = manifests.all(ConfigMap.class).getFirst().getData();
    assertThat(config)
        .containsEntry("SPRING_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        .containsEntry("SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "SCRAM-SHA-512")
        .containsEntry("PLATFORM_REGISTRY_BUCKET", "acme-adapters");
  }

  @Test
  void servesEachBaseModelFromItsOwnDeploymentAndService() {
    var manifests = HelmChart.render("gpu-values.yaml");

    var serving = manifests.deploymentsOf("serving");
    assertThat(serving)
        .extracting(d -> d.getMetadata().getName())
        .containsExactlyInAnyOrder(
            Manifests.name("serving-llama-3-2-1b"), Manifests.name("serving-qwen2-5-0-5b"));
    assertThat(
            env(
                    container(manifests.deployment("serving-llama-3-2-1b")),
                    "PLATFORM_SERVING_BASE_MODELS")
                .getValue())
        .isEqualTo("llama-3.2-1b");
    var perModel =
        manifests.find(Service.class, Manifests.name("serving-qwen2-5-0-5b")).orElseThrow();
    assertThat(manifests.selectedBy(perModel))
        .containsExactly(manifests.deployment("serving-qwen2-5-0-5b"));
    var all = manifests.find(Service.class, Manifests.name("serving")).orElseThrow();
    assertThat(manifests.selectedBy(all)).hasSize(2);
  }

  @Test
  void servingScalesOnQueueDepthAndTokensPerSecondWithCpuAsTheFallback() {
    var manifests = HelmChart.render("gpu-values.yaml");

    var qwen = autoscaler(manifests, "serving-qwen2-5-0-5b");
    assertThat(qwen.getSpec().getMaxReplicas()).isEqualTo(8);
    assertThat(qwen.getSpec().getMetrics())
        .extracting(ChartScenarioTest::metricName)
        .containsExactly(
            "platform_serving_queue_depth", "platform_serving_tokens_per_second", "cpu");
    assertThat(autoscaler(manifests, "serving-llama-3-2-1b").getSpec().getMetrics())
        .extracting(ChartScenarioTest::metricName)
        .containsExactly("platform_serving_queue_depth", "cpu");
    assertThat(autoscaler(manifests, "training-worker").getSpec().getMetrics())
        .extracting(ChartScenarioTest::metricName)
        .containsExactly("kafka_consumergroup_lag", "cpu");
  }

  @Test
  void gpuPodsLandOnGpuNodesAndScrapingUsesATokenFromASecret() {
    var manifests = HelmChart.render("gpu-values.yaml");

    assertThat(
            manifests
                .deployment("training-worker")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getNodeSelector())
        .containsEntry("nvidia.com/gpu.present", "true");
    assertThat(manifests.deployment("registry").getSpec().getTemplate().getSpec().getNodeSelector())
        .isNullOrEmpty();
    var monitor = ChartPolicyTest.spec(manifests.custom("ServiceMonitor").getFirst());
    assertThat(monitor.toString())
        .contains("path=/actuator/prometheus")
        .contains("name=prometheus-platform-token");
  }

  @Test
  void aCpuOnlyInstallHasFixedReplicasAndATlsIngress() {
    var manifests = HelmChart.render("cpu-only-values.yaml");

    assertThat(manifests.all(HorizontalPodAutoscaler.class)).isEmpty();
    assertThat(manifests.deployment("serving-tiny-llama").getSpec().getReplicas()).isEqualTo(1);
    var ingress = manifests.all(Ingress.class).getFirst().getSpec();
    assertThat(ingress.getIngressClassName()).isEqualTo("nginx");
    assertThat(ingress.getRules().getFirst().getHost()).isEqualTo("lora.example.com");
    assertThat(ingress.getTls().getFirst().getSecretName()).isEqualTo("lora-example-tls");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theInferenceGatewayGetsAPoolAndAnEndpointPickerPerBaseModel() {
    var manifests = HelmChart.render("inference-gateway-values.yaml");

    var pools = manifests.custom("InferencePool");
    assertThat(pools).hasSize(2);
    for (var pool : pools) {
      assertThat(pool.getApiVersion()).isEqualTo("inference.networking.k8s.io/v1");
      var spec = ChartPolicyTest.spec(pool);
      assertThat((List<Map<String, Object>>) spec.get("targetPorts"))
          .containsExactly(Map.of("number", 8080));
      var picker = (Map<String, Object>) spec.get("endpointPickerRef");
      var pickerService = manifests.find(Service.class, (String) picker.get("name")).orElseThrow();
      assertThat(pickerService.getSpec().getPorts())
          .anyMatch(
              p -> p.getPort().equals(((Map<String, Object>) picker.get("port")).get("number")));
      assertThat(manifests.selectedBy(pickerService))
          .singleElement()
          .satisfies(
              d ->
                  assertThat(container(d).getArgs())
                      .contains("--pool-name=" + pool.getMetadata().getName()));
    }
    var routes = manifests.all(HTTPRoute.class);
    assertThat(routes).hasSize(2);
    assertThat(routes)
        .allSatisfy(
            r -> {
              var backend = r.getSpec().getRules().getFirst().getBackendRefs().getFirst();
              assertThat(backend.getKind()).isEqualTo("InferencePool");
              assertThat(pools).anyMatch(p -> p.getMetadata().getName().equals(backend.getName()));
            });
  }

  private static Container container(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
  }

  private static EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(container.getName() + " has no " + name));
  }

  private static String secretOf(Container container, String name) {
    return env(container, name).getValueFrom().getSecretKeyRef().getName();
  }

  private static HorizontalPodAutoscaler autoscaler(Manifests manifests, String suffix) {
    return manifests.find(HorizontalPodAutoscaler.class, Manifests.name(suffix)).orElseThrow();
  }

  private static String metricName(MetricSpec metric) {
    return switch (metric.getType()) {
      case "Pods" -> metric.getPods().getMetric().getName();
      case "External" -> metric.getExternal().getMetric().getName();
      case "Resource" -> metric.getResource().getName();
      default -> metric.getType();
    };
  }
}
