package io.adapterplatform.local.bench;

import io.adapterplatform.local.LocalPlatform;
import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code bin/platform bench registry}: upload throughput of a large adapter through the registry
 * against a direct MinIO-client put of the same bytes to the same S3 server, then metadata reads
 * per second with latency percentiles under concurrent clients. Starts its own platform on a
 * temporary directory unless given {@code --url}/{@code --token} of a running one.
 */
public final class RegistryBench {

  private static final double MIB = 1024.0 * 1024.0;

  private RegistryBench() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options;
    try {
      options = BenchArgs.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + "\n" + BenchArgs.USAGE);
      System.exit(2);
      return;
    }
    var work = Files.createTempDirectory("registry-bench-");
    var status = 0;
    LocalPlatform.Running own = null;
    try {
      String url;
      String token;
      MinioClient s3 = null;
      if (options.url().isPresent()) {
        url = options.url().get();
        token = options.token().orElseThrow();
        if (options.s3Endpoint().isPresent()) {
          s3 =
              MinioClient.builder()
                  .endpoint(options.s3Endpoint().get())
                  .credentials(
                      options.s3AccessKey().orElseThrow(), options.s3SecretKey().orElseThrow())
                  .region(options.s3Region())
                  .build();
        }
      } else {
        token = "bench-" + UUID.randomUUID();
        out("starting a platform on " + work.resolve("data") + " ...");
        var started = System.nanoTime();
        own =
            LocalPlatform.start(
                work.resolve("data"),
                0,
                token,
                Map.of(
                    "logging.level.root",
                    "WARN",
                    "logging.level.io.adapterplatform",
                    "WARN",
                    "spring.main.banner-mode",
                    "off"));
        url = "http://127.0.0.1:" + own.port();
        var endpoints = own.backends().endpoints();
        s3 =
            MinioClient.builder()
                .endpoint(endpoints.s3Endpoint())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey())
                .region(endpoints.s3Region())
                .build();
        out("platform up in %.1f s at %s", (System.nanoTime() - started) / 1e9, url);
      }
      run(options, work, new RegistryHttp(url, token), s3);
    } catch (IllegalStateException | IOException e) {
      System.err.println("bench: " + e.getMessage());
      status = 1;
    } finally {
      if (own != null) {
        own.close();
      }
      deleteTree(work);
    }
    System.exit(status); // the clients' and Kafka's non-daemon threads would keep the JVM alive
  }

  private static void run(BenchArgs options, Path work, RegistryHttp registry, MinioClient s3)
      throws Exception {
    out(
        "registry bench %s  cores=%d  java=%s  os=%s",
        Instant.now(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    var suffix = Long.toString(System.currentTimeMillis(), 36);
    var baseName = "bench-base-" + suffix;
    var adapterName = "bench-lora-" + suffix;

    var modelDir = Files.createDirectories(work.resolve("model"));
    BenchModel.BENCH.writeBaseModel(modelDir.resolve("model.safetensors"));
    var config = RegistryHttp.textFile(modelDir, "config.json", BenchModel.BENCH.config());
    var baseStart = System.nanoTime();
    RegistryHttp.expect(
        registry.multipart(
            "/api/v1/base-models",
            Map.of("name", baseName),
            List.of(
                new RegistryHttp.FilePart("config.json", config),
                new RegistryHttp.FilePart(
                    "model.safetensors", modelDir.resolve("model.safetensors")))),
        201,
        "base model upload");
    out(
        "base model %s: %.1f MiB uploaded in %.2f s",
        baseName,
        Files.size(modelDir.resolve("model.safetensors")) / MIB,
        (System.nanoTime() - baseStart) / 1e9);
    RegistryHttp.expect(
        registry.postJson(
            "/api/v1/adapters",
            "{\"name\":\"" + adapterName + "\",\"baseModel\":\"" + baseName + "\"}"),
        201,
        "adapter creation");

    var adapterDir = Files.createDirectories(work.resolve("adapter"));
    var rank = BenchModel.BENCH.rankFor((long) options.sizeMib() * 1024 * 1024);
    var weights = adapterDir.resolve("adapter_model.safetensors");
    BenchModel.BENCH.writeAdapter(weights, rank);
    var adapterConfig =
        RegistryHttp.textFile(adapterDir, "adapter_config.json", BenchModel.adapterConfig(rank));
    var size = Files.size(weights);
    out(
        "adapter file: %.1f MiB (PEFT LoRA r=%d on 7 projections x %d layers, F32)",
        size / MIB, rank, BenchModel.BENCH.layers());

    if (s3 != null && !s3.bucketExists(BucketExistsArgs.builder().bucket("bench-direct").build())) {
      s3.makeBucket(MakeBucketArgs.builder().bucket("bench-direct").build());
    }
    var direct = new double[options.rounds()];
    var viaRegistry = new double[options.rounds()];
    for (var round = 0; round < options.rounds(); round++) {
      BenchModel.stamp(weights, round + 1); // unique bytes: the registry deduplicates by sha256
      String directText = "n/a (no S3 endpoint given)";
      if (s3 != null) {
        var t0 = System.nanoTime();
        try (var in = Files.newInputStream(weights)) {
          s3.putObject(
              PutObjectArgs.builder().bucket("bench-direct").object("round-" + round).stream(
                      in, size, -1)
                  .build());
        }
        direct[round] = size / MIB / ((System.nanoTime() - t0) / 1e9);
        // What a stage-then-copy commit costs on this S3 server, to read the registry's figure
        // against.
        var c0 = System.nanoTime();
        s3.copyObject(
            CopyObjectArgs.builder()
                .bucket("bench-direct")
                .object("round-" + round + "-copy")
                .source(
                    CopySource.builder().bucket("bench-direct").object("round-" + round).build())
                .build());
        directText =
            "%.1f MiB/s (server-side copy %.2f s)"
                .formatted(direct[round], (System.nanoTime() - c0) / 1e9);
      }
      var t0 = System.nanoTime();
      RegistryHttp.expect(
          registry.multipart(
              "/api/v1/adapters/" + adapterName + "/versions",
              Map.of(),
              List.of(
                  new RegistryHttp.FilePart("adapter_config.json", adapterConfig),
                  new RegistryHttp.FilePart("adapter_model.safetensors", weights))),
          201,
          "version upload");
      var seconds = (System.nanoTime() - t0) / 1e9;
      viaRegistry[round] = size / MIB / seconds;
      out(
          "upload round %d: direct put %s   registry %.1f MiB/s (%.2f s, validated and committed)",
          round + 1, directText, viaRegistry[round], seconds);
    }
    var registryMedian = median(viaRegistry);
    if (s3 != null) {
      var directMedian = median(direct);
      out(
          "upload median: direct put %.1f MiB/s, registry %.1f MiB/s, ratio %.2f (target >= 0.90)",
          directMedian, registryMedian, registryMedian / directMedian);
    } else {
      out("upload median: registry %.1f MiB/s", registryMedian);
    }

    metadataReads(registry, adapterName, options.clients(), options.seconds());
  }

  private static void metadataReads(RegistryHttp registry, String adapter, int clients, int seconds)
      throws Exception {
    var paths =
        List.of(
            "/api/v1/adapters/" + adapter,
            "/api/v1/adapters/" + adapter + "/versions/1",
            "/api/v1/adapters/" + adapter + "/versions?limit=10");
    for (var path : paths) {
      RegistryHttp.expect(registry.get(path), 200, "GET " + path);
    }
    readPhase(
        registry,
        paths,
        clients,
        Math.max(1, seconds / 5),
        null); // warm-up: JIT, connections, caches
    var latencies = new ArrayList<long[]>();
    var t0 = System.nanoTime();
    readPhase(registry, paths, clients, seconds, latencies);
    var elapsed = (System.nanoTime() - t0) / 1e9;
    var all =
        latencies.stream().flatMapToLong(Arrays::stream).filter(v -> v >= 0).sorted().toArray();
    var errors = latencies.stream().flatMapToLong(Arrays::stream).filter(v -> v < 0).count();
    out(
        "metadata reads: %d clients, %.1f s, %d requests: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms,"
            + " errors %d (target >= 1000 req/s, p99 <= 100 ms with 32 clients)",
        clients,
        elapsed,
        all.length,
        all.length / elapsed,
        percentile(all, 0.50) / 1e6,
        percentile(all, 0.99) / 1e6,
        all.length == 0 ? 0 : all[all.length - 1] / 1e6,
        errors);
  }

  /**
   * Each client loops over the paths until the deadline; latencies (ns, negative for a failure) go
   * to {@code sink}.
   */
  private static void readPhase(
      RegistryHttp registry, List<String> paths, int clients, int seconds, List<long[]> sink)
      throws InterruptedException {
    var deadline = System.nanoTime() + seconds * 1_000_000_000L;
    var threads = new ArrayList<Thread>();
    var results = new long[clients][];
    for (var c = 0; c < clients; c++) {
      var client = c;
      threads.add(
          Thread.ofPlatform()
              .name("bench-client-" + c)
              .start(
                  () -> {
                    var samples = new long[1024];
                    var n = 0;
                    var i = client;
                    while (System.nanoTime() < deadline) {
                      var path = paths.get(i++ % paths.size());
                      var t0 = System.nanoTime();
                      long sample;
                      try {
                        var status = registry.get(path).statusCode();
                        sample = status == 200 ? System.nanoTime() - t0 : -1;
                      } catch (IOException e) {
                        sample = -1;
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                      }
                      if (n == samples.length) {
                        samples = Arrays.copyOf(samples, n * 2);
                      }
                      samples[n++] = sample;
                    }
                    results[client] = Arrays.copyOf(samples, n);
                  }));
    }
    for (var thread : threads) {
      thread.join();
    }
    if (sink != null) {
      for (var r : results) {
        sink.add(r == null ? new long[0] : r);
      }
    }
  }

  private static double median(double[] values) {
    var sorted = values.clone();
    Arrays.sort(sorted);
    return sorted.length % 2 == 1
        ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    var index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static void out(String format, Object... args) {
    System.out.println(args.length == 0 ? format : format.formatted(args));
    System.out.flush();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (var p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
