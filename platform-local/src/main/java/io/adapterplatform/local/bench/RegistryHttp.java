package io.adapterplatform.local.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The few registry calls the benchmark and the launcher's tests make, over plain HTTP/1.1 with
 * streamed multipart bodies (the registry's generated client lives in platform-api and buffers
 * multipart bodies).
 */
public final class RegistryHttp {

  private final HttpClient http;
  private final String baseUrl;
  private final String token;

  public RegistryHttp(String baseUrl, String token) {
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.token = token;
  }

  /** A file part of a multipart body: {@code files} with its file name. */
  public record FilePart(String fileName, Path path) {}

  public HttpResponse<String> multipart(
      String path, Map<String, String> fields, List<FilePart> files)
      throws IOException, InterruptedException {
    return multipart(path, fields, "files", files);
  }

  /** The same with the file parts named {@code partName} (the training service's {@code file}). */
  public HttpResponse<String> multipart(
      String path, Map<String, String> fields, String partName, List<FilePart> files)
      throws IOException, InterruptedException {
    var boundary = "bench-" + UUID.randomUUID();
    var publishers = new ArrayList<HttpRequest.BodyPublisher>();
    for (var field : fields.entrySet()) {
      publishers.add(
          HttpRequest.BodyPublishers.ofString(
              "--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + field.getKey()
                  + "\"\r\n\r\n"
                  + field.getValue()
                  + "\r\n",
              StandardCharsets.UTF_8));
    }
    for (var file : files) {
      publishers.add(
          HttpRequest.BodyPublishers.ofString(
              "--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + partName
                  + "\"; filename=\""
                  + file.fileName()
                  + "\"\r\nContent-Type: application/octet-stream\r\n\r\n",
              StandardCharsets.UTF_8));
      publishers.add(HttpRequest.BodyPublishers.ofFile(file.path()));
      publishers.add(HttpRequest.BodyPublishers.ofString("\r\n", StandardCharsets.UTF_8));
    }
    publishers.add(
        HttpRequest.BodyPublishers.ofString("--" + boundary + "--\r\n", StandardCharsets.UTF_8));
    var request =
        authorized(path)
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(
                    publishers.toArray(HttpRequest.BodyPublisher[]::new)))
            .timeout(Duration.ofMinutes(10))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> postJson(String path, String json)
      throws IOException, InterruptedException {
    return http.send(
        authorized(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(authorized(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A GET through the JDK's blocking {@link HttpURLConnection}, on the calling thread over a
   * kept-alive connection, body read and dropped; returns the status. For the read benchmark's
   * loop: {@link HttpClient} hands every exchange to its selector and executor threads, which cost
   * about three times the CPU per request on the cores the registry needs (docs/benchmarks.md).
   * Needs {@code http.maxConnections} at least the number of threads calling it, or connections
   * beyond the keep-alive cache's default of five are closed after each request.
   */
  public int getStatus(String path) throws IOException {
    var connection = (HttpURLConnection) URI.create(baseUrl + path).toURL().openConnection();
    connection.setRequestProperty("Authorization", "Bearer " + token);
    int status = connection.getResponseCode();
    try (var body = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
      if (body != null) {
        body.transferTo(OutputStream.nullOutputStream());
      }
    }
    return status;
  }

  public static Path textFile(Path dir, String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  public HttpResponse<byte[]> download(String path) throws IOException, InterruptedException {
    return http.send(authorized(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpRequest.Builder authorized(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("Authorization", "Bearer " + token);
  }

  public static void expect(HttpResponse<String> response, int status, String what) {
    if (response.statusCode() != status) {
      throw new IllegalStateException(
          what + ": HTTP " + response.statusCode() + " " + response.body());
    }
  }
}
