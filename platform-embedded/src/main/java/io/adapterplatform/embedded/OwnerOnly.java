package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Directories and secret files that only the platform's own user may read: stored weights, database
 * files and credentials must not depend on the umask of whoever started the platform.
 */
final class OwnerOnly {

  static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final SecureRandom RANDOM = new SecureRandom();

  private OwnerOnly() {}

  /**
   * Creates {@code dir} (and missing parents) and makes it 0700, also when an older version made it
   * wider.
   */
  static Path directory(Path dir) {
    try {
      Files.createDirectories(dir);
      if (POSIX) {
        Files.setPosixFilePermissions(dir, DIRECTORY);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + " readable by its owner only", e);
    }
  }

  /**
   * The secret kept in {@code file}, made by {@code fresh} and written 0600 on first use. The file
   * is written beside its final name and moved over it, so that a crash never leaves a half-written
   * secret behind.
   */
  static String secret(Path file, Supplier<String> fresh) {
    try {
      if (Files.exists(file)) {
        if (POSIX) {
          Files.setPosixFilePermissions(file, FILE);
        }
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      }
      var value = fresh.get();
      var temp =
          Files.createTempFile(
              file.getParent(), "." + file.getFileName(), ".tmp", fileAttributes());
      try {
        Files.writeString(temp, value + "\n", StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep a secret in " + file, e);
    }
  }

  /**
   * {@code bytes} random bytes as hex: safe in URLs, properties files, SQL literals and command
   * lines.
   */
  static String randomHex(int bytes) {
    var buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HexFormat.of().formatHex(buffer);
  }

  private static FileAttribute<?>[] fileAttributes() {
    return POSIX
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }
}
