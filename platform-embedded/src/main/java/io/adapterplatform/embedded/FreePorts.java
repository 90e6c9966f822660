package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Picks ports for servers that need theirs named up front (PostgreSQL, Kafka). */
final class FreePorts {

  private FreePorts() {}

  /** {@code requested} itself, or a port the OS just handed out when it is 0. */
  static int resolve(int requested) {
    if (requested != 0) {
      return requested;
    }
    try (var socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on the loopback interface", e);
    }
  }
}
