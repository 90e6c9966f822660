package io.adapterplatform.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The chart under test, rendered by Helm itself (helm-java runs Helm's Go code in-process). Renders
 * are cached per values file: every test of one values file reads the same manifests.
 */
final class HelmChart {

  static final String RELEASE = "demo";
  static final String NAMESPACE = "ai";

  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final Map<String, Manifests> RENDERED = new ConcurrentHashMap<>();

  private HelmChart() {}

  static Path dir() {
    return Path.of(System.getProperty("chart.dir", "../helm/lora-platform"))
        .toAbsolutePath()
        .normalize();
  }

  /** The values files the chart is tested with: its defaults, then every file in {@code ci/}. */
  static List<String> valuesFiles() {
    try (Stream<Path> files = Files.list(dir().resolve("ci"))) {
      return Stream.concat(
              Stream.of("default"),
              files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Manifests render(String valuesFile) {
    return RENDERED.computeIfAbsent(
        valuesFile,
        name -> {
          var template = new Helm(dir()).template().withName(RELEASE).withNamespace(NAMESPACE);
          if (!name.equals("default")) {
            template = template.withValuesFile(dir().resolve("ci").resolve(name));
          }
          return Manifests.parse(template.call(), values(name));
        });
  }

  /**
   * Renders with a values file that is not one of the chart's; Helm's errors surface as exceptions.
   */
  static String renderWith(Path valuesFile) {
    return new Helm(dir())
        .template()
        .withName(RELEASE)
        .withNamespace(NAMESPACE)
        .withValuesFile(valuesFile)
        .call();
  }

  /**
   * {@code helm lint --strict} with a values file. helm-java's lint reads only the chart's own
   * values.yaml, so the chart is copied with the values file merged into it, as Helm merges them.
   */
  static LintResult lintStrict(String valuesFile, Path workDir) throws IOException {
    var copy = workDir.resolve("lora-platform");
    try (Stream<Path> tree = Files.walk(dir())) {
      for (var source : tree.toList()) {
        var target = copy.resolve(dir().relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    YAML.writeValue(copy.resolve("values.yaml").toFile(), values(valuesFile));
    return new Helm(copy).lint().strict().call();
  }

  /**
   * The chart's values.yaml with the values file merged over it (maps merge, everything else
   * replaces).
   */
  static Map<String, Object> values(String valuesFile) {
    var defaults = read(dir().resolve("values.yaml"));
    if (valuesFile.equals("default")) {
      return defaults;
    }
    return merge(defaults, read(dir().resolve("ci").resolve(valuesFile)));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(Path yaml) {
    Map<String, Object> map = YAML.readValue(yaml.toFile(), Map.class);
    return map == null ? new LinkedHashMap<>() : map;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
    var merged = new LinkedHashMap<>(base);
    override.forEach(
        (key, value) -> {
          if (value instanceof Map<?, ?> o && merged.get(key) instanceof Map<?, ?> b) {
            merged.put(key, merge((Map<String, Object>) b, (Map<String, Object>) o));
          } else {
            merged.put(key, value);
          }
        });
    return merged;
  }

  /** A path into the merged values, e.g. {@code value(values, "gpu", "enabled")}. */
  static Object value(Map<String, Object> values, String... path) {
    Object current = values;
    for (var key : path) {
      current = current instanceof Map<?, ?> m ? m.get(key) : null;
    }
    return current;
  }
}
