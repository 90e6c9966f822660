package io.adapterplatform.serving;

import static io.adapterplatform.test.contract.ContractDiff.servedAgainstContract;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What the running serving module serves in {@code /v3/api-docs} agrees with platform-api's
 * serving.yaml. The context also holds the registry, so the served document is first cut down to
 * the operations of serving.yaml's paths and to the schemas the registry's contract does not
 * define.
 */
class ServingContractTest extends EngineTestBase {

  @Test
  void servedApiDocsAgreeWithTheContract() throws Exception {
    var differences =
        servedAgainstContract(
            port, "/openapi/serving.yaml", "/openapi/common.yaml", "/openapi/registry.yaml");

    assertThat(differences)
        .as("differences between the contract (serving.yaml) and the served /v3/api-docs")
        .isEmpty();
  }
}
