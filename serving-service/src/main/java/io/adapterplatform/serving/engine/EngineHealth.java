package io.adapterplatform.serving.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code servingEngine}: UP once every pinned base model is loaded and warmed up, OUT_OF_SERVICE
 * before (and from the start of a shutdown), so that a pinned pod takes traffic only when it can
 * serve it. A server without pinned models is UP: it loads base models on first use.
 */
final class EngineHealth implements HealthIndicator {

  static final String NAME = "servingEngine";

  private final ServingEngine engine;

  EngineHealth(ServingEngine engine) {
    this.engine = engine;
  }

  @Override
  public Health health() {
    Map<String, Object> models = new LinkedHashMap<>();
    for (ResidentModel m : engine.models()) {
      models.put(m.name(), m.state().name().toLowerCase(java.util.Locale.ROOT));
    }
    Health.Builder health = engine.ready() ? Health.up() : Health.outOfService();
    return health
        .withDetail("pinned", engine.pinned())
        .withDetail("draining", engine.draining())
        .withDetail("models", models)
        .build();
  }
}
