package io.adapterplatform.local.standalone;

import io.adapterplatform.embedded.BackendEndpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * A service's settings exactly as the Helm chart hands them over: environment variables named as in
 * helm/lora-platform (the ConfigMap, the Secrets' env entries, the components' {@code env} values).
 * An application started by {@link #run} sees these as its whole process environment, so a setting
 * the chart does not provide cannot reach it by accident.
 */
final class ChartEnvironment {

  private static final Path CHART = Path.of("..", "helm", "lora-platform");

  private ChartEnvironment() {}

  /** What every service container gets from the ConfigMap and the Secrets, for these backends. */
  static Map<String, Object> common(BackendEndpoints backends, String adminToken) {
    var env = new HashMap<String, Object>();
    // ConfigMap (port 0 here: the test's servers share one host)
    env.put("PLATFORM_PORT", "0");
    env.put("SERVER_PORT", "0");
    env.put("SERVER_SHUTDOWN", "graceful");
    env.put("SERVER_FORWARD_HEADERS_STRATEGY", "native");
    env.put("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true");
    env.put("MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE", "health,info,metrics,prometheus");
    env.put("LOGGING_LEVEL_ROOT", "INFO");
    env.put("SPRING_DATASOURCE_URL", backends.jdbcUrl());
    env.put("PLATFORM_S3_ENDPOINT", backends.s3Endpoint());
    env.put("PLATFORM_S3_REGION", backends.s3Region());
    env.put("PLATFORM_REGISTRY_BUCKET", "adapter-registry");
    env.put("SPRING_KAFKA_BOOTSTRAP_SERVERS", backends.kafkaBootstrapServers());
    env.put("SPRING_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
    // Secrets
    env.put("SPRING_DATASOURCE_USERNAME", backends.jdbcUsername());
    env.put("SPRING_DATASOURCE_PASSWORD", backends.jdbcPassword());
    env.put("PLATFORM_S3_ACCESS_KEY", backends.s3AccessKey());
    env.put("PLATFORM_S3_SECRET_KEY", backends.s3SecretKey());
    env.put("PLATFORM_ADMIN_TOKEN", adminToken);
    // Container env of every workload
    env.put("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "20s");
    return env;
  }

  /** {@link #common} plus the registry's address, as the ConfigMap names it for every service. */
  static Map<String, Object> beside(
      String registryUrl, BackendEndpoints backends, String adminToken) {
    var env = common(backends, adminToken);
    env.put("PLATFORM_AUTH_REGISTRY_URL", registryUrl);
    return env;
  }

  /** Runs {@code app} with {@code env} as its whole process environment. */
  static ConfigurableApplicationContext run(SpringApplication app, Map<String, Object> env) {
    app.setEnvironment(
        new StandardEnvironment() {
          @Override
          protected void customizePropertySources(MutablePropertySources sources) {
            super.customizePropertySources(sources);
            sources.replace(
                SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(
                    SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.copyOf(env)));
          }
        });
    return app.run();
  }

  /**
   * Every environment variable name the chart's templates and default values set on a container:
   * the ConfigMap's keys, the {@code - name:} entries of the templates, and the components' {@code
   * env} maps in values.yaml.
   */
  static Set<String> namesTheChartSets() {
    var names = new TreeSet<String>();
    collect(CHART.resolve("templates/configmap.yaml"), "^\\s+([A-Z][A-Z0-9_]+):", names);
    collect(CHART.resolve("templates/_helpers.tpl"), "^\\s*- name: ([A-Z][A-Z0-9_]+)\\s*$", names);
    collect(CHART.resolve("values.yaml"), "^\\s+(PLATFORM_[A-Z0-9_]+):", names);
    // serving.yaml builds PLATFORM_SERVING_BASE_MODELS from the base model's name
    collect(CHART.resolve("templates/serving.yaml"), "\"(PLATFORM_[A-Z0-9_]+)\"", names);
    return names;
  }

  private static void collect(Path file, String regex, Set<String> into) {
    var pattern = Pattern.compile(regex);
    try {
      for (String line : Files.readAllLines(file)) {
        var m = pattern.matcher(line);
        if (m.find()) {
          into.add(m.group(1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
