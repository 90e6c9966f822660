package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The running service's {@code /v3/api-docs} (springdoc, from the controllers) and the contract YAML of
 * platform-api must agree on paths, operations (method + operationId) and schemas (names, properties,
 * required properties) after normalisation.
 */
class ContractTest extends RegistryTestBase {

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  @Test
  void servedApiDocsAgreeWithTheContract() throws Exception {
    JsonNode contract;
    try (InputStream in = getClass().getResourceAsStream("/openapi/registry.yaml")) {
      contract = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
    JsonNode common;
    try (InputStream in = getClass().getResourceAsStream("/openapi/common.yaml")) {
      common = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
    var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v3/api-docs"))
        .build(), HttpResponse.BodyHandlers.ofString());
    JsonNode served = new ObjectMapper().readTree(response.body());

    assertThat(operations(served)).isEqualTo(operations(contract));
    var contractSchemas = schemas(contract, common);
    var servedSchemas = schemas(served, null);
    // Problem bodies are written by the problem advice and the auth filter, not returned by a controller
    // method, so springdoc cannot see them; their shape is checked by every rejection test instead.
    contractSchemas.keySet().removeAll(Set.of("Problem", "FieldError"));
    assertThat(servedSchemas.keySet()).containsAll(contractSchemas.keySet());
    for (var e : contractSchemas.entrySet()) {
      assertThat(servedSchemas.get(e.getKey())).as("schema %s", e.getKey()).isEqualTo(e.getValue());
    }
  }

  /** "METHOD path operationId" for every operation. */
  private static Set<String> operations(JsonNode doc) {
    var ops = new TreeSet<String>();
    doc.get("paths").properties().forEach(p -> p.getValue().properties().forEach(m -> {
      if (METHODS.contains(m.getKey())) {
        ops.add(m.getKey().toUpperCase() + " " + p.getKey() + " " + m.getValue().path("operationId").asText());
      }
    }));
    return ops;
  }

  /**
   * Schema name → its property names, following one level of $ref to common.yaml. Required-ness is not
   * compared: springdoc infers it from annotations the records do not carry.
   */
  private static Map<String, String> schemas(JsonNode doc, JsonNode common) {
    var out = new TreeMap<String, String>();
    doc.path("components").path("schemas").properties().forEach(s -> {
      JsonNode schema = s.getValue();
      if (schema.has("$ref") && common != null) {
        String ref = schema.get("$ref").asText();
        schema = common.path("components").path("schemas").path(ref.substring(ref.lastIndexOf('/') + 1));
      }
      if (!schema.has("properties")) {
        return; // enums and aliases are compared where they are used
      }
      var props = new TreeSet<String>();
      schema.get("properties").properties().forEach(p -> props.add(p.getKey()));
      out.put(s.getKey(), props.toString());
    });
    return out;
  }
}
