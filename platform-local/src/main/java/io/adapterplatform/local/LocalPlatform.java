package io.adapterplatform.local;

import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.embedded.EmbeddedBackends;
import io.adapterplatform.embedded.Settings;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.ServingModule;
import io.adapterplatform.training.TrainingModule;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code bin/platform up}: the embedded backends under the data directory, then every service
 * module in this one Spring context on one HTTP port. Shutdown (SIGTERM, Ctrl-C) closes the
 * services first and the backends after them, so that nothing writes to a stopped database. The
 * services are imported by their modules, never found by scanning: what runs here is exactly this
 * list.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({RegistryModule.class, TrainingModule.class, ServingModule.class})
public class LocalPlatform {

  private static final Logger log = LoggerFactory.getLogger(LocalPlatform.class);
  static final String BACKENDS_PROPERTY_SOURCE = "platformLocalBackends";

  public static void main(String[] args) {
    LaunchSettings settings;
    try {
      settings = LaunchSettings.from(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("platform: " + e.getMessage());
      System.exit(2);
      return;
    }
    warnIfReachableFromOtherHosts(settings.bindAddress());
    var context = new AtomicReference<ConfigurableApplicationContext>();
    EmbeddedBackends backends;
    try {
      backends = EmbeddedBackends.start(settings.dataDir(), settings.backends());
    } catch (RuntimeException e) {
      if (e.getCause() != null) {
        log.error(
            "the embedded backends did not start", e); // a server failed: its stack trace tells why
      }
      System.err.println("platform: the embedded backends did not start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .name("platform-stop")
                .unstarted(
                    () -> {
                      var running = context.get();
                      if (running != null) {
                        running.close();
                      }
                      backends.close();
                    }));
    try {
      context.set(application(settings, backends).run(args));
    } catch (RuntimeException e) {
      // Spring has closed the context and logged why; the shutdown hook stops the backends.
      System.err.println("platform: the services did not start: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * A platform started in this JVM (benchmarks): {@link #close()} stops the services, then the
   * backends.
   */
  public record Running(ConfigurableApplicationContext context, EmbeddedBackends backends)
      implements AutoCloseable {

    /** The HTTP port the services listen on. */
    public int port() {
      return Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @Override
    public void close() {
      try {
        context.close();
      } finally {
        backends.close();
      }
    }
  }

  /**
   * Starts backends under {@code dataDir} and every service on {@code port} (0: a free one), in
   * this JVM.
   */
  public static Running start(
      Path dataDir, int port, String adminToken, Map<String, Object> properties) {
    var settings =
        new LaunchSettings(
            dataDir.toAbsolutePath().normalize(),
            LaunchSettings.LOOPBACK,
            port,
            Optional.of(adminToken),
            Settings.defaults());
    var backends = EmbeddedBackends.start(settings.dataDir(), settings.backends());
    try {
      var app = application(settings, backends);
      var defaults = new HashMap<>(defaults(settings));
      defaults.putAll(properties);
      app.setDefaultProperties(defaults);
      return new Running(app.run(), backends);
    } catch (RuntimeException e) {
      backends.close();
      throw e;
    }
  }

  static SpringApplication application(LaunchSettings settings, EmbeddedBackends backends) {
    var app = new SpringApplication(LocalPlatform.class);
    app.setRegisterShutdownHook(false); // ours closes the context, then the backends
    app.setDefaultProperties(defaults(settings));
    app.addInitializers(
        context ->
            context
                .getEnvironment()
                .getPropertySources()
                .addFirst(
                    new MapPropertySource(
                        BACKENDS_PROPERTY_SOURCE,
                        launcherProperties(settings, backends.endpoints()))));
    return app;
  }

  /**
   * What the launcher decides, ahead of every service's own configuration: a service's
   * application.yml (e.g. {@code server.port: ${PLATFORM_PORT:8080}}) must not point it at other
   * backends or another port.
   */
  static Map<String, Object> launcherProperties(
      LaunchSettings settings, BackendEndpoints endpoints) {
    var properties = new HashMap<String, Object>(endpoints.asSpringProperties());
    properties.put("server.address", settings.bindAddress());
    properties.put("server.port", settings.port());
    properties.put("platform.data-dir", settings.dataDir().toString());
    settings.adminToken().ifPresent(token -> properties.put(LaunchSettings.ADMIN_TOKEN, token));
    return properties;
  }

  /**
   * Plain HTTP with bearer tokens is only safe on loopback: say so when told to listen elsewhere.
   */
  private static void warnIfReachableFromOtherHosts(String bindAddress) {
    if (!isLoopback(bindAddress)) {
      log.warn(
          "listening on {} over plain HTTP: other hosts can reach the platform and read its tokens on the wire;"
              + " put a TLS-terminating proxy in front (docs/security.md) or unset PLATFORM_BIND",
          bindAddress);
    }
  }

  static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false; // Tomcat will fail to bind it and say why
    }
  }

  private static Map<String, Object> defaults(LaunchSettings settings) {
    var defaults = new HashMap<String, Object>();
    defaults.put("spring.application.name", "adapter-platform");
    // Each service may keep its defaults in <service>.yml; application.yml of a jar is loaded too.
    defaults.put("spring.config.name", "application,registry,training-service,serving-service");
    // Boot's own hook would stop Logback concurrently with ours and swallow the backends' shutdown
    // lines.
    defaults.put("logging.register-shutdown-hook", "false");
    defaults.put("management.endpoints.web.exposure.include", "health,info,metrics,prometheus");
    defaults.put("management.endpoint.health.probes.enabled", "true");
    return defaults;
  }
}
