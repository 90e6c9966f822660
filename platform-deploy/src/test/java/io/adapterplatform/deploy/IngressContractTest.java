package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The one Ingress routes every path of the OpenAPI contract (platform-api/src/main/openapi, one
 * YAML per service) to a Service that exists and whose pods belong to the service that owns the
 * path.
 */
class IngressContractTest {

  /**
   * Which component serves the paths of a contract file, by its name (training.yaml, serving.yaml).
   */
  private static final Map<String, String> OWNER_BY_CONTRACT_PREFIX =
      Map.of("registry", "registry", "training", "training-api", "serving", "serving");

  private final Manifests manifests = HelmChart.render("default");

  @Test
  void routesEveryContractPathToTheServiceOfTheComponentThatOwnsIt() throws IOException {
    var contract = contractPaths();
    assertThat(contract).as("paths read from the contract").hasSizeGreaterThan(10);

    for (var entry : contract) {
      var service = routedService(entry.path());
      assertThat(service).as(entry.path() + " is routed").isPresent();
      var pods = manifests.selectedBy(service.orElseThrow());
      assertThat(pods).as(entry.path() + " reaches pods").isNotEmpty();
      var owner =
          OWNER_BY_CONTRACT_PREFIX.entrySet().stream()
              .filter(o -> entry.contract().startsWith(o.getKey()))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElse(null);
      if (owner != null) {
        assertThat(pods)
            .as(entry.path() + " (" + entry.contract() + ".yaml)")
            .allSatisfy(
                d ->
                    assertThat(d.getMetadata().getLabels())
                        .containsEntry("app.kubernetes.io/component", owner));
      }
    }
  }

  @Test
  void routesTheTrainingAndServingPathsAwayFromTheRegistry() {
    assertThat(component("/api/v1/datasets/support-chats/versions/1")).isEqualTo("training-api");
    assertThat(component("/api/v1/jobs/0193:cancel")).isEqualTo("training-api");
    assertThat(component("/v1/chat/completions")).isEqualTo("serving");
    assertThat(component("/api/v1/serving/adapters")).isEqualTo("serving");
    assertThat(component("/api/v1/adapters/summarizer/versions")).isEqualTo("registry");
    assertThat(component("/hf/api/models/acme/summarizer/revision/main")).isEqualTo("registry");
    // Prefixes match whole path segments: a registry path that merely starts with "jobs" stays
    // there.
    assertThat(component("/api/v1/jobsearch")).isEqualTo("registry");
  }

  private String component(String path) {
    var service = routedService(path).orElseThrow(() -> new AssertionError(path + " not routed"));
    return service.getMetadata().getLabels().get("app.kubernetes.io/component");
  }

  /**
   * Kubernetes Ingress semantics for {@code Prefix}: element-wise prefix, the longest match wins.
   */
  private Optional<Service> routedService(String requestPath) {
    var ingress = manifests.all(Ingress.class);
    assertThat(ingress).hasSize(1);
    var requestSegments = segments(requestPath.replaceAll("\\{[^}]+}", "x"));
    var route =
        ingress.getFirst().getSpec().getRules().stream()
            .flatMap(rule -> rule.getHttp().getPaths().stream())
            .filter(p -> p.getPathType().equals("Prefix"))
            .filter(p -> startsWith(requestSegments, segments(p.getPath())))
            .max(Comparator.comparingInt((HTTPIngressPath p) -> segments(p.getPath()).size()));
    if (route.isEmpty()) {
      return Optional.empty();
    }
    var backend = route.get().getBackend().getService();
    var service = manifests.find(Service.class, backend.getName());
    assertThat(service).as("Service " + backend.getName() + " for " + requestPath).isPresent();
    assertThat(service.get().getSpec().getPorts())
        .as("port " + backend.getPort().getName() + " of " + backend.getName())
        .anyMatch(p -> p.getName().equals(backend.getPort().getName()));
    return service;
  }

  private static List<String> segments(String path) {
    return Stream.of(path.split("/")).filter(s -> !s.isEmpty()).toList();
  }

  private static boolean startsWith(List<String> path, List<String> prefix) {
    return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
  }

  record ContractPath(String contract, String path) {}

  @SuppressWarnings("unchecked")
  private static List<ContractPath> contractPaths() throws IOException {
    var dir = Path.of(System.getProperty("openapi.dir", "../platform-api/src/main/openapi"));
    var found = new ArrayList<ContractPath>();
    try (Stream<Path> files = Files.list(dir)) {
      for (var file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        var paths = (Map<String, Object>) HelmChart.read(file).get("paths");
        var contract = file.getFileName().toString().replaceFirst("\\.yaml$", "");
        if (paths != null) {
          paths.keySet().forEach(p -> found.add(new ContractPath(contract, p)));
        }
      }
    }
    return found;
  }
}
