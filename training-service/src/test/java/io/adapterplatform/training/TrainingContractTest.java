package io.adapterplatform.training;

import static io.adapterplatform.test.contract.ContractDiff.servedAgainstContract;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What the running training service serves in {@code /v3/api-docs} agrees with platform-api's
 * training.yaml. The context also holds the registry, so the served document is first cut down to
 * the operations of training.yaml's paths and to the schemas the registry's contract does not
 * define.
 */
class TrainingContractTest extends TrainingTestBase {

  @Test
  void servedApiDocsAgreeWithTheContract() throws Exception {
    var differences =
        servedAgainstContract(
            port, "/openapi/training.yaml", "/openapi/common.yaml", "/openapi/registry.yaml");

    assertThat(differences)
        .as("differences between the contract (training.yaml) and the served /v3/api-docs")
        .isEmpty();
  }
}
