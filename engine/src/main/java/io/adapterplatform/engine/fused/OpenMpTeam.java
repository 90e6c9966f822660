package io.adapterplatform.engine.fused;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs the kernel's parallel tasks on libtorch's own OpenMP team, through libgomp's {@code
 * GOMP_parallel} with a Java upcall as the region's body.
 *
 * <p>Why: after every parallel libtorch operation, libgomp's worker threads spin for a while
 * waiting for the next region before they sleep. A kernel that runs between two libtorch operations
 * on Java threads of its own finds the other cores taken by those spinning workers, and its threads
 * and the spinners share the cores (measured: the MixLoRA block half again slower with two libtorch
 * threads than with one). Run as an OpenMP region instead, the spinning worker picks the kernel's
 * work up at once: no core is wasted and no parked Java thread has to be woken (a fork costs what a
 * libtorch operation's fork costs).
 *
 * <p>The team is the one libtorch uses from the calling thread (libgomp keeps one pool per master
 * thread), of the size libtorch asks for ({@code omp_get_max_threads()} of the calling thread). A
 * worker thread is attached to the JVM on its first upcall and stays attached. Found by looking for
 * the libgomp that libtorch loaded in the process's memory map; {@link #find()} is empty where
 * there is none (a libtorch built with another OpenMP runtime, or not Linux), and the kernel then
 * uses the common fork-join pool.
 */
final class OpenMpTeam {

  private static final Linker LINKER = Linker.nativeLinker();
  private static final ConcurrentHashMap<Long, Region> REGIONS = new ConcurrentHashMap<>();
  private static final AtomicLong NEXT_REGION = new AtomicLong(1);

  private final MethodHandle parallel;
  private final MethodHandle maxThreads;
  private final MethodHandle threadNum;
  private final MethodHandle numThreads;
  private final MemorySegment body;

  private static final class Holder {
    static final Optional<OpenMpTeam> TEAM = load();
  }

  /** One call's work, looked up by the id passed as the region's data pointer. */
  private record Region(int tasks, IntConsumer task, AtomicReference<Throwable> failure) {}

  private OpenMpTeam(SymbolLookup gomp) throws ReflectiveOperationException {
    parallel =
        LINKER.downcallHandle(
            gomp.findOrThrow("GOMP_parallel"),
            FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS,
                ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT));
    // trivial getters: a critical call skips the thread-state transition
    FunctionDescriptor intOfNothing = FunctionDescriptor.of(ValueLayout.JAVA_INT);
    maxThreads =
        LINKER.downcallHandle(
            gomp.findOrThrow("omp_get_max_threads"), intOfNothing, Linker.Option.critical(false));
    threadNum =
        LINKER.downcallHandle(
            gomp.findOrThrow("omp_get_thread_num"), intOfNothing, Linker.Option.critical(false));
    numThreads =
        LINKER.downcallHandle(
            gomp.findOrThrow("omp_get_num_threads"), intOfNothing, Linker.Option.critical(false));
    MethodHandle onThread =
        MethodHandles.lookup()
            .findStatic(
                OpenMpTeam.class,
                "onThread",
                MethodType.methodType(void.class, MemorySegment.class));
    body =
        LINKER.upcallStub(onThread, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS), Arena.global());
  }

  /** libtorch's OpenMP team, where this process has libgomp loaded (load libtorch first). */
  static Optional<OpenMpTeam> find() {
    return Holder.TEAM;
  }

  private static Optional<OpenMpTeam> load() {
    if (Boolean.getBoolean("adapterplatform.fused.no-openmp")) {
      return Optional.empty();
    }
    try {
      ai.djl.engine.Engine.getEngine("PyTorch"); // libtorch, and with it its libgomp, is loaded now
      Optional<Path> library = loadedGomp();
      if (library.isEmpty()) {
        return Optional.empty();
      }
      // dlopen of a loaded library returns the loaded instance: the same thread pools libtorch uses
      return Optional.of(new OpenMpTeam(SymbolLookup.libraryLookup(library.get(), Arena.global())));
    } catch (IOException | ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<Path> loadedGomp() throws IOException {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return Optional.empty();
    }
    try (var lines = Files.lines(maps)) {
      return lines
          .map(line -> line.substring(line.lastIndexOf(' ') + 1))
          .filter(
              path ->
                  path.startsWith("/")
                      && Path.of(path).getFileName().toString().startsWith("libgomp"))
          .findFirst()
          .map(Path::of);
    }
  }

  /** The team size libtorch uses from this thread. */
  int threads() {
    try {
      return (int) maxThreads.invokeExact();
    } catch (Throwable e) {
      throw new IllegalStateException("omp_get_max_threads failed", e);
    }
  }

  /**
   * Runs {@code task.accept(i)} for every i in [0, tasks) across the team and returns when all are
   * done. The calling thread is the region's master and takes its share. An exception from a task
   * is rethrown here after the region ends.
   */
  void run(int tasks, IntConsumer task) {
    run(tasks, task, threads());
  }

  /**
   * {@link #run(int, IntConsumer)} on a team of {@code threads} threads at most (tests ask for more
   * than one).
   */
  void run(int tasks, IntConsumer task, int threads) {
    long id = NEXT_REGION.getAndIncrement();
    Region region = new Region(tasks, task, new AtomicReference<>());
    REGIONS.put(id, region);
    try {
      parallel.invokeExact(
          body, MemorySegment.ofAddress(id), Math.max(1, Math.min(tasks, threads)), 0);
    } catch (Throwable e) {
      throw new IllegalStateException("GOMP_parallel failed", e);
    } finally {
      REGIONS.remove(id);
    }
    Throwable failure = region.failure().get();
    if (failure instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (failure instanceof Error error) {
      throw error;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  /**
   * The region's body on every thread of the team: an exception must not cross back into native
   * code.
   */
  private static void onThread(MemorySegment data) {
    Region region = REGIONS.get(data.address());
    try {
      OpenMpTeam team = Holder.TEAM.orElseThrow();
      int thread = (int) team.threadNum.invokeExact();
      int threads = (int) team.numThreads.invokeExact();
      for (int i = thread; i < region.tasks(); i += threads) {
        region.task().accept(i);
      }
    } catch (Throwable e) {
      region.failure().compareAndSet(null, e);
    }
  }
}
