package io.adapterplatform.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What a phase of the benchmark costs, split by who pays: the bench's own client threads, the rest
 * of its JVM (the platform: Tomcat, Spring, JDBC, JSON, GC, JIT), and the embedded PostgreSQL's
 * processes. Wall-clock throughput on a shared two-core machine says more about the neighbours than
 * about the registry; CPU time and allocation per request do not depend on them much, and bound
 * what an idle machine can do ({@code cores / CPU per request}).
 *
 * <p>Client threads that end within the phase report their own totals ({@link #clientThreadDone})
 * before they end, since a dead thread's CPU time can no longer be read; the HTTP client's pool
 * threads ({@code HttpClient-*}) live on and are read at both ends.
 */
final class CostMeter {

  /** Per-request costs of a phase; a negative value means it could not be measured. */
  record PerRequest(
      long requests,
      double platformCpuMicros,
      double platformAllocatedKib,
      double postgresCpuMicros,
      double clientCpuMicros,
      Map<String, Double> platformThreadsMicros,
      Map<String, Double> platformThreadsKernelMicros) {

    String describe(int cores) {
      var server =
          platformCpuMicros + (postgresCpuMicros >= 0 ? postgresCpuMicros : 0); // both serve it
      return ("cost per request: platform JVM %.0f µs CPU and %.1f KiB allocated, PostgreSQL %s,"
                  + " bench client %.0f µs CPU; %d cores would serve at most %.0f req/s with the client"
                  + " elsewhere")
              .formatted(
                  platformCpuMicros,
                  platformAllocatedKib,
                  postgresCpuMicros >= 0 ? "%.0f µs CPU".formatted(postgresCpuMicros) : "n/a",
                  clientCpuMicros,
                  cores,
                  cores * 1e6 / server)
          + (platformThreadsMicros.isEmpty()
              ? ""
              : "; the platform JVM's CPU by thread: "
                  + platformThreadsMicros.entrySet().stream()
                      .map(
                          e ->
                              "%s %.0f µs (kernel %.0f)"
                                  .formatted(
                                      e.getKey(),
                                      e.getValue(),
                                      platformThreadsKernelMicros.getOrDefault(e.getKey(), 0.0)))
                      .collect(Collectors.joining(", ")));
    }
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** Linux's USER_HZ, the unit of /proc/[pid]/stat times; 100 on every mainstream architecture. */
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  private final Optional<Path> postgresPidFile;
  private final AtomicLong clientCpu = new AtomicLong();
  private final AtomicLong clientAllocated = new AtomicLong();
  private long startProcessCpu;
  private long startAllocated;
  private long startPoolCpu;
  private long startPoolAllocated;
  private long startPostgresCpu;
  private Map<Long, ThreadTime> startThreads = Map.of();

  /** A thread's CPU time so far: all of it, and the part spent in the kernel (system time). */
  private record ThreadTime(String group, long nanos, long kernelNanos) {}

  /**
   * {@code dataDir}: the platform's data directory, searched for the embedded PostgreSQL's {@code
   * postmaster.pid}; empty when the platform runs elsewhere (only the client is then measured).
   */
  CostMeter(Optional<Path> dataDir) {
    this.postgresPidFile = dataDir.flatMap(CostMeter::findPostmasterPid);
  }

  void start() {
    clientCpu.set(0);
    clientAllocated.set(0);
    startProcessCpu = OS.getProcessCpuTime();
    startAllocated = THREADS.getTotalThreadAllocatedBytes();
    var pool = httpClientPool();
    startPoolCpu = pool[0];
    startPoolAllocated = pool[1];
    startPostgresCpu = postgresCpuNanos();
    startThreads = ownThreads();
  }

  /** Called by each client thread as its last act. */
  void clientThreadDone() {
    clientCpu.addAndGet(THREADS.getCurrentThreadCpuTime());
    clientAllocated.addAndGet(THREADS.getCurrentThreadAllocatedBytes());
  }

  PerRequest stop(long requests) {
    var pool = httpClientPool();
    long client = clientCpu.get() + pool[0] - startPoolCpu;
    long clientAlloc = clientAllocated.get() + pool[1] - startPoolAllocated;
    long process = OS.getProcessCpuTime() - startProcessCpu;
    long allocated = THREADS.getTotalThreadAllocatedBytes() - startAllocated;
    long postgres = startPostgresCpu < 0 ? -1 : postgresCpuNanos() - startPostgresCpu;
    double n = Math.max(1, requests);
    var byGroup = new TreeMap<String, Double>();
    var kernelByGroup = new TreeMap<String, Double>();
    ownThreads()
        .forEach(
            (tid, end) -> {
              if (!end.group().equals(CLIENT)) {
                var begin = startThreads.get(tid);
                long spent = end.nanos() - (begin == null ? 0 : begin.nanos());
                long kernel = end.kernelNanos() - (begin == null ? 0 : begin.kernelNanos());
                byGroup.merge(end.group(), spent / 1e3 / n, Double::sum);
                kernelByGroup.merge(end.group(), kernel / 1e3 / n, Double::sum);
              }
            });
    return new PerRequest(
        requests,
        (process - client) / 1e3 / n,
        (allocated - clientAlloc) / 1024.0 / n,
        postgres < 0 ? -1 : postgres / 1e3 / n,
        client / 1e3 / n,
        byGroup,
        kernelByGroup);
  }

  private static final String CLIENT = "bench client";

  /**
   * This JVM's native threads (Java's and the VM's own: JIT compilers, GC) with their CPU time so
   * far, grouped by what their names say they do; empty where /proc cannot be read. Threads that
   * ended before the phase's end are missing: the client threads report themselves instead, and the
   * platform's pools keep theirs.
   */
  private static Map<Long, ThreadTime> ownThreads() {
    var out = new HashMap<Long, ThreadTime>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (var task : tasks.toList()) {
        try {
          var stat = Files.readString(task.resolve("stat"));
          var name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long userTicks = Long.parseLong(fields[11]);
          long kernelTicks = Long.parseLong(fields[12]);
          long nanosPerTick = 1_000_000_000L / CLOCK_TICKS_PER_SECOND;
          out.put(
              Long.parseLong(task.getFileName().toString()),
              new ThreadTime(
                  group(name),
                  (userTicks + kernelTicks) * nanosPerTick,
                  kernelTicks * nanosPerTick));
        } catch (IOException | RuntimeException gone) {
          // the thread ended while listed
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return out;
  }

  /** Linux keeps the first 15 characters of a thread's name. */
  private static String group(String name) {
    if (name.startsWith("bench-client") || name.startsWith("HttpClient-")) {
      return CLIENT;
    }
    if (name.startsWith("http-nio-") || name.startsWith("tomcat-handler")) {
      return "HTTP request threads";
    }
    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
      return "JIT compilers";
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
      return "GC and VM";
    }
    return "other (Kafka, relays, pollers)";
  }

  /** CPU nanoseconds and allocated bytes of the JDK HTTP client's threads alive now. */
  private static long[] httpClientPool() {
    var ids = new ArrayList<Long>();
    for (var thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith("HttpClient-")) {
        ids.add(thread.threadId());
      }
    }
    var idArray = ids.stream().mapToLong(Long::longValue).toArray();
    long cpu = 0;
    long allocated = 0;
    for (long v : THREADS.getThreadCpuTime(idArray)) {
      cpu += Math.max(0, v);
    }
    for (long v : THREADS.getThreadAllocatedBytes(idArray)) {
      allocated += Math.max(0, v);
    }
    return new long[] {cpu, allocated};
  }

  private static Optional<Path> findPostmasterPid(Path dataDir) {
    try (var walk = Files.walk(dataDir, 4)) {
      return walk.filter(p -> p.getFileName().toString().equals("postmaster.pid")).findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The postmaster's and its children's (backends, writers, autovacuum) CPU time so far, from
   * /proc; -1 where that cannot be read (not Linux, no embedded PostgreSQL).
   */
  private long postgresCpuNanos() {
    if (postgresPidFile.isEmpty()) {
      return -1;
    }
    try {
      long postmaster = Long.parseLong(Files.readAllLines(postgresPidFile.get()).get(0).strip());
      long ticks = 0;
      try (var procs = Files.list(Path.of("/proc"))) {
        for (var proc : procs.toList()) {
          var name = proc.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          String stat;
          try {
            stat = Files.readString(proc.resolve("stat"));
          } catch (IOException gone) {
            continue;
          }
          // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
          var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long pid = Long.parseLong(name);
          long parent = Long.parseLong(fields[1]);
          if (pid == postmaster || parent == postmaster) {
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
          }
        }
      }
      return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
