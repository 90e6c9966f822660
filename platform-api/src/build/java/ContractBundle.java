import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Bundles the service contracts into ONE OpenAPI file: every service's paths and components, with the shared
 * schemas of common.yaml copied in and every {@code ./common.yaml#/...} reference made local, so that any
 * generator or tool reads it alone. Fails on a path or component defined twice differently, and on any
 * reference it cannot make local. Run by the platform-api build (exec-maven-plugin):
 * {@code java -cp <jackson> ContractBundle.java <out.yaml> <title> <service.yaml>...}
 */
public class ContractBundle {

  private static final String COMMON = "./common.yaml#";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    List<Path> services = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      services.add(Path.of(args[i]));
    }
    JsonNode common = YAML.readTree(services.getFirst().resolveSibling("common.yaml").toFile());
    ObjectNode bundle = (ObjectNode) YAML.readTree(services.getFirst().toFile());
    bundle.withObjectProperty("info").put("title", args[1]);
    for (Path service : services.subList(1, services.size())) {
      merge(bundle, (ObjectNode) YAML.readTree(service.toFile()), service);
    }
    ObjectNode schemas = bundle.withObjectProperty("components").withObjectProperty("schemas");
    common.path("components").path("schemas").properties().forEach(e -> {
      JsonNode existing = schemas.get(e.getKey());
      if (existing == null || isCommonAlias(existing, e.getKey())) {
        schemas.set(e.getKey(), e.getValue().deepCopy());
      } else {
        throw new IllegalStateException("schema " + e.getKey() + " is defined by a service and by common.yaml");
      }
    });
    localize(bundle);
    Files.createDirectories(out.toAbsolutePath().getParent());
    YAML.writeValue(out.toFile(), bundle);
    System.out.println("bundled " + services + " with common.yaml into " + out);
  }

  private static boolean isCommonAlias(JsonNode schema, String name) {
    return schema.size() == 1 && schema.path("$ref").asText().equals(COMMON + "/components/schemas/" + name);
  }

  /** Adds another service's paths, tags and components; the same name twice must mean the same thing. */
  private static void merge(ObjectNode bundle, ObjectNode service, Path file) {
    service.path("paths").properties().forEach(p -> {
      if (bundle.withObjectProperty("paths").has(p.getKey())) {
        throw new IllegalStateException(file + ": path " + p.getKey() + " is already defined by another service");
      }
      bundle.withObjectProperty("paths").set(p.getKey(), p.getValue());
    });
    ArrayNode tags = bundle.withArray("tags");
    service.path("tags").forEach(t -> {
      if (!tags.toString().contains("\"" + t.path("name").asText() + "\"")) {
        tags.add(t);
      }
    });
    service.path("components").properties().forEach(section -> section.getValue().properties().forEach(c -> {
      ObjectNode target = bundle.withObjectProperty("components").withObjectProperty(section.getKey());
      JsonNode existing = target.get(c.getKey());
      if (existing != null && !existing.equals(c.getValue())) {
        throw new IllegalStateException(file + ": components/" + section.getKey() + "/" + c.getKey()
            + " differs from another service's");
      }
      target.set(c.getKey(), c.getValue());
    }));
  }

  /** Every reference into common.yaml becomes local; any other external reference is an error. */
  private static void localize(JsonNode node) {
    if (node instanceof ObjectNode o) {
      JsonNode ref = o.get("$ref");
      if (ref != null && ref.isTextual()) {
        String r = ref.asText();
        if (r.startsWith(COMMON)) {
          o.set("$ref", TextNode.valueOf("#" + r.substring(COMMON.length())));
        } else if (!r.startsWith("#/")) {
          throw new IllegalStateException("external reference " + r + " cannot be bundled");
        }
      }
      o.properties().forEach(e -> localize(e.getValue()));
    } else if (node instanceof ArrayNode a) {
      a.forEach(ContractBundle::localize);
    }
  }
}
