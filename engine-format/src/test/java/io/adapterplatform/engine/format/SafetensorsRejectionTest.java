package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRejectionTest {

  @TempDir Path dir;

  private static AbstractThrowableAssert<?, ? extends Throwable> rejecting(
      byte[] file, FormatException.Reason r) {
    return assertThatThrownBy(() -> Fixtures.header(file))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(r);
              assertThat(e.file()).isEqualTo("t.safetensors");
            })
        .hasMessageStartingWith("t.safetensors: ");
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> rejecting(
      String json, FormatException.Reason r) {
    return rejecting(Fixtures.rawFile(json, 0), r);
  }

  private static String tensor(String name, String dtype, String shape, long begin, long end) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":["
        + begin
        + ","
        + end
        + "]}";
  }

  @Test
  void rejectsAFileShorterThanTheLengthPrefix() {
    rejecting(new byte[5], FormatException.Reason.MALFORMED).hasMessageContaining("5 bytes long");
    rejecting(new byte[0], FormatException.Reason.MALFORMED);
  }

  @Test
  void rejectsAHeaderLengthLargerThanTheFile() {
    byte[] file =
        ByteBuffer.allocate(8 + 10)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(50)
            .put("{}".getBytes())
            .array();

    rejecting(file, FormatException.Reason.MALFORMED)
        .hasMessageContaining("declares 50 bytes of JSON but the file ends after 10");
  }

  @Test
  void rejectsAHeaderAboveTheBoundAsTooLarge() {
    byte[] file =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200L * 1024 * 1024).array();

    rejecting(file, FormatException.Reason.TOO_LARGE).hasMessageContaining("more than the limit");
    assertThatThrownBy(
            () ->
                SafetensorsHeader.read(
                    new ByteArrayInputStream(Fixtures.rawFile("{ }", 0)), "t", 2))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.reason()).isEqualTo(FormatException.Reason.TOO_LARGE));
  }

  @Test
  void rejectsNegativeOrGarbageLengthsAsMalformed() {
    byte[] negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).array();
    byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};

    rejecting(negative, FormatException.Reason.MALFORMED).hasMessageContaining("implausible");
    rejecting(zip, FormatException.Reason.MALFORMED).hasMessageContaining("not a safetensors file");
    rejecting(Fixtures.rawFile("[]", 0), FormatException.Reason.MALFORMED);
    rejecting(Fixtures.rawFile("{", 0), FormatException.Reason.MALFORMED);
  }

  @Test
  void rejectsNonUtf8AndInvalidJson() {
    byte[] bad = Fixtures.rawFile("{\"a\":1}", 0);
    bad[10] = (byte) 0xC3; // a lone UTF-8 lead byte

    rejecting(bad, FormatException.Reason.MALFORMED).hasMessageContaining("not valid UTF-8");
    rejecting("{'a':1}", FormatException.Reason.MALFORMED).hasMessageContaining("invalid JSON");
    rejecting("{\"a\":{}} x", FormatException.Reason.MALFORMED);
    rejecting(
            "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("a", "F32", "[1]", 4, 8) + "}",
            FormatException.Reason.MALFORMED)
        .hasMessageContaining("duplicate JSON key 'a'");
  }

  @Test
  void rejectsUnsupportedAndUnknownDtypes() {
    rejecting("{" + tensor("x", "F64", "[1]", 0, 8) + "}", FormatException.Reason.INCONSISTENT)
        .hasMessageContaining("dtype F64, which is not supported");
    rejecting("{" + tensor("x", "Q4", "[1]", 0, 1) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("unknown dtype 'Q4'");
  }

  @Test
  void rejectsShapeTimesDtypeMismatch() {
    rejecting("{" + tensor("x", "F16", "[2,3]", 0, 10) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining(
            "tensor 'x' is F16 [2, 3] = 12 bytes but its data_offsets [0, 10] span 10");
    rejecting("{" + tensor("x", "F32", "[-1]", 0, 4) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("non-negative integers");
    rejecting("{" + tensor("x", "F32", "[1.5]", 0, 4) + "}", FormatException.Reason.MALFORMED);
    rejecting(
            "{" + tensor("x", "F32", "[4611686018427387904, 4]", 0, 4) + "}",
            FormatException.Reason.MALFORMED)
        .hasMessageContaining("overflows");
  }

  @Test
  void rejectsGapsOverlapsAndReversedOffsets() {
    rejecting(
            "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 8, 12) + "}",
            FormatException.Reason.MALFORMED)
        .hasMessageContaining("gap in the data section: bytes [4, 8)");
    rejecting(
            "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[1]", 4, 8) + "}",
            FormatException.Reason.MALFORMED)
        .hasMessageContaining("'b' starts at 4, inside tensor 'a'");
    rejecting("{" + tensor("a", "F32", "[1]", 4, 8) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("before the first tensor 'a'");
    rejecting("{" + tensor("a", "F32", "[1]", 8, 4) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("end before they begin");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    String json =
        "{"
            + tensor("a", "F64", "[1]", 0, 8)
            + ","
            + tensor("b", "F32", "[3]", 8, 16)
            + ","
            + tensor("c", "F32", "[1]", 20, 24)
            + "}";

    assertThatThrownBy(() -> Fixtures.header(json))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.problems()).hasSize(3);
              assertThat(e.reason()).isEqualTo(FormatException.Reason.MALFORMED);
              assertThat(e.getMessage()).startsWith("t.safetensors: 3 problems: ");
            });
  }

  @Test
  void rejectsMetadataThatIsNotStrings() {
    rejecting("{\"__metadata__\":{\"k\":1}}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("__metadata__ value of 'k' is not a string");
  }

  @Test
  void checkFileSizeRejectsTooSmallAndTooLargeFiles() {
    SafetensorsHeader h =
        Fixtures.header(
            "{"
                + tensor("a", "F32", "[250]", 0, 1000)
                + ","
                + tensor("x", "F32", "[50]", 1000, 1200)
                + "}");

    assertThatThrownBy(() -> h.checkFileSize(h.headerLength() + 1000))
        .hasMessageContaining(
            "t.safetensors: tensor 'x' ends at 1200 but the data section is 1000 bytes");
    assertThatThrownBy(() -> h.checkFileSize(h.headerLength() + 1201))
        .hasMessageContaining("1 trailing bytes");
    assertThatThrownBy(() -> h.checkFileSize(3))
        .hasMessageContaining("shorter than its own header");
    h.checkFileSize(h.headerLength() + 1200);
  }

  @Test
  void openingATruncatedFileFails() throws Exception {
    byte[] good =
        new SafetensorsWriter()
            .addFloats("w", DType.F32, new long[] {8}, new float[8])
            .toByteArray();
    Path p =
        Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(good, good.length - 4));

    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith(
            "cut.safetensors: tensor 'w' ends at 32 but the data section is 28 bytes");
  }

  @Test
  void boundsTheRankSoAHostileShapeCannotFillTheHeap() {
    String hostile = "[" + "1,".repeat(100_000) + "1]";

    rejecting("{" + tensor("x", "F32", hostile, 0, 4) + "}", FormatException.Reason.MALFORMED)
        .hasMessageContaining("at most 64 non-negative integers");
    Fixtures.header("{" + tensor("x", "F32", "[" + "1,".repeat(63) + "1]", 0, 4) + "}");
  }

  @Test
  void aFailingStreamIsAnIoErrorNotAFormatError() {
    byte[] good =
        new SafetensorsWriter()
            .addFloats("w", DType.F32, new long[] {2}, new float[2])
            .toByteArray();
    java.io.InputStream failing =
        new java.io.FilterInputStream(new ByteArrayInputStream(good, 0, 20)) {
          @Override
          public int read(byte[] b, int off, int len) throws java.io.IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
              throw new java.io.IOException("connection reset");
            }
            return n;
          }
        };

    assertThatThrownBy(() -> SafetensorsHeader.read(failing, "w.safetensors"))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasRootCauseMessage("connection reset");
  }

  @Test
  void readsAHeaderOfManyTensors() {
    SafetensorsWriter w = new SafetensorsWriter();
    for (int i = 0; i < 20_000; i++) {
      w.add(
          "base_model.model.model.layers." + i + ".self_attn.q_proj.lora_A.weight",
          DType.BF16,
          new long[] {1, 2},
          new byte[4]);
    }
    byte[] file = w.toByteArray();

    SafetensorsHeader h = Fixtures.header(file);

    h.checkFileSize(file.length);
    assertThat(h.tensors()).hasSize(20_000);
    assertThat(h.dataLength()).isEqualTo(80_000);
  }

  @Test
  void acceptsAHeaderPaddedWithSpacesAndAnEmptyFile() {
    SafetensorsHeader h = Fixtures.header("{}      ");

    assertThat(h.tensors()).isEmpty();
    assertThat(h.expectedFileSize()).isEqualTo(16);
  }
}
