package io.adapterplatform.serving;

import static io.adapterplatform.test.contract.ContractDiff.differences;
import static io.adapterplatform.test.contract.ContractDiff.normalize;
import static io.adapterplatform.test.contract.ContractDiff.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What the running serving module serves in {@code /v3/api-docs} agrees with platform-api's
 * serving.yaml. The context also holds the registry, so the served document is first cut down to
 * the operations of serving.yaml's paths and to the schemas the registry's contract does not
 * define.
 */
class ServingContractTest extends EngineTestBase {

  @Test
  @SuppressWarnings("unchecked")
  void servedApiDocsAgreeWithTheContract() throws Exception {
    JsonNode contract = yaml("/openapi/serving.yaml");
    JsonNode common = yaml("/openapi/common.yaml");
    JsonNode registry = yaml("/openapi/registry.yaml");
    HttpResponse<String> docs = get("/v3/api-docs", null);
    Files.writeString(Path.of("target", "served-serving-api-docs.json"), docs.body());
    var served = normalize(new ObjectMapper().readTree(docs.body()), null);
    var expected = normalize(contract, common);

    var operations = new TreeMap<>((Map<String, Object>) served.get("operations"));
    operations
        .keySet()
        .removeIf(op -> !contract.path("paths").has(op.substring(op.indexOf(' ') + 1)));
    var schemas = new TreeMap<>((Map<String, Object>) served.get("schemas"));
    schemas
        .keySet()
        .removeIf(
            s ->
                registry.path("components").path("schemas").has(s)
                    && !contract.path("components").path("schemas").has(s));
    served.put("operations", operations);
    served.put("schemas", schemas);

    assertThat(differences(expected, served))
        .as("differences between the contract (serving.yaml) and the served /v3/api-docs")
        .isEmpty();
  }
}
