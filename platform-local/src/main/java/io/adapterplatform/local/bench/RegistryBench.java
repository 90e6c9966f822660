package io.adapterplatform.local.bench;

import io.adapterplatform.local.LocalPlatform;
import io.minio.BucketExistsArgs;
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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/platform bench registry}: upload throughput of a large adapter through the registry
 * against a direct MinIO-client put of the same bytes to the same S3 server, then metadata reads
 * per second with latency percentiles under concurrent clients. Starts its own platform on a
 * temporary directory unless given {@code --url}/{@code --token} of a running one.
 */
public final class RegistryBench {

  private static final double MIB = 1024.0 * 1024.0;
  private static final long WARM_UP_REQUESTS = 5_000;
  private static final long MAX_WARM_UP_SECONDS = 30;

  private RegistryBench() {}

  public static void main(String[] args) throws Exception {
    // One kept-alive connection per read client (RegistryHttp.getStatus); read once, at first use.
    System.setProperty("http.maxConnections", "1024");
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
      run(
          options,
          work,
          new RegistryHttp(url, token),
          s3,
          new CostMeter(own == null ? Optional.empty() : Optional.of(work.resolve("data"))));
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

  private static void run(
      BenchArgs options, Path work, RegistryHttp registry, MinioClient s3, CostMeter cost)
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
    var ratios = new double[options.rounds()];
    for (var round = 0; round < options.rounds(); round++) {
      BenchModel.stamp(weights, round + 1); // unique bytes: the registry deduplicates by sha256
      var objectName = "round-" + round;
      ThrowingSupplier<Double> directPut =
          () -> {
            var t0 = System.nanoTime();
            try (var in = Files.newInputStream(weights)) {
              s3.putObject(
                  PutObjectArgs.builder().bucket("bench-direct").object(objectName).stream(
                          in, size, -1)
                      .build());
            }
            return (System.nanoTime() - t0) / 1e9;
          };
      ThrowingSupplier<Double> registryUpload =
          () -> {
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
            return (System.nanoTime() - t0) / 1e9;
          };
      // Each write of 256 MiB leaves the S3 server's file system with write-back to do, which
      // slowed whatever ran next: alternate who goes first, and start each timed upload settled.
      boolean registryFirst = round % 2 == 1;
      double directSeconds = 0;
      double registrySeconds;
      var settled = new StringBuilder();
      if (registryFirst) {
        settled.append(settle());
        registrySeconds = registryUpload.get();
        if (s3 != null) {
          settled.append(" / ").append(settle());
          directSeconds = directPut.get();
        }
      } else {
        if (s3 != null) {
          settled.append(settle()).append(" / ");
          directSeconds = directPut.get();
        }
        settled.append(settle());
        registrySeconds = registryUpload.get();
      }
      viaRegistry[round] = size / MIB / registrySeconds;
      String directText = "n/a (no S3 endpoint given)";
      if (s3 != null) {
        direct[round] = size / MIB / directSeconds;
        ratios[round] = viaRegistry[round] / direct[round];
        directText = "%.1f MiB/s (%.2f s)".formatted(direct[round], directSeconds);
      }
      out(
          "upload round %d (%s first; settled %s s): direct put %s   registry %.1f MiB/s (%.2f s,"
              + " validated and committed)%s",
          round + 1,
          registryFirst ? "registry" : "direct put",
          settled,
          directText,
          viaRegistry[round],
          registrySeconds,
          s3 != null ? "   ratio %.2f".formatted(ratios[round]) : "");
    }
    var registryMedian = median(viaRegistry);
    if (s3 != null) {
      var directMedian = median(direct);
      out(
          "upload median: direct put %.1f MiB/s, registry %.1f MiB/s; ratio %.2f (median of the"
              + " rounds' ratios; of the medians %.2f) (target >= 0.90)",
          directMedian, registryMedian, median(ratios), registryMedian / directMedian);
    } else {
      out("upload median: registry %.1f MiB/s", registryMedian);
    }

    metadataReads(registry, adapterName, options.clients(), options.seconds(), cost);
  }

  private static void metadataReads(
      RegistryHttp registry, String adapter, int clients, int seconds, CostMeter cost)
      throws Exception {
    var paths =
        List.of(
            "/api/v1/adapters/" + adapter,
            "/api/v1/adapters/" + adapter + "/versions/1",
            "/api/v1/adapters/" + adapter + "/versions?limit=10");
    for (var path : paths) {
      RegistryHttp.expect(registry.get(path), 200, "GET " + path);
    }
    // Warm-up (JIT, connections, caches) by work done, not only by time: on a loaded machine a
    // few seconds are too few requests for the JIT to finish, and its compile threads' CPU would
    // then be billed to the measured requests.
    var warmUpStart = System.nanoTime();
    long warmedUp = 0;
    do {
      warmedUp += readPhase(registry, paths, clients, Math.max(1, seconds / 5), null, null);
    } while (warmedUp < WARM_UP_REQUESTS
        && System.nanoTime() - warmUpStart < MAX_WARM_UP_SECONDS * 1_000_000_000L);
    out(
        "metadata reads: warm-up %d requests in %.1f s",
        warmedUp, (System.nanoTime() - warmUpStart) / 1e9);
    var latencies = new ArrayList<long[]>();
    cost.start();
    var t0 = System.nanoTime();
    readPhase(registry, paths, clients, seconds, latencies, cost);
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
    out(
        "metadata reads, %s",
        cost.stop(latencies.stream().mapToLong(r -> r.length).sum())
            .describe(Runtime.getRuntime().availableProcessors()));
  }

  /**
   * Each client loops over the paths until the deadline; latencies (ns, negative for a failure) go
   * to {@code sink}.
   */
  /** Returns how many requests the clients made. */
  private static long readPhase(
      RegistryHttp registry,
      List<String> paths,
      int clients,
      int seconds,
      List<long[]> sink,
      CostMeter cost)
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
                        var status = registry.getStatus(path);
                        sample = status == 200 ? System.nanoTime() - t0 : -1;
                      } catch (IOException e) {
                        sample = -1;
                      }
                      if (n == samples.length) {
                        samples = Arrays.copyOf(samples, n * 2);
                      }
                      samples[n++] = sample;
                    }
                    results[client] = Arrays.copyOf(samples, n);
                    if (cost != null) {
                      cost.clientThreadDone();
                    }
                  }));
    }
    for (var thread : threads) {
      thread.join();
    }
    long requests = 0;
    for (var r : results) {
      requests += r == null ? 0 : r.length;
      if (sink != null) {
        sink.add(r == null ? new long[0] : r);
      }
    }
    return requests;
  }

  @FunctionalInterface
  private interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  /**
   * Lets the machine settle before a timed upload: flushes the file systems' dirty pages (the last
   * upload's, and the temporary adapter file's) with {@code sync} and collects this JVM's garbage,
   * so that neither upload pays for the one before it. Returns the seconds it took, as text.
   */
  private static String settle() throws InterruptedException {
    var t0 = System.nanoTime();
    try {
      var sync = new ProcessBuilder("sync").redirectErrorStream(true).start();
      if (!sync.waitFor(120, TimeUnit.SECONDS)) {
        sync.destroy();
      }
    } catch (IOException e) {
      // No sync on this system: the alternating order still spreads the write-back evenly.
    }
    System.gc();
    return "%.1f".formatted((System.nanoTime() - t0) / 1e9);
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
