package io.adapterplatform.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka (broker and controller in one) whose logs live under a data directory.
 * {@link KafkaRaftServer} and {@link StorageTool} are Kafka internals: the version is pinned in the
 * root pom and {@code EmbeddedBackendsTest} covers them.
 */
final class KafkaServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

  private final KafkaRaftServer server;
  private final int port;

  private KafkaServer(KafkaRaftServer server, int port) {
    this.server = server;
    this.port = port;
  }

  static KafkaServer start(Path dir, int requestedPort, int requestedControllerPort) {
    try {
      Files.createDirectories(dir);
      var port = FreePorts.resolve(requestedPort);
      var controllerPort = FreePorts.resolve(requestedControllerPort);
      while (controllerPort == port) {
        controllerPort = FreePorts.resolve(0);
      }
      var properties = properties(dir.resolve("logs"), port, controllerPort);
      var configFile = dir.resolve("server.properties");
      try (var out = Files.newBufferedWriter(configFile)) {
        properties.store(out, "written at every start by the platform; edits are lost");
      }
      format(configFile, clusterId(dir));
      var server = new KafkaRaftServer(KafkaConfig.fromProps(properties, false), Time.SYSTEM);
      server.startup();
      log.info("Kafka started port={} logDir={}", port, dir.resolve("logs"));
      return new KafkaServer(server, port);
    } catch (IOException e) {
      throw new UncheckedIOException("Kafka did not start on " + dir, e);
    }
  }

  String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }

  private static Properties properties(Path logDir, int port, int controllerPort) {
    var p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.setProperty(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", logDir.toAbsolutePath().toString());
    p.setProperty("auto.create.topics.enable", "true");
    p.setProperty("num.partitions", "1");
    // One node: every internal topic has one replica, and few partitions keep a 2-core start short.
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "1");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.num.partitions", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    return p;
  }

  /** The cluster id is chosen once per data directory: formatting is skipped when already done. */
  private static String clusterId(Path dir) throws IOException {
    var file = dir.resolve("cluster.id");
    if (Files.isRegularFile(file)) {
      return Files.readString(file).trim();
    }
    var id = Uuid.randomUuid().toString();
    Files.writeString(file, id);
    return id;
  }

  private static void format(Path configFile, String clusterId) {
    var output = new ByteArrayOutputStream();
    int status;
    try (var out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      status =
          StorageTool.execute(
              new String[] {
                "format",
                "--cluster-id",
                clusterId,
                "--config",
                configFile.toString(),
                "--ignore-formatted"
              },
              out);
    }
    if (status != 0) {
      throw new IllegalStateException(
          "formatting Kafka storage failed ("
              + status
              + "): "
              + output.toString(StandardCharsets.UTF_8).strip());
    }
    log.debug("kafka-storage format: {}", output.toString(StandardCharsets.UTF_8).strip());
  }
}
