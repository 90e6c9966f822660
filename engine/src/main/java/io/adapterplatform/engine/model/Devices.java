package io.adapterplatform.engine.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * The device a process computes on: {@code cpu}, {@code gpu} or {@code gpu:N}, from a CLI flag or
 * the system property {@value #PROPERTY} (default {@code cpu}). A GPU is only usable with a CUDA
 * flavour of the PyTorch natives (see docs/engine.md); asking for one without it fails here with a
 * clear message.
 */
public final class Devices {

  /** System property naming the device of the process. */
  public static final String PROPERTY = "adapterplatform.device";

  private Devices() {}

  /** The device named by {@value #PROPERTY}, or the CPU. */
  public static Device fromSystemProperty() {
    return parse(System.getProperty(PROPERTY, "cpu"));
  }

  /**
   * Parses {@code cpu}, {@code gpu} or {@code gpu:N}.
   *
   * @throws IllegalArgumentException for any other name, or a GPU the engine does not see
   */
  public static Device parse(String name) {
    String n = name.trim().toLowerCase(java.util.Locale.ROOT);
    if (n.equals("cpu")) {
      return Device.cpu();
    }
    int index;
    if (n.equals("gpu")) {
      index = 0;
    } else if (n.matches("gpu:\\d{1,3}")) {
      index = Integer.parseInt(n.substring(4));
    } else {
      throw new IllegalArgumentException("unknown device '" + name + "': use cpu, gpu or gpu:N");
    }
    int gpus = Engine.getInstance().getGpuCount();
    if (index >= gpus) {
      throw new IllegalArgumentException(
          "device "
              + name
              + " requested but the PyTorch engine sees "
              + gpus
              + " GPU(s); GPU deployments need the CUDA natives (see docs/engine.md)");
    }
    return Device.gpu(index);
  }
}
