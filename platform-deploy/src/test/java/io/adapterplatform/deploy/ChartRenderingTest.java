package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart lints strictly and renders only valid Kubernetes objects with every values file. */
class ChartRenderingTest {

  /**
   * Kinds from CRDs, which fabric8's model does not type: checked field by field in
   * ChartPolicyTest.
   */
  private static final Set<String> CUSTOM_KINDS = Set.of("ServiceMonitor", "InferencePool");

  static java.util.List<String> valuesFiles() {
    return HelmChart.valuesFiles();
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void lintsStrictlyWithoutWarnings(String valuesFile, @TempDir Path work) throws Exception {
    var result = HelmChart.lintStrict(valuesFile, work);

    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void everyObjectIsATypedKubernetesObjectWithOnlyKnownFields(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    assertThat(manifests.objects()).isNotEmpty();
    for (HasMetadata object : manifests.objects()) {
      var id = object.getKind() + " " + object.getMetadata().getName();
      assertThat(object.getApiVersion()).as(id).isNotBlank();
      assertThat(object.getMetadata().getName())
          .as(id)
          .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")
          .hasSizeLessThanOrEqualTo(63);
      if (object instanceof GenericKubernetesResource) {
        assertThat(CUSTOM_KINDS).as(id + " is not a Kubernetes type").contains(object.getKind());
      } else {
        assertThat(UnknownFields.of(object)).as(id + ": fields its type does not have").isEmpty();
      }
    }
  }

  @ParameterizedTest
  @MethodSource("valuesFiles")
  void everyObjectCarriesTheReleaseLabels(String valuesFile) {
    var manifests = HelmChart.render(valuesFile);

    assertThat(manifests.objects())
        .allSatisfy(
            o ->
                assertThat(o.getMetadata().getLabels())
                    .as(o.getKind() + " " + o.getMetadata().getName())
                    .containsEntry("app.kubernetes.io/instance", HelmChart.RELEASE)
                    .containsEntry("app.kubernetes.io/name", "lora-platform")
                    .containsKey("app.kubernetes.io/component"));
  }
}
