package io.adapterplatform.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The serving bench's per-phase resident memory, read from Linux's procfs. */
class ResidentMemoryTest {

  private static final double MIB_IN_GIB = 1.0 / 1024;

  @Test
  void eachPhaseReportsAPeakThatCoversWhatItTouched() {
    assumeThat(Files.isReadable(Path.of("/proc/self/status"))).isTrue();
    var memory = new ResidentMemory();

    assertThat(memory.next("quiet")).as("no phase ran before").isNull();
    var quiet = memory.next("touching");
    var before = ResidentMemory.kib("VmRSS:") / 1024 / 1024;
    var buffer = ByteBuffer.allocateDirect(128 << 20);
    for (var i = 0; i < buffer.capacity(); i += 4096) {
      buffer.put(i, (byte) 1); // every page resident
    }
    var touching = memory.end();

    assertThat(quiet.phase()).isEqualTo("quiet");
    assertThat(touching.phase()).isEqualTo("touching");
    assertThat(touching.peakGiB()).isGreaterThanOrEqualTo(touching.endGiB());
    assertThat(touching.peakGiB())
        .as("the phase's peak holds the 128 MiB it touched")
        .isGreaterThanOrEqualTo(before + 120 * MIB_IN_GIB);
    assertThat(memory.samples())
        .extracting(ResidentMemory.Sample::phase)
        .containsExactly("quiet", "touching");
    assertThat(memory.peakGiB()).isEqualTo(Math.max(quiet.peakGiB(), touching.peakGiB()));
    assertThat(buffer.get(0)).isEqualTo((byte) 1);
    assertThat(memory.end()).as("nothing running any more").isNull();
  }
}
