package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.FloatConversions;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.engine.format.TensorInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Everything a {@link TrainingJob} needs to go on as if it had never stopped: its trainable
 * parameters, AdamW's moments and step count (which is also the schedule's position), and the data
 * order's position (epoch and index in it). The job's random choices (data order, dropout, jitter)
 * are seeded by its seed and these positions, so the seed and the positions are its whole random
 * state. Frozen tensors (a ROUTER job's experts) are not stored: they come from the job's input.
 *
 * <p>On disk: {@value #TENSORS_FILE} (F32 safetensors: {@code param.<name>}, {@code
 * exp_avg.<name>}, {@code exp_avg_sq.<name>}, names as in the adapter's export layout) and {@value
 * #STATE_FILE} ({@link State}). As one stream (for an object store): a zip holding those two files,
 * with fixed time stamps, so the same state always gives the same bytes. Values are stored bit for
 * bit, so a restored job continues bit-identically on the same hardware.
 *
 * <p>Use: {@code job.checkpoint().writeTo(out)} every {@code checkpointEvery} steps; to resume,
 * build the job exactly as before (same id, spec, config and data, a fresh manager), then {@code
 * job.restore(JobCheckpoint.readFrom(in))}.
 */
public record JobCheckpoint(State state, Map<String, Tensor> tensors) {

  public static final String TENSORS_FILE = "job_state.safetensors";
  public static final String STATE_FILE = "job_state.json";
  static final int FORMAT = 1;

  /**
   * The non-tensor state.
   *
   * @param format the layout version (1)
   * @param jobId the job's id
   * @param adapter {@code LORA}, {@code DORA}, {@code MIXLORA} or {@code ROUTER} (a MixLoRA whose
   *     router alone trains)
   * @param seed the job's seed
   * @param step optimizer steps taken (the schedule's position)
   * @param epoch the data order's epoch
   * @param indexInEpoch examples of that epoch already taken
   * @param examples examples per epoch (a guard: the data must be the same on resume)
   * @param parameters the trainable parameters' names, in the optimizer's order
   */
  public record State(
      int format,
      String jobId,
      String adapter,
      long seed,
      int step,
      int epoch,
      int indexInEpoch,
      int examples,
      List<String> parameters) {
    public State {
      parameters = List.copyOf(parameters);
    }
  }

  /** A tensor's shape and F32 values. */
  public record Tensor(long[] shape, float[] values) {}

  public JobCheckpoint {
    tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  static JobCheckpoint of(TrainingJob job) {
    AdamW optimizer = job.optimizer();
    List<NDArray> params = optimizer.parameters();
    State state = stateOf(job);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      String name = state.parameters().get(i);
      tensors.put("param." + name, tensor(params.get(i)));
      tensors.put("exp_avg." + name, tensor(optimizer.firstMoments().get(i)));
      tensors.put("exp_avg_sq." + name, tensor(optimizer.secondMoments().get(i)));
    }
    return new JobCheckpoint(state, tensors);
  }

  private static State stateOf(TrainingJob job) {
    Map<NDArray, String> names = new IdentityHashMap<>();
    job.adapter().namedTensors().forEach((name, array) -> names.put(array, name));
    List<String> order = new java.util.ArrayList<>();
    for (NDArray p : job.optimizer().parameters()) {
      String name = names.get(p);
      if (name == null) {
        throw new IllegalStateException(
            "a trainable parameter of job " + job.id() + " has no name");
      }
      order.add(name);
    }
    return new State(
        FORMAT,
        job.id(),
        kind(job.adapter()),
        job.seed(),
        job.optimizer().stepsTaken(),
        job.epoch(),
        job.indexInEpoch(),
        job.examples(),
        order);
  }

  private static String kind(TrainableAdapter adapter) {
    return switch (adapter) {
      case TrainableLora lora -> lora.spec().dora() ? "DORA" : "LORA";
      case TrainableMixLora mix -> mix.routerOnly() ? "ROUTER" : "MIXLORA";
    };
  }

  private static Tensor tensor(NDArray array) {
    return new Tensor(
        array.getShape().getShape(),
        array.stopGradient().toType(DataType.FLOAT32, false).toFloatArray());
  }

  void restoreInto(TrainingJob job) {
    State expected = stateOf(job);
    List<String> problems = new java.util.ArrayList<>();
    if (state.format() != FORMAT) {
      problems.add("format " + state.format() + " (this engine reads " + FORMAT + ")");
    }
    if (!state.jobId().equals(expected.jobId())) {
      problems.add("job " + state.jobId() + " restored into job " + expected.jobId());
    }
    if (!state.adapter().equals(expected.adapter())) {
      problems.add("a " + state.adapter() + " checkpoint for a " + expected.adapter() + " job");
    }
    if (state.seed() != expected.seed()) {
      problems.add("seed " + state.seed() + " restored into a job of seed " + expected.seed());
    }
    if (state.examples() != expected.examples()) {
      problems.add(state.examples() + " examples per epoch, the job has " + expected.examples());
    }
    if (!state.parameters().equals(expected.parameters())) {
      problems.add("the trainable parameters differ from the job's");
    }
    AdamW optimizer = job.optimizer();
    List<NDArray> params = optimizer.parameters();
    if (problems.isEmpty()) {
      for (int i = 0; i < params.size(); i++) {
        String name = state.parameters().get(i);
        for (String prefix : List.of("param.", "exp_avg.", "exp_avg_sq.")) {
          Tensor t = tensors.get(prefix + name);
          if (t == null) {
            problems.add("tensor " + prefix + name + " is missing");
          } else if (!Arrays.equals(t.shape(), params.get(i).getShape().getShape())) {
            problems.add("tensor " + prefix + name + " has shape " + Arrays.toString(t.shape()));
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "checkpoint does not fit job " + job.id() + ": " + String.join("; ", problems));
    }
    for (int i = 0; i < params.size(); i++) {
      String name = state.parameters().get(i);
      overwrite(params.get(i), tensors.get("param." + name));
      overwrite(optimizer.firstMoments().get(i), tensors.get("exp_avg." + name));
      overwrite(optimizer.secondMoments().get(i), tensors.get("exp_avg_sq." + name));
    }
    optimizer.restoreSteps(state.step());
    job.restorePosition(state.epoch(), state.indexInEpoch());
  }

  // In place (the array keeps its identity, gradient flag and manager); x − x is exactly +0 for
  // finite x, and 0 + v is exactly v.
  private static void overwrite(NDArray target, Tensor source) {
    try (NDManager scratch = target.getManager().newSubManager()) {
      NDArray values =
          scratch
              .create(source.values(), new Shape(source.shape()))
              .toType(target.getDataType(), false);
      target.subi(target);
      target.addi(values);
    }
  }

  /** Writes {@value #TENSORS_FILE} and {@value #STATE_FILE} into {@code dir}. */
  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.write(dir.resolve(TENSORS_FILE), tensorBytes());
      Files.write(dir.resolve(STATE_FILE), stateBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a job checkpoint to " + dir, e);
    }
  }

  /** Reads a checkpoint written by {@link #write(Path)}. */
  public static JobCheckpoint read(Path dir) {
    try {
      return parse(
          Files.readAllBytes(dir.resolve(STATE_FILE)),
          Files.readAllBytes(dir.resolve(TENSORS_FILE)),
          dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a job checkpoint from " + dir, e);
    }
  }

  /** Writes the checkpoint as one zip stream (flushed, not closed). */
  public void writeTo(OutputStream out) {
    try {
      var zip = new ZipOutputStream(out);
      zip.putNextEntry(entry(STATE_FILE));
      zip.write(stateBytes());
      zip.closeEntry();
      zip.putNextEntry(entry(TENSORS_FILE));
      zip.write(tensorBytes());
      zip.closeEntry();
      zip.finish();
      zip.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a job checkpoint", e);
    }
  }

  // a fixed time stamp: the same state always gives the same bytes (and digest in the object store)
  private static ZipEntry entry(String name) {
    var e = new ZipEntry(name);
    e.setTimeLocal(java.time.LocalDateTime.of(1980, 1, 1, 0, 0));
    return e;
  }

  /** The checkpoint as the bytes of {@link #writeTo(OutputStream)}. */
  public byte[] toByteArray() {
    var out = new ByteArrayOutputStream();
    writeTo(out);
    return out.toByteArray();
  }

  /** Reads a checkpoint written by {@link #writeTo(OutputStream)} (reads {@code in} to its end). */
  public static JobCheckpoint readFrom(InputStream in) {
    byte[] state = null;
    byte[] tensors = null;
    try {
      var zip = new ZipInputStream(in);
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        switch (e.getName()) {
          case STATE_FILE -> state = zip.readAllBytes();
          case TENSORS_FILE -> tensors = zip.readAllBytes();
          default -> {} // entries of later formats
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a job checkpoint", e);
    }
    if (state == null || tensors == null) {
      throw new IllegalArgumentException(
          "not a job checkpoint: the stream lacks " + (state == null ? STATE_FILE : TENSORS_FILE));
    }
    return parse(state, tensors, "stream");
  }

  private byte[] stateBytes() {
    return GSON.toJson(state).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] tensorBytes() {
    var writer = new SafetensorsWriter().metadata("format", "pt");
    tensors.forEach((name, t) -> writer.addFloats(name, DType.F32, t.shape(), t.values()));
    return writer.toByteArray();
  }

  private static JobCheckpoint parse(byte[] stateJson, byte[] tensorBytes, String source) {
    State state;
    try {
      state = GSON.fromJson(new String(stateJson, StandardCharsets.UTF_8), State.class);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(source + ": " + STATE_FILE + " is not valid: " + e, e);
    }
    if (state == null || state.jobId() == null || state.parameters() == null) {
      throw new IllegalArgumentException(source + ": " + STATE_FILE + " lacks fields");
    }
    SafetensorsHeader header =
        SafetensorsHeader.read(new ByteArrayInputStream(tensorBytes), source);
    header.checkFileSize(tensorBytes.length);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (TensorInfo t : header.tensors()) {
      if (t.dtype() != DType.F32) {
        throw new IllegalArgumentException(source + ": tensor " + t.name() + " is not F32");
      }
      ByteBuffer raw =
          ByteBuffer.wrap(
                  tensorBytes,
                  Math.toIntExact(header.headerLength() + t.begin()),
                  Math.toIntExact(t.byteLength()))
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      tensors.put(
          t.name(),
          new Tensor(t.shape(), FloatConversions.decode(raw, DType.F32, (int) t.elementCount())));
    }
    return new JobCheckpoint(state, tensors);
  }
}
