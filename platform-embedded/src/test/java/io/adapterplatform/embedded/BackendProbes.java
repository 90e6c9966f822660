package io.adapterplatform.embedded;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain clients that write to and read from each backend, as the services will. */
final class BackendProbes {

  private BackendProbes() {}

  static void sql(BackendEndpoints endpoints, String statement) throws SQLException {
    try (var connection =
            DriverManager.getConnection(
                endpoints.jdbcUrl(), endpoints.jdbcUsername(), endpoints.jdbcPassword());
        var st = connection.createStatement()) {
      st.execute(statement);
    }
  }

  static List<String> queryStrings(BackendEndpoints endpoints, String query) throws SQLException {
    try (var connection =
            DriverManager.getConnection(
                endpoints.jdbcUrl(), endpoints.jdbcUsername(), endpoints.jdbcPassword());
        var st = connection.createStatement();
        var rs = st.executeQuery(query)) {
      var values = new ArrayList<String>();
      while (rs.next()) {
        values.add(rs.getString(1));
      }
      return values;
    }
  }

  static MinioClient s3(BackendEndpoints endpoints) {
    return MinioClient.builder()
        .endpoint(endpoints.s3Endpoint())
        .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey())
        .region(endpoints.s3Region())
        .build();
  }

  static void put(BackendEndpoints endpoints, String bucket, String key, byte[] bytes)
      throws Exception {
    var client = s3(endpoints);
    if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
      client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
    }
    client.putObject(
        PutObjectArgs.builder().bucket(bucket).object(key).stream(
                new ByteArrayInputStream(bytes), bytes.length, -1)
            .build());
  }

  static byte[] get(BackendEndpoints endpoints, String bucket, String key) throws Exception {
    try (var in =
        s3(endpoints).getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
      return in.readAllBytes();
    }
  }

  static void produce(BackendEndpoints endpoints, String topic, List<String> values)
      throws Exception {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            endpoints.kafkaBootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class);
    try (var producer = new KafkaProducer<String, String>(config)) {
      for (var value : values) {
        producer.send(new ProducerRecord<>(topic, "key", value)).get();
      }
    }
  }

  /**
   * Reads {@code topic} from the beginning with a fresh group until {@code expected} records or the
   * deadline.
   */
  static List<String> consume(
      BackendEndpoints endpoints, String topic, int expected, Duration deadline) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            endpoints.kafkaBootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "probe-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class);
    var values = new ArrayList<String>();
    try (var consumer = new KafkaConsumer<String, String>(config)) {
      consumer.subscribe(List.of(topic));
      var end = Instant.now().plus(deadline);
      while (values.size() < expected && Instant.now().isBefore(end)) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}
