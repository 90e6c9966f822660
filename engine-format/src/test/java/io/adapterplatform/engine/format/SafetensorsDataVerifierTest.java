package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SafetensorsDataVerifierTest {

  private final Random rng = new Random(31);

  private byte[] file(float[] a, float[] b, float[] c) {
    return new SafetensorsWriter()
        .addFloats("a", DType.F32, new long[] {a.length}, a)
        .addFloats("b", DType.BF16, new long[] {b.length}, b)
        .add("empty", DType.F16, new long[] {0}, new byte[0])
        .addFloats("c", DType.F16, new long[] {c.length}, c)
        .toByteArray();
  }

  /** Reads everything after the header through the verifier in reads of random sizes. */
  private SafetensorsDataVerifier pass(byte[] file, int extra) throws IOException {
    byte[] withExtra = Arrays.copyOf(file, file.length + extra);
    InputStream in = new ByteArrayInputStream(withExtra);
    SafetensorsHeader h = SafetensorsHeader.read(in, "up.safetensors");
    SafetensorsDataVerifier v = new SafetensorsDataVerifier(in, h);
    byte[] buffer = new byte[13];
    long copied = 0;
    int n;
    while ((n = v.read(buffer, 0, 1 + rng.nextInt(buffer.length))) >= 0) {
      copied += n;
    }
    assertThat(copied).isEqualTo(v.bytesRead());
    return v;
  }

  @Test
  void passesFiniteTensorsThroughUnchanged() throws IOException {
    byte[] file = file(Fixtures.random(rng, 37), Fixtures.random(rng, 11), Fixtures.random(rng, 5));
    InputStream in = new ByteArrayInputStream(file);
    SafetensorsHeader h = SafetensorsHeader.read(in, "up.safetensors");
    SafetensorsDataVerifier v = new SafetensorsDataVerifier(in, h);

    byte[] rest = v.readAllBytes();

    assertThat(rest).isEqualTo(Arrays.copyOfRange(file, (int) h.headerLength(), file.length));
    v.verify();
    pass(file, 0).verify();
  }

  @Test
  void findsNonFiniteValuesInEachDtypeWhateverTheReadSizes() throws IOException {
    float[] a = Fixtures.random(rng, 37);
    float[] b = Fixtures.random(rng, 11);
    float[] c = Fixtures.random(rng, 5);
    a[36] = Float.NaN;
    a[3] = Float.NEGATIVE_INFINITY;
    b[0] = Float.POSITIVE_INFINITY;
    c[2] = 1e6f; // overflows F16 to infinity

    SafetensorsDataVerifier v = pass(file(a, b, c), 0);

    assertThatThrownBy(v::verify)
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FormatException.Reason.INCONSISTENT);
              assertThat(e.problems())
                  .containsExactly(
                      "tensor 'a' has 2 non-finite values (NaN or infinity)",
                      "tensor 'b' has 1 non-finite values (NaN or infinity)",
                      "tensor 'c' has 1 non-finite values (NaN or infinity)");
            });
  }

  @Test
  void reportsTruncatedAndOverlongData() throws IOException {
    byte[] file = file(new float[4], new float[2], new float[2]);
    InputStream in = new ByteArrayInputStream(Arrays.copyOf(file, file.length - 3));
    SafetensorsHeader h = SafetensorsHeader.read(in, "up.safetensors");
    SafetensorsDataVerifier truncated = new SafetensorsDataVerifier(in, h);
    truncated.transferTo(OutputStream.nullOutputStream());

    assertThatThrownBy(truncated::verify)
        .hasMessageContaining("tensor 'c' ends at 24 but the data section is 21");
    assertThatThrownBy(pass(file, 5)::verify).hasMessageContaining("5 trailing bytes");
  }
}
