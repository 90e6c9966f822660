package io.adapterplatform.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Kafka alone logs about 1,900 INFO lines per start; the servers' own chatter goes to WARN unless
 * the application configured a level for those loggers. Logback is optional here, hence the guard.
 */
final class QuietLogs {

  private static final List<String> NOISY =
      List.of(
          "kafka",
          "org.apache.kafka",
          "state.change.logger",
          "org.jclouds",
          "org.gaul.s3proxy",
          "io.zonky.test.db.postgres",
          "org.eclipse.jetty",
          "org.gaul.shaded",
          "org.apache.jclouds");

  private QuietLogs() {}

  static void apply() {
    try {
      Class.forName(
          "ch.qos.logback.classic.LoggerContext", false, QuietLogs.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return; // another logging backend: its own configuration decides
    }
    Logback.apply();
  }

  private static final class Logback {
    static void apply() {
      if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
        return;
      }
      for (var name : NOISY) {
        var logger = context.getLogger(name);
        if (logger.getLevel() == null) {
          logger.setLevel(Level.WARN);
        }
      }
    }
  }
}
