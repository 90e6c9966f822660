package io.adapterplatform.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** What one render of the chart produced, as fabric8 Kubernetes model objects. */
record Manifests(List<HasMetadata> objects, List<String> documents, Map<String, Object> values) {

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static Manifests parse(String rendered, Map<String, Object> values) {
    var objects = new ArrayList<HasMetadata>();
    var documents = new ArrayList<String>();
    for (var document : DOCUMENT_SEPARATOR.split(rendered)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("#"))) {
        continue;
      }
      KubernetesResource resource = SERIALIZATION.unmarshal(document, KubernetesResource.class);
      objects.add((HasMetadata) resource);
      documents.add(document);
    }
    return new Manifests(List.copyOf(objects), List.copyOf(documents), values);
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  List<GenericKubernetesResource> custom(String kind) {
    return all(GenericKubernetesResource.class).stream()
        .filter(r -> r.getKind().equals(kind))
        .toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  static String name(String suffix) {
    return HelmChart.RELEASE + "-lora-platform-" + suffix;
  }

  Deployment deployment(String suffix) {
    return find(Deployment.class, name(suffix))
        .orElseThrow(() -> new AssertionError("no Deployment " + name(suffix)));
  }

  List<Deployment> deploymentsOf(String component) {
    return all(Deployment.class).stream()
        .filter(
            d -> component.equals(d.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .toList();
  }

  static List<Container> containers(Deployment deployment) {
    var spec = deployment.getSpec().getTemplate().getSpec();
    var all = new ArrayList<>(spec.getContainers());
    all.addAll(spec.getInitContainers());
    return all;
  }

  /** Deployments whose pods a Service (or any label selector) selects. */
  List<Deployment> selectedBy(Map<String, String> selector) {
    return all(Deployment.class).stream()
        .filter(
            d ->
                d.getSpec()
                    .getTemplate()
                    .getMetadata()
                    .getLabels()
                    .entrySet()
                    .containsAll(selector.entrySet()))
        .toList();
  }

  List<Deployment> selectedBy(Service service) {
    return selectedBy(service.getSpec().getSelector());
  }

  boolean gpuEnabled() {
    return Boolean.TRUE.equals(HelmChart.value(values, "gpu", "enabled"));
  }
}
