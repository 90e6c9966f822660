package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

class UnknownFieldsTest {

  private static final String DEPLOYMENT =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: probe
      spec:
        replicas: %s
        selector:
          matchLabels: {app: probe}
        template:
          metadata:
            labels: {app: probe}
          spec:
            containers:
              - name: app
                image: app:1
                %s:
                  httpGet: {path: /actuator/health/readiness, port: http}
                lifecycle:
                  preStop:
                    sleep: {seconds: 5}
      """;

  @Test
  void acceptsAValidDeploymentWithASleepPreStopHook() {
    var deployment = parse(DEPLOYMENT.formatted("2", "readinessProbe"));

    assertThat(UnknownFields.of(deployment)).isEmpty();
  }

  @Test
  void reportsAMisspeltFieldDeepInThePodTemplate() {
    var deployment = parse(DEPLOYMENT.formatted("2", "readinesProbe"));

    assertThat(UnknownFields.of(deployment)).singleElement().asString().endsWith(".readinesProbe");
  }

  private static Deployment parse(String yaml) {
    return Manifests.SERIALIZATION.unmarshal(yaml, Deployment.class);
  }
}
