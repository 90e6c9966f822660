package io.adapterplatform.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for what a client library will not do: declare a body and withhold
 * it, send a chunked body that never ends, or stop reading an answer.
 */
final class RawHttp implements AutoCloseable {

  record Answer(int status, Map<String, String> headers, String body) {}

  private final Socket socket;

  RawHttp(int port, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new java.net.InetSocketAddress("localhost", port));
    // Generous: only a server that waits for bytes that never come runs into it.
    socket.setSoTimeout(30_000);
  }

  OutputStream out() throws IOException {
    return socket.getOutputStream();
  }

  void send(String head, byte[] body) throws IOException {
    out().write(head.replace("\n", "\r\n").concat("\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out().write(body);
    out().flush();
  }

  /** Reads the status line and headers only. */
  Answer head() throws IOException {
    InputStream in = socket.getInputStream();
    String status = line(in);
    var headers = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
    for (String l = line(in); !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      headers.put(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
    }
    return new Answer(Integer.parseInt(status.split(" ")[1]), headers, null);
  }

  /** Reads a whole answer with a Content-Length or chunked body. */
  Answer read() throws IOException {
    Answer head = head();
    InputStream in = socket.getInputStream();
    var body = new ByteArrayOutputStream();
    if (head.headers().containsKey("Content-Length")) {
      body.write(in.readNBytes(Integer.parseInt(head.headers().get("Content-Length"))));
    } else if ("chunked".equalsIgnoreCase(head.headers().getOrDefault("Transfer-Encoding", ""))) {
      for (int n = Integer.parseInt(line(in).strip(), 16);
          n > 0;
          n = Integer.parseInt(line(in).strip(), 16)) {
        body.write(in.readNBytes(n));
        line(in);
      }
    }
    return new Answer(head.status(), head.headers(), body.toString(StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    var sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed after '" + sb + "'");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  static byte[] chunk(byte[] data) {
    var out = new ByteArrayOutputStream();
    out.writeBytes(
        (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data);
    out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
