package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.reference.FilesystemConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** S3Proxy over jclouds' filesystem provider: buckets are directories, objects are files. */
final class S3Server implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(S3Server.class);

  private final S3Proxy proxy;
  private final BlobStoreContext context;

  private S3Server(S3Proxy proxy, BlobStoreContext context) {
    this.proxy = proxy;
    this.context = context;
  }

  static S3Server start(Path baseDir, int port, String accessKey, String secretKey) {
    BlobStoreContext context = null;
    try {
      Files.createDirectories(baseDir);
      var overrides = new Properties();
      overrides.setProperty(
          FilesystemConstants.PROPERTY_BASEDIR, baseDir.toAbsolutePath().toString());
      context =
          ContextBuilder.newBuilder("filesystem")
              .overrides(overrides)
              .buildView(BlobStoreContext.class);
      var proxy =
          S3Proxy.builder()
              .blobStore(context.getBlobStore())
              .endpoint(URI.create("http://127.0.0.1:" + port))
              .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
              .build();
      proxy.start();
      log.info("S3Proxy started port={} baseDir={}", proxy.getPort(), baseDir);
      return new S3Server(proxy, context);
    } catch (IOException e) {
      closeQuietly(context);
      throw new UncheckedIOException("S3Proxy did not start on " + baseDir, e);
    } catch (Exception e) {
      closeQuietly(context);
      throw new IllegalStateException("S3Proxy did not start on " + baseDir, e);
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
    }
  }

  private static void closeQuietly(BlobStoreContext context) {
    if (context != null) {
      context.close();
    }
  }
}
