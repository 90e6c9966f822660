package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every render must hold, whatever the values: GPUs, probes, security, credentials, selectors.
 */
class ChartPolicyTest {

  private static final Set<String> PLATFORM_COMPONENTS =
      Set.of("registry", "training-api", "training-worker", "serving");
  private static final Set<String> GPU_COMPONENTS = Set.of("training-worker", "serving");
  private static final Pattern CREDENTIAL_NAME =
      Pattern.compile("(?i).*(password|secret|token|access_key|jaas|credential).*");

  static List<String> valuesFiles() {
    return HelmChart.valuesFiles();
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void gpusAreRequestedByWorkersAndServingOnlyWhenGpuIsEnabled(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);
    var gpu = (String) HelmChart.value(manifests.values(), "gpu", "resourceName");

    for (var deployment : manifests.all(Deployment.class)) {
      var component = component(deployment);
      var expectsGpu = manifests.gpuEnabled() && GPU_COMPONENTS.contains(component);
      for (var container : Manifests.containers(deployment)) {
        var resources = container.getResources();
        var id = deployment.getMetadata().getName() + "/" + container.getName();
        if (expectsGpu) {
          assertThat(resources.getRequests()).as(id).containsKey(gpu);
          assertThat(resources.getLimits())
              .as(id)
              .containsEntry(gpu, resources.getRequests().get(gpu));
          assertThat(deployment.getSpec().getTemplate().getSpec().getTolerations())
              .as(id)
              .anyMatch(t -> gpu.equals(t.getKey()));
          assertThat(container.getEnv())
              .as(id)
              .anyMatch(
                  e ->
                      e.getName().equals("JAVA_TOOL_OPTIONS")
                          && e.getValue().contains("-Dadapterplatform.device=gpu"));
        } else {
          assertThat(resources.getRequests()).as(id).doesNotContainKey(gpu);
          assertThat(container.getEnv())
              .as(id)
              .noneMatch(
                  e -> e.getValue() != null && e.getValue().contains("adapterplatform.device"));
          assertThat(resources.getLimits() == null ? Map.of() : resources.getLimits())
              .as(id)
              .doesNotContainKey(gpu);
        }
      }
    }
    assertThat(manifests.deploymentsOf("training-worker")).isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void everyContainerHasLivenessAndReadinessProbesAndRequestsResources(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    for (var deployment : manifests.all(Deployment.class)) {
      for (var container : Manifests.containers(deployment)) {
        var id = deployment.getMetadata().getName() + "/" + container.getName();
        assertThat(container.getLivenessProbe()).as(id + " liveness").isNotNull();
        assertThat(container.getReadinessProbe()).as(id + " readiness").isNotNull();
        assertThat(container.getResources().getRequests()).as(id).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).as(id).containsKey("memory");
        if (PLATFORM_COMPONENTS.contains(component(deployment))) {
          // Spring Boot's health groups: liveness is the process, readiness what it needs to serve.
          assertThat(container.getLivenessProbe().getHttpGet().getPath())
              .isEqualTo("/actuator/health/liveness");
          assertThat(container.getReadinessProbe().getHttpGet().getPath())
              .isEqualTo("/actuator/health/readiness");
          assertThat(container.getStartupProbe()).as(id + " startup").isNotNull();
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void everyPlatformPodStopsGracefully(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    for (var deployment : manifests.all(Deployment.class)) {
      if (!PLATFORM_COMPONENTS.contains(component(deployment))) {
        continue;
      }
      var pod = deployment.getSpec().getTemplate().getSpec();
      for (var container : pod.getContainers()) {
        var pause = container.getLifecycle().getPreStop().getSleep().getSeconds();
        var shutdown = env(container, "SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE");
        assertThat(pause).isPositive();
        // The preStop pause and Spring's graceful shutdown both fit before the kubelet's SIGKILL.
        assertThat(pause + Long.parseLong(shutdown.getValue().replace("s", "")))
            .isLessThan(pod.getTerminationGracePeriodSeconds());
        if ("serving".equals(component(deployment))) {
          // the engine waits for in-flight requests as long as Spring's shutdown phase allows
          assertThat(env(container, "PLATFORM_SERVING_ENGINE_DRAIN_TIMEOUT").getValue())
              .isEqualTo(shutdown.getValue());
        }
      }
    }
    var config = manifests.all(ConfigMap.class).getFirst();
    assertThat(config.getData()).containsEntry("SERVER_SHUTDOWN", "graceful");
    assertThat(config.getData()).containsEntry("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true");
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void everyPodMeetsTheRestrictedPodSecurityStandard(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    for (var deployment : manifests.all(Deployment.class)) {
      var pod = deployment.getSpec().getTemplate().getSpec();
      var id = deployment.getMetadata().getName();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(id).isTrue();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType())
          .as(id)
          .isEqualTo("RuntimeDefault");
      assertThat(pod.getSecurityContext().getRunAsUser()).as(id).isNotZero();
      assertThat(pod.getHostNetwork()).as(id).isNotEqualTo(Boolean.TRUE);
      for (var container : pod.getContainers()) {
        var security = container.getSecurityContext();
        assertThat(security.getAllowPrivilegeEscalation()).as(id).isFalse();
        assertThat(security.getReadOnlyRootFilesystem()).as(id).isTrue();
        assertThat(security.getRunAsNonRoot()).as(id).isTrue();
        assertThat(security.getPrivileged()).as(id).isNotEqualTo(Boolean.TRUE);
        assertThat(security.getCapabilities().getDrop()).as(id).contains("ALL");
        assertThat(security.getCapabilities().getAdd()).as(id).isNullOrEmpty();
      }
      if (PLATFORM_COMPONENTS.contains(component(deployment))) {
        // The root filesystem is read-only: temporary files and caches go to emptyDir volumes.
        var mounts = pod.getContainers().getFirst().getVolumeMounts();
        assertThat(mounts).extracting("mountPath").contains("/tmp", "/var/cache/platform");
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
        assertThat(pod.getAutomountServiceAccountToken()).as(id).isFalse();
      }
    }
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void credentialsReachContainersOnlyFromSecrets(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    for (var deployment : manifests.all(Deployment.class)) {
      for (var container : Manifests.containers(deployment)) {
        for (var variable : container.getEnv()) {
          if (CREDENTIAL_NAME.matcher(variable.getName()).matches()) {
            assertThat(variable.getValue()).as(variable.getName()).isNull();
            assertThat(variable.getValueFrom().getSecretKeyRef())
                .as(variable.getName())
                .isNotNull();
          }
        }
      }
    }
    for (var config : manifests.all(ConfigMap.class)) {
      assertThat(config.getData().keySet()).noneMatch(k -> CREDENTIAL_NAME.matcher(k).matches());
      assertThat(config.getData().values())
          .noneMatch(v -> v.contains("minioadmin") || v.matches("(?i).*password=.*"));
    }
    // Only the plain test values may make the chart write a Secret; none of the values files has
    // any.
    assertThat(manifests.all(Secret.class)).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void labelsAndSelectorsMatch(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    for (var deployment : manifests.all(Deployment.class)) {
      assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
          .as(deployment.getMetadata().getName())
          .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    }
    for (var service : manifests.all(Service.class)) {
      var selected = manifests.selectedBy(service);
      assertThat(selected).as("pods of Service " + service.getMetadata().getName()).isNotEmpty();
      for (var port : service.getSpec().getPorts()) {
        assertThat(selected)
            .allSatisfy(
                d ->
                    assertThat(Manifests.containers(d))
                        .flatExtracting(Container::getPorts)
                        .extracting("name")
                        .contains(port.getTargetPort().getStrVal()));
      }
    }
    for (var budget : manifests.all(PodDisruptionBudget.class)) {
      assertThat(manifests.selectedBy(budget.getSpec().getSelector().getMatchLabels()))
          .as(budget.getMetadata().getName())
          .hasSize(1);
    }
    for (var autoscaler : manifests.all(HorizontalPodAutoscaler.class)) {
      var target = autoscaler.getSpec().getScaleTargetRef();
      assertThat(manifests.find(Deployment.class, target.getName()))
          .as(target.getName())
          .isPresent();
      assertThat(
              manifests
                  .find(Deployment.class, target.getName())
                  .orElseThrow()
                  .getSpec()
                  .getReplicas())
          .as("an autoscaled Deployment leaves replicas to its HPA")
          .isNull();
    }
    for (var policy : manifests.all(NetworkPolicy.class)) {
      assertThat(manifests.selectedBy(policy.getSpec().getPodSelector().getMatchLabels()))
          .hasSameSizeAs(manifests.all(Deployment.class));
    }
    for (var pool : manifests.custom("InferencePool")) {
      var spec = spec(pool);
      @SuppressWarnings("unchecked")
      var labels =
          (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
      assertThat(manifests.selectedBy(labels))
          .singleElement()
          .satisfies(d -> assertThat(component(d)).isEqualTo("serving"));
    }
  }

  private static String component(Deployment deployment) {
    return deployment.getMetadata().getLabels().get("app.kubernetes.io/component");
  }

  private static EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(container.getName() + " has no " + name));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> spec(GenericKubernetesResource resource) {
    return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
  }
}
