package io.adapterplatform.registry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartReaderTest {

  /** Hands out at most {@code max} bytes per read, to split delimiters across reads. */
  static final class Trickle extends FilterInputStream {
    private final Random random;
    private final int max;

    Trickle(InputStream in, Random random, int max) {
      super(in);
      this.random = random;
      this.max = max;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return super.read(b, off, Math.min(len, 1 + random.nextInt(max)));
    }
  }

  private static byte[] body(String boundary, List<String> names, List<byte[]> contents) {
    var out = new ByteArrayOutputStream();
    out.writeBytes("preamble\r\n".getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < names.size(); i++) {
      String head =
          "--"
              + boundary
              + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\""
              + names.get(i)
              + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
      out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(contents.get(i));
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes(("--" + boundary + "--\r\nepilogue").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Test
  void returnsEveryPartByteForByteWhateverTheReadSizes() throws IOException {
    var random = new Random(42);
    for (int round = 0; round < 40; round++) {
      String boundary =
          "b" + Long.toHexString(random.nextLong()).substring(0, 1 + random.nextInt(10));
      var names = new ArrayList<String>();
      var contents = new ArrayList<byte[]>();
      int parts = 1 + random.nextInt(4);
      for (int p = 0; p < parts; p++) {
        int size = random.nextInt(4) == 0 ? random.nextInt(20) : random.nextInt(700_000);
        byte[] c = new byte[size];
        random.nextBytes(c);
        // Near-misses of the delimiter inside the content must stay content.
        byte[] near = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        for (int k = 0; k + near.length < size && k < 5; k++) {
          int at = random.nextInt(size - near.length);
          System.arraycopy(near, 0, c, at, near.length - 1);
          c[at + near.length - 1] = (byte) (near[near.length - 1] ^ 1); // never the whole delimiter
        }
        names.add("f" + p + ".bin");
        contents.add(c);
      }
      InputStream in = new ByteArrayInputStream(body(boundary, names, contents));
      if (round % 2 == 0) {
        in = new Trickle(in, random, 1 + random.nextInt(5000));
      }
      var reader = new MultipartReader(in, boundary, Long.MAX_VALUE);
      for (int p = 0; p < parts; p++) {
        var part = reader.next();
        assertThat(part).isNotNull();
        assertThat(part.fieldName()).isEqualTo("files");
        assertThat(part.fileName()).isEqualTo(names.get(p));
        if (round % 3 == 1 && p == 0 && parts > 1) {
          continue; // an unread part is skipped by next()
        }
        var got = new ByteArrayOutputStream();
        byte[] chunk = new byte[1 + random.nextInt(100_000)];
        for (int n; (n = part.body().read(chunk, 0, chunk.length)) >= 0; ) {
          got.write(chunk, 0, n);
        }
        assertThat(got.toByteArray()).isEqualTo(contents.get(p));
      }
      assertThat(reader.next()).isNull();
    }
  }

  @Test
  void formFieldsHaveNoFileName() throws IOException {
    String body =
        "--xx\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nhello; \"x\"\r\n--xx--\r\n";
    var reader =
        new MultipartReader(
            new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), "xx", 100);
    var part = reader.next();
    assertThat(part.fieldName()).isEqualTo("label");
    assertThat(part.fileName()).isNull();
    assertThat(new String(part.body().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("hello; \"x\"");
    assertThat(reader.next()).isNull();
  }

  @Test
  void aPartOverTheLimitIsTooLarge() throws IOException {
    byte[] content = new byte[1000];
    var reader =
        new MultipartReader(
            new ByteArrayInputStream(body("zz", List.of("a.bin"), List.of(content))), "zz", 999);
    var part = reader.next();
    assertThatThrownBy(() -> part.body().readAllBytes())
        .isInstanceOfSatisfying(
            MultipartReader.MultipartException.class, e -> assertThat(e.tooLarge()).isTrue());
  }

  @Test
  void aTruncatedBodyIsMalformed() throws IOException {
    byte[] full = body("zz", List.of("a.bin"), List.of(new byte[5000]));
    byte[] cut = java.util.Arrays.copyOf(full, full.length - 20);
    var reader = new MultipartReader(new ByteArrayInputStream(cut), "zz", Long.MAX_VALUE);
    var part = reader.next();
    assertThatThrownBy(() -> part.body().readAllBytes())
        .isInstanceOfSatisfying(
            MultipartReader.MultipartException.class, e -> assertThat(e.tooLarge()).isFalse());
    assertThatThrownBy(
            () -> new MultipartReader(new ByteArrayInputStream(new byte[10]), "zz", 1).next())
        .isInstanceOf(MultipartReader.MultipartException.class);
    assertThatThrownBy(() -> new MultipartReader(new ByteArrayInputStream(new byte[10]), null, 1))
        .isInstanceOf(MultipartReader.MultipartException.class);
  }

  @Test
  void boundaryComesFromTheContentType() {
    assertThat(MultipartReader.boundary("multipart/form-data; boundary=abc")).isEqualTo("abc");
    assertThat(MultipartReader.boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"a b\""))
        .isEqualTo("a b");
    assertThat(MultipartReader.boundary("multipart/form-data")).isNull();
  }
}
