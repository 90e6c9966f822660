package io.adapterplatform.registry;

import static io.adapterplatform.test.contract.ContractDiff.differences;
import static io.adapterplatform.test.contract.ContractDiff.normalize;
import static io.adapterplatform.test.contract.ContractDiff.servedAgainstContract;
import static io.adapterplatform.test.contract.ContractDiff.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * The running registry's {@code /v3/api-docs} and platform-api's registry.yaml must agree on every
 * operation and schema (platform-test's ContractDiff says what that covers).
 */
class ContractTest extends RegistryTestBase {

  @Test
  void servedApiDocsAgreeWithTheContract() throws Exception {
    var differences = servedAgainstContract(port, "/openapi/registry.yaml", "/openapi/common.yaml");

    assertThat(differences)
        .as("differences between the contract (registry.yaml) and the served /v3/api-docs")
        .isEmpty();
  }

  @Test
  void comparisonReportsWhatDiffersAndWhere() {
    JsonNode contract = yaml("/openapi/registry.yaml");
    JsonNode common = yaml("/openapi/common.yaml");
    var changed = contract.deepCopy();
    var kind = (ObjectNode) changed.at("/paths/~1api~1v1~1adapters/get/parameters/3");
    kind.put("name", "type");
    var required = (ArrayNode) changed.at("/components/schemas/Adapter/required");
    required.remove(0);

    var differences = differences(normalize(contract, common), normalize(changed, common));

    assertThat(differences)
        .containsExactlyInAnyOrder(
            "operations > GET /api/v1/adapters > parameters > query kind: in the contract, not served",
            "operations > GET /api/v1/adapters > parameters > query type: served, not in the contract",
            "schemas > Adapter > required: contract [baseModel, createdAt, labels, name], served [baseModel, createdAt, labels]");
  }
}
