package io.adapterplatform.test.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares a running service's {@code /v3/api-docs} (springdoc, from the controllers and records)
 * with its contract YAML in platform-api: every operation (operationId, tags, security, parameters
 * with where, required and schema; request body media types, encodings and schemas; response status
 * codes with their headers, media types and schemas) and every schema (property names, types,
 * formats, validation keywords such as pattern or minItems, enums, $refs, items, additional
 * properties and required). Both documents are brought to one normal form (references to shared
 * parameters, responses and headers resolved; descriptions and examples left out) and every
 * difference is reported with its place, e.g. {@code operations > GET /api/v1/adapters > parameters
 * > query kind > required: contract false, served true}. Each service's contract test calls {@link
 * #servedAgainstContract}.
 */
public final class ContractDiff {

  private static final Set<String> METHODS =
      Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ContractDiff() {}

  /**
   * The differences between the contract ({@code contractResource}, e.g. {@code
   * /openapi/registry.yaml}, with the shared schemas of {@code commonResource}) and what the
   * service on {@code port} serves. The served document is kept as {@code
   * target/served-api-docs.json}: the first thing to read when a comparison fails.
   *
   * <p>{@code composedWith} names the contracts of other services that the same application serves
   * beside this one (e.g. the registry composed with the serving module in one JVM). The served
   * document is then cut down to the operations of this contract's paths, and the schemas that only
   * those other contracts define are left out; without them the whole served document is compared.
   */
  @SuppressWarnings("unchecked")
  public static List<String> servedAgainstContract(
      int port, String contractResource, String commonResource, String... composedWith)
      throws IOException, InterruptedException {
    JsonNode contract = yaml(contractResource);
    JsonNode common = commonResource == null ? null : yaml(commonResource);
    var response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v3/api-docs"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    Files.writeString(Path.of("target", "served-api-docs.json"), response.body());
    var served = normalize(new ObjectMapper().readTree(response.body()), null);
    if (composedWith.length > 0) {
      var operations = new TreeMap<>((Map<String, Object>) served.get("operations"));
      operations
          .keySet()
          .removeIf(op -> !contract.path("paths").has(op.substring(op.indexOf(' ') + 1)));
      var ownSchemas = contract.path("components").path("schemas");
      var schemas = new TreeMap<>((Map<String, Object>) served.get("schemas"));
      for (String other : composedWith) {
        var otherSchemas = yaml(other).path("components").path("schemas");
        schemas.keySet().removeIf(s -> otherSchemas.has(s) && !ownSchemas.has(s));
      }
      served.put("operations", operations);
      served.put("schemas", schemas);
    }
    return differences(normalize(contract, common), served);
  }

  /**
   * A YAML (or JSON) document from the class path, e.g. platform-api's {@code
   * /openapi/registry.yaml}.
   */
  public static JsonNode yaml(String resource) {
    try (InputStream in = ContractDiff.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no resource " + resource + " on the class path");
      }
      return YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every place where the two normal forms differ, "a > b > c: contract X, served Y". */
  public static List<String> differences(Object contract, Object served) {
    var out = new ArrayList<String>();
    diff("", contract, served, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void diff(String where, Object contract, Object served, List<String> out) {
    if (contract instanceof Map<?, ?> c && served instanceof Map<?, ?> s) {
      var keys = new TreeSet<String>();
      keys.addAll((Set<String>) c.keySet());
      keys.addAll((Set<String>) s.keySet());
      for (String k : keys) {
        String at = where.isEmpty() ? k : where + " > " + k;
        if (!s.containsKey(k)) {
          out.add(at + ": in the contract, not served");
        } else if (!c.containsKey(k)) {
          out.add(at + ": served, not in the contract");
        } else {
          diff(at, c.get(k), s.get(k), out);
        }
      }
    } else if (!Objects.equals(contract, served)) {
      out.add(where + ": contract " + contract + ", served " + served);
    }
  }

  /** The parts of a document that make its contract, as sorted maps of strings. */
  public static Map<String, Object> normalize(JsonNode doc, JsonNode common) {
    var d = new Doc(doc, common);
    var out = new TreeMap<String, Object>();
    var ops = new TreeMap<String, Object>();
    doc.path("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .properties()
                    .forEach(
                        m -> {
                          if (METHODS.contains(m.getKey())) {
                            ops.put(
                                m.getKey().toUpperCase() + " " + p.getKey(),
                                d.operation(m.getValue()));
                          }
                        }));
    out.put("operations", ops);
    var schemas = new TreeMap<String, Object>();
    doc.path("components")
        .path("schemas")
        .properties()
        .forEach(s -> schemas.put(s.getKey(), d.schema(d.alias(s.getValue()))));
    out.put("schemas", schemas);
    var schemes = new TreeMap<String, Object>();
    doc.path("components")
        .path("securitySchemes")
        .properties()
        .forEach(
            s ->
                schemes.put(
                    s.getKey(),
                    s.getValue().path("type").asText()
                        + " "
                        + s.getValue().path("scheme").asText()));
    out.put("securitySchemes", schemes);
    return out;
  }

  private record Doc(JsonNode root, JsonNode common) {

    /** A local reference ("#/components/responses/NotFound") followed to what it names. */
    JsonNode deref(JsonNode node) {
      while (node.has("$ref") && node.get("$ref").asText().startsWith("#/")) {
        node = root.at(node.get("$ref").asText().substring(1));
      }
      return node;
    }

    /**
     * A schema that only names a shared one of common.yaml ({@code Problem: {$ref:
     * ./common.yaml#...}}).
     */
    JsonNode alias(JsonNode schema) {
      if (common != null
          && schema.has("$ref")
          && schema.get("$ref").asText().startsWith("./common.yaml#")) {
        return common.at(schema.get("$ref").asText().substring("./common.yaml#".length()));
      }
      return schema;
    }

    Map<String, Object> operation(JsonNode op) {
      var m = new TreeMap<String, Object>();
      m.put("operationId", op.path("operationId").asText());
      m.put("tags", strings(op.path("tags")));
      JsonNode security = op.has("security") ? op.get("security") : root.path("security");
      var schemes = new TreeSet<String>();
      security.forEach(requirement -> requirement.fieldNames().forEachRemaining(schemes::add));
      m.put("security", schemes.toString());
      var params = new TreeMap<String, Object>();
      op.path("parameters")
          .forEach(
              p0 -> {
                JsonNode p = deref(p0);
                var pm = new TreeMap<String, Object>();
                pm.put("required", String.valueOf(p.path("required").asBoolean(false)));
                pm.put("schema", schema(p.path("schema")));
                params.put(p.path("in").asText() + " " + p.path("name").asText(), pm);
              });
      m.put("parameters", params);
      if (op.has("requestBody")) {
        JsonNode body = deref(op.get("requestBody"));
        var bm = new TreeMap<String, Object>();
        bm.put("required", String.valueOf(body.path("required").asBoolean(false)));
        bm.put("content", content(body.path("content")));
        m.put("requestBody", bm);
      }
      var responses = new TreeMap<String, Object>();
      op.path("responses")
          .properties()
          .forEach(
              r0 -> {
                JsonNode r = deref(r0.getValue());
                var rm = new TreeMap<String, Object>();
                var headers = new TreeMap<String, Object>();
                r.path("headers")
                    .properties()
                    .forEach(
                        h -> headers.put(h.getKey(), schema(deref(h.getValue()).path("schema"))));
                rm.put("headers", headers);
                rm.put("content", content(r.path("content")));
                responses.put(r0.getKey(), rm);
              });
      m.put("responses", responses);
      return m;
    }

    Map<String, Object> content(JsonNode content) {
      var out = new TreeMap<String, Object>();
      content
          .properties()
          .forEach(
              c -> {
                var cm = new TreeMap<String, Object>();
                cm.put("schema", schema(c.getValue().path("schema")));
                var encoding = new TreeMap<String, Object>();
                c.getValue()
                    .path("encoding")
                    .properties()
                    .forEach(
                        e -> encoding.put(e.getKey(), e.getValue().path("contentType").asText()));
                cm.put("encoding", encoding);
                out.put(c.getKey(), cm);
              });
      return out;
    }

    /**
     * A schema by what the wire format depends on: types, format, validation keywords, enum, $ref,
     * items, properties, required.
     */
    Object schema(JsonNode s) {
      if (s.isMissingNode() || s.isNull()) {
        return "none";
      }
      if (s.isBoolean()) {
        return s.asText();
      }
      if (s.has("$ref")) {
        String ref = s.get("$ref").asText();
        return "$ref " + ref.substring(ref.lastIndexOf('/') + 1);
      }
      var m = new TreeMap<String, Object>();
      var types = new TreeSet<String>();
      if (s.path("type").isArray()) {
        s.get("type").forEach(t -> types.add(t.asText()));
      } else if (s.has("type")) {
        types.add(s.get("type").asText());
      }
      m.put("type", types.toString());
      if (s.has("format")) {
        m.put("format", s.get("format").asText());
      }
      for (String keyword :
          List.of(
              "pattern",
              "minItems",
              "maxItems",
              "minimum",
              "maximum",
              "exclusiveMinimum",
              "exclusiveMaximum",
              "minLength",
              "maxLength")) {
        if (s.has(keyword)) {
          m.put(keyword, s.get(keyword).asText());
        }
      }
      if (s.has("enum")) {
        m.put("enum", strings(s.get("enum")));
      }
      if (s.has("items")) {
        m.put("items", schema(s.get("items")));
      }
      if (s.has("additionalProperties")) {
        m.put("additionalProperties", schema(s.get("additionalProperties")));
      }
      if (s.has("properties")) {
        var props = new TreeMap<String, Object>();
        s.get("properties").properties().forEach(p -> props.put(p.getKey(), schema(p.getValue())));
        m.put("properties", props);
      }
      m.put("required", new TreeSet<>(strings(s.path("required"))).toString());
      for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
        if (s.has(combinator)) {
          var parts = new ArrayList<Object>();
          s.get(combinator).forEach(part -> parts.add(schema(part)));
          m.put(combinator, parts.toString());
        }
      }
      return m;
    }

    private static List<String> strings(JsonNode array) {
      var out = new ArrayList<String>();
      array.forEach(n -> out.add(n.asText()));
      return out;
    }
  }
}
