package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

/**
 * The keys the embedded S3 server accepts.
 *
 * @param accessKey S3 access key
 * @param secretKey S3 secret key
 */
public record S3Credentials(String accessKey, String secretKey) {

  static final String FILE_NAME = "s3-credentials.properties";

  public S3Credentials {
    Objects.requireNonNull(accessKey, "accessKey");
    Objects.requireNonNull(secretKey, "secretKey");
    if (accessKey.isBlank() || secretKey.isBlank()) {
      throw new IllegalArgumentException("S3 access and secret keys must not be blank");
    }
  }

  /**
   * The data directory's own keys: generated on its first start, kept 0600 in {@code
   * dataDir/s3-credentials.properties}.
   */
  static S3Credentials of(Path dataDir) {
    var file = dataDir.resolve(FILE_NAME);
    var text =
        OwnerOnly.secret(
            file,
            () ->
                "access-key=platform-"
                    + OwnerOnly.randomHex(8)
                    + "\nsecret-key="
                    + OwnerOnly.randomHex(24));
    var properties = new Properties();
    try {
      properties.load(new StringReader(text));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    var access = properties.getProperty("access-key");
    var secret = properties.getProperty("secret-key");
    if (access == null || secret == null) {
      throw new IllegalStateException(
          file + " must hold access-key= and secret-key= lines; delete it to get new keys");
    }
    return new S3Credentials(access, secret);
  }

  /** Hides the secret: settings end up in logs. */
  @Override
  public String toString() {
    return "S3Credentials[accessKey=" + accessKey + "]";
  }
}
