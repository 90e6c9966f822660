package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json refuses values that would deploy something broken or unsafe. */
class ValuesSchemaTest {

  @TempDir Path work;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          an unknown top-level key                | replicaCount: 3                                                  | Additional property replicaCount
          a misspelt nested key                   | gpu: {enabeld: true}                                             | Additional property enabeld
          a string where a boolean belongs        | gpu: {enabled: "yes"}                                            | gpu.enabled
          a pod that may run as root              | podSecurityContext: {runAsNonRoot: false, seccompProfile: {type: RuntimeDefault}} | podSecurityContext.runAsNonRoot
          a writable root filesystem              | containerSecurityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: {drop: [ALL]}} | readOnlyRootFilesystem
          privilege escalation                    | containerSecurityContext: {runAsNonRoot: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}} | allowPrivilegeEscalation
          a password beside an existing Secret    | database: {existingSecret: platform-db, password: hunter2}       | database.password
          an admin token shorter than 32          | auth: {adminToken: short-token}                                  | auth.adminToken
          a credential in the ConfigMap           | config: {extraEnv: {PLATFORM_S3_SECRET_KEY: abc}}                 | config.extraEnv
          no served base model                    | serving: {baseModels: []}                                        | serving.baseModels
          a base model without a name             | serving: {baseModels: [{replicas: 1}]}                           | name is required
          a JDBC URL of another database          | database: {url: "jdbc:mysql://db:3306/platform"}                 | database.url
          a malformed Kafka bootstrap list        | kafka: {bootstrapServers: "kafka"}                               | kafka.bootstrapServers
          a negative replica count                | registry: {replicas: -1}                                         | registry.replicas
          an unknown failure mode of the picker   | inferenceGateway: {endpointPicker: {failureMode: Retry}}         | failureMode
          """)
  void refuses(String what, String values, String complaint) throws IOException {
    var file = Files.writeString(work.resolve("bad.yaml"), values + "\n");

    assertThatThrownBy(() -> HelmChart.renderWith(file))
        .as(what)
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(complaint);
  }

  @Test
  void acceptsTestCredentialsAndRendersThemOnlyIntoSecrets() throws IOException {
    var file =
        Files.writeString(
            work.resolve("test-install.yaml"),
            """
            database: {username: platform, password: test-only-password}
            s3: {accessKey: test-access, secretKey: test-secret-key}
            auth: {adminToken: test-admin-token-0123456789-abcdefghij}
            """);

    var manifests = Manifests.parse(HelmChart.renderWith(file), HelmChart.values("default"));

    assertThat(manifests.all(io.fabric8.kubernetes.api.model.Secret.class))
        .extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder(
            Manifests.name("database"), Manifests.name("s3"), Manifests.name("admin-token"));
    assertThat(String.join("\n", manifests.documents()))
        .doesNotContain("test-only-password")
        .doesNotContain("test-secret-key");
  }
}
