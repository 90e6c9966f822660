package io.adapterplatform.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This process's resident memory per phase of a bench: Linux's high-water mark ({@code VmHWM} of
 * {@code /proc/self/status}), reset at the start of each phase by writing 5 to {@code
 * /proc/self/clear_refs}, so that each phase's peak is its own and not the largest of all before
 * it. Elsewhere (no procfs) the figures are NaN.
 */
final class ResidentMemory {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
  private static final double GIB = 1024.0 * 1024.0 * 1024.0;

  /** One phase: its peak and final resident set, and the Java heap in use at its end. */
  record Sample(String phase, double peakGiB, double endGiB, double heapGiB) {}

  private final List<Sample> samples = new ArrayList<>();
  private String phase;

  /** Ends the running phase (if any) and starts {@code next}, with a fresh high-water mark. */
  Sample next(String next) {
    var ended = end();
    phase = next;
    try {
      Files.writeString(CLEAR_REFS, "5");
    } catch (IOException | RuntimeException e) {
      // no procfs or not allowed: the peak then covers everything since the process started
    }
    return ended;
  }

  /** Ends the running phase; null when none was running. */
  Sample end() {
    if (phase == null) {
      return null;
    }
    var runtime = Runtime.getRuntime();
    var sample =
        new Sample(
            phase,
            kib("VmHWM:") / (GIB / 1024),
            kib("VmRSS:") / (GIB / 1024),
            (runtime.totalMemory() - runtime.freeMemory()) / GIB);
    samples.add(sample);
    phase = null;
    return sample;
  }

  List<Sample> samples() {
    return List.copyOf(samples);
  }

  /** The largest peak of all phases so far. */
  double peakGiB() {
    return samples.stream().mapToDouble(Sample::peakGiB).max().orElse(Double.NaN);
  }

  static double kib(String field) {
    try {
      for (var line : Files.readAllLines(STATUS)) {
        if (line.startsWith(field)) {
          return Double.parseDouble(line.substring(field.length()).replace("kB", "").trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // no procfs: reported as NaN
    }
    return Double.NaN;
  }
}
