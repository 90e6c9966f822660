package io.adapterplatform.serving.engine;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.BaseModel;
import io.adapterplatform.api.registry.model.FileInfo;
import io.adapterplatform.serving.models.RegistryAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * Fetches a base model's files from the registry into a directory of their own, each checked
 * against the sha256 the registry lists (as the adapter pool fetches adapter files), so that the
 * engine never parses bytes that differ from what was published.
 */
final class BaseModelFiles {

  private final RegistryAccess registry;

  BaseModelFiles(RegistryAccess registry) {
    this.registry = registry;
  }

  Path fetch(String name, String token, Path into) {
    BaseModel model;
    try {
      model = new BaseModelsApi(registry.client(token)).getBaseModel(name);
    } catch (ApiException e) {
      throw RegistryAccess.failure(e.getCode(), e.getResponseBody(), "base model '" + name + "'");
    }
    try {
      Files.createDirectories(into);
      for (FileInfo file : model.getFiles()) {
        download(name, file, into, token);
      }
      return into;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store base model " + name + " in " + into, e);
    }
  }

  private void download(String model, FileInfo file, Path dir, String token) throws IOException {
    String fileName = file.getName();
    if (fileName.isEmpty()
        || fileName.startsWith(".")
        || fileName.contains("/")
        || fileName.contains("\\")) {
      throw mismatch(model, fileName, "a name that is not a plain file name");
    }
    MessageDigest sha256 = sha256();
    try (InputStream in =
            new DigestInputStream(
                registry.open(List.of("api", "v1", "base-models", model, "files", fileName), token),
                sha256);
        OutputStream out = Files.newOutputStream(dir.resolve(fileName))) {
      in.transferTo(out);
    }
    String actual = HexFormat.of().formatHex(sha256.digest());
    if (!actual.equals(file.getSha256())) {
      throw mismatch(model, fileName, "sha256 " + actual);
    }
  }

  private static io.adapterplatform.web.problem.ApiException mismatch(
      String model, String file, String got) {
    return new io.adapterplatform.web.problem.ApiException(
        HttpStatus.BAD_GATEWAY,
        "base-model-digest-mismatch",
        "Bad gateway",
        "refused " + file + " of base model " + model + ": the download has " + got,
        List.of());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
