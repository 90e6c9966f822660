package io.adapterplatform.registry.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The few bytes of the tar format (POSIX ustar, with a pax extended header for a name over 100
 * bytes or a size over 8 GiB) that a stream of regular files needs. Headers are a pure function of
 * name, size and mtime, so an archive's length is known before it is written and its bytes are the
 * same on every download.
 */
final class TarFormat {

  static final int BLOCK = 512;
  private static final long MAX_USTAR_SIZE = 077777777777L;

  private TarFormat() {}

  /**
   * The header blocks of one regular file: a pax header first when ustar cannot hold its name or
   * size.
   */
  static byte[] headers(String name, long size, long mtimeSeconds) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    boolean longName = nameBytes.length > 100;
    boolean bigSize = size > MAX_USTAR_SIZE;
    byte[] file =
        ustar(longName ? truncate(nameBytes) : nameBytes, bigSize ? 0 : size, mtimeSeconds, '0');
    if (!longName && !bigSize) {
      return file;
    }
    var pax = new StringBuilder();
    if (longName) {
      pax.append(record("path", name));
    }
    if (bigSize) {
      pax.append(record("size", Long.toString(size)));
    }
    byte[] paxData = pax.toString().getBytes(StandardCharsets.UTF_8);
    byte[] paxHeader =
        ustar(
            truncate(("PaxHeaders/" + name).getBytes(StandardCharsets.UTF_8)),
            paxData.length,
            mtimeSeconds,
            'x');
    byte[] out = new byte[paxHeader.length + padded(paxData.length) + file.length];
    System.arraycopy(paxHeader, 0, out, 0, paxHeader.length);
    System.arraycopy(paxData, 0, out, paxHeader.length, paxData.length);
    System.arraycopy(file, 0, out, paxHeader.length + padded(paxData.length), file.length);
    return out;
  }

  /** Bytes of one file's entry in the archive: headers, data, padding to the block. */
  static long entryLength(String name, long size) {
    return headers(name, size, 0).length + padded(size);
  }

  /** Two zero blocks end an archive. */
  static final int END_LENGTH = 2 * BLOCK;

  static int padded(int size) {
    return (int) padded((long) size);
  }

  static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  static void pad(OutputStream out, long size) throws IOException {
    int rest = (int) (padded(size) - size);
    if (rest > 0) {
      out.write(new byte[rest]);
    }
  }

  /** "len key=value\n", where len counts its own digits too. */
  private static String record(String key, String value) {
    int body =
        key.getBytes(StandardCharsets.UTF_8).length
            + value.getBytes(StandardCharsets.UTF_8).length
            + 3;
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len++;
    }
    return len + " " + key + "=" + value + "\n";
  }

  private static byte[] truncate(byte[] name) {
    return name.length <= 100 ? name : Arrays.copyOf(name, 100);
  }

  private static byte[] ustar(byte[] name, long size, long mtime, char type) {
    byte[] h = new byte[BLOCK];
    System.arraycopy(name, 0, h, 0, name.length);
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, mtime);
    Arrays.fill(h, 148, 156, (byte) ' ');
    h[156] = (byte) type;
    byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, magic.length);
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
    return h;
  }

  /** Zero-padded octal digits, NUL-terminated, in a field of {@code width} bytes. */
  private static void octal(byte[] h, int at, int width, long value) {
    String digits = Long.toOctalString(value);
    String field = "0".repeat(width - 1 - digits.length()) + digits;
    byte[] b = field.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, at, b.length);
    h[at + width - 1] = 0;
  }
}
