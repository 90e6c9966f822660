package io.adapterplatform.registry.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Makes the bootstrap admin token usable while the context starts (after Flyway, before the web
 * server reports ready), so that the first request after start-up can already use it. A generated
 * token goes to a file only its owner can read, never to the log: logs are shipped and kept, the
 * file is not.
 */
@Component
class AdminBootstrap implements SmartInitializingSingleton {

  private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);

  private final TokenService tokens;
  private final Path tokenFile;

  AdminBootstrap(
      TokenService tokens,
      @Value("${platform.auth.admin-token-file:${platform.data-dir:.platform-data}/admin-token}")
          Path tokenFile) {
    this.tokens = tokens;
    this.tokenFile = tokenFile.toAbsolutePath().normalize();
  }

  @Override
  public void afterSingletonsInstantiated() {
    tokens
        .bootstrapAdmin()
        .ifPresent(
            secret -> {
              writeOwnerOnly(tokenFile, secret + "\n");
              log.info(
                  "generated a bootstrap admin token (set PLATFORM_ADMIN_TOKEN to choose one); it is in {}"
                      + " (readable by its owner only)",
                  tokenFile);
            });
  }

  /**
   * Written to a fresh 0600 file beside the target, then moved over it: the secret is never
   * world-readable.
   */
  static void writeOwnerOnly(Path file, String content) {
    try {
      var dir = file.getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      var temp =
          Files.createTempFile(
              dir,
              "." + file.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(temp, content, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the generated admin token to "
              + file
              + ": set PLATFORM_ADMIN_TOKEN, or platform.auth.admin-token-file to a writable place",
          e);
    }
  }
}
