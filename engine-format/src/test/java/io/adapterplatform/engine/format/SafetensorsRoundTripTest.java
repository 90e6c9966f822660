package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsRoundTripTest {

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(DType.class)
  void writesAndReadsBackEveryTensorByteForByte(DType dtype) throws Exception {
    Random rng = new Random(dtype.ordinal());
    long[][] shapes = {{3, 5}, {7}, {2, 3, 4}, {0, 4}, {}};
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    byte[][] raws = new byte[shapes.length][];
    for (int i = 0; i < shapes.length; i++) {
      raws[i] = new byte[(int) (TensorInfo.elementCount(shapes[i]) * dtype.byteSize())];
      rng.nextBytes(raws[i]);
      w.add("t" + i, dtype, shapes[i], raws[i]);
    }
    Path file = dir.resolve("a.safetensors");

    w.writeTo(file);

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.header().metadata()).isEqualTo(Map.of("format", "pt"));
      assertThat(f.header().expectedFileSize()).isEqualTo(Files.size(file));
      assertThat(f.header().headerLength() % 8).isZero();
      for (int i = 0; i < shapes.length; i++) {
        TensorInfo t = f.header().require("t" + i);
        assertThat(t.dtype()).isEqualTo(dtype);
        assertThat(t.shape()).isEqualTo(shapes[i]);
        assertThat(f.readBytes("t" + i)).isEqualTo(raws[i]);
      }
      // read raw → write raw reproduces the whole file
      SafetensorsWriter again = new SafetensorsWriter().metadata(f.header().metadata());
      for (TensorInfo t : f.header().tensors()) {
        again.add(t.name(), t.dtype(), t.shape(), f.readRaw(t.name()));
      }
      assertThat(again.toByteArray()).isEqualTo(Files.readAllBytes(file));
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void readsFloatsWidenedFromEachDtype(DType dtype) {
    Random rng = new Random(11);
    float[] values = Fixtures.random(rng, 6 * 9);
    byte[] file =
        new SafetensorsWriter().addFloats("w", dtype, new long[] {6, 9}, values).toByteArray();

    float[] back = readFloats(file, "w");

    for (int i = 0; i < values.length; i++) {
      float expected =
          switch (dtype) {
            case F32 -> values[i];
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
            case BF16 -> FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(values[i]));
          };
      assertThat(back[i]).isEqualTo(expected);
      // relative error bounded by half an ulp of the format
      double bound = dtype == DType.F32 ? 0 : dtype == DType.F16 ? 0x1p-11 : 0x1p-8;
      assertThat(Math.abs((double) back[i] - values[i]))
          .isLessThanOrEqualTo(Math.abs(values[i]) * bound + 1e-7);
    }
  }

  private float[] readFloats(byte[] bytes, String name) {
    try {
      Path p = Files.write(dir.resolve(name + ".safetensors"), bytes);
      try (SafetensorsFile f = SafetensorsFile.open(p)) {
        return f.readFloats(name);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void readConsumesExactlyTheHeaderSoTheRestCanBeStreamedElsewhere() throws Exception {
    byte[] file =
        new SafetensorsWriter()
            .addFloats("b", DType.F32, new long[] {4}, new float[] {1, 2, 3, 4})
            .addFloats("a", DType.BF16, new long[] {2}, new float[] {5, 6})
            .toByteArray();
    InputStream in = new ByteArrayInputStream(file);

    SafetensorsHeader h = SafetensorsHeader.read(in, "x.safetensors");
    byte[] rest = in.readAllBytes();

    assertThat(rest).hasSize((int) h.dataLength());
    assertThat(h.headerLength() + rest.length).isEqualTo(file.length);
    h.checkFileSize(h.headerLength() + rest.length);
    assertThat(h.tensors()).extracting(TensorInfo::name).containsExactly("a", "b");
    assertThat(h.require("b").begin()).isEqualTo(4);
    assertThat(ByteBuffer.wrap(rest, 4, 16).order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat())
        .isEqualTo(1f);
  }

  @Test
  void opensFilesWithoutDataAndReadsEmptyTensors() throws Exception {
    Path none = dir.resolve("none.safetensors");
    Path empty = dir.resolve("empty.safetensors");
    new SafetensorsWriter().metadata("k", "v").writeTo(none);
    new SafetensorsWriter().add("e", DType.BF16, new long[] {0, 3}, new byte[0]).writeTo(empty);

    try (SafetensorsFile a = SafetensorsFile.open(none);
        SafetensorsFile b = SafetensorsFile.open(empty)) {
      assertThat(a.header().tensors()).isEmpty();
      assertThat(a.header().metadata()).containsEntry("k", "v");
      assertThat(b.readFloats("e")).isEmpty();
      assertThat(b.readRaw("e").remaining()).isZero();
      assertThatThrownBy(() -> b.readRaw("f"))
          .isInstanceOf(FormatException.class)
          .hasMessage("empty.safetensors: has no tensor 'f'");
    }
  }

  @Test
  void outputDoesNotDependOnInsertionOrder() {
    SafetensorsWriter one =
        new SafetensorsWriter()
            .metadata("z", "1")
            .metadata("a", "2")
            .addFloats("x", DType.F32, new long[] {1}, new float[] {1})
            .addFloats("y", DType.F16, new long[] {2}, new float[] {2, 3});
    SafetensorsWriter two =
        new SafetensorsWriter()
            .metadata("a", "2")
            .addFloats("y", DType.F16, new long[] {2}, new float[] {2, 3})
            .addFloats("x", DType.F32, new long[] {1}, new float[] {1})
            .metadata("z", "1");

    assertThat(one.toByteArray()).isEqualTo(two.toByteArray());
  }

  @Test
  void streamWriterEnforcesOrderAndSizes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SafetensorsStreamWriter w =
        SafetensorsStreamWriter.begin(
            out,
            java.util.List.of(
                new TensorSpec("b", DType.F32, new long[] {2}),
                new TensorSpec("a", DType.F16, new long[] {3})),
            Map.of());

    assertThatThrownBy(() -> w.write("b", new byte[8])).hasMessageContaining("expected tensor 'a'");
    assertThatThrownBy(() -> w.write("a", new byte[5])).hasMessageContaining("needs 6 bytes");
    w.writeFloats("a", new float[] {1, 2, 3});
    assertThatThrownBy(w::finish).hasMessageContaining("'b' was not written");
    w.writeFloats("b", new float[] {4, 5});
    w.finish();

    SafetensorsHeader h = Fixtures.header(out.toByteArray());
    h.checkFileSize(out.size());
    assertThat(h.names()).containsExactly("a", "b");
  }

  @Test
  void writerRefusesBadTensors() {
    SafetensorsWriter w = new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new byte[4]);

    assertThatThrownBy(() -> w.add("x", DType.F32, new long[] {1}, new byte[4]))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> w.add("y", DType.F32, new long[] {2}, new byte[4]))
        .hasMessageContaining("needs 8");
    assertThatThrownBy(() -> w.add("__metadata__", DType.F32, new long[] {1}, new byte[4]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> w.add("z", DType.F32, new long[] {-1}, new byte[0]))
        .hasMessageContaining("negative");
  }
}
