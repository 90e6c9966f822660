package io.adapterplatform.engine.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A sharded checkpoint's {@code model.safetensors.index.json}: which shard file holds which tensor
 * ({@code weight_map}) and the optional {@code metadata.total_size}. Shard names must be plain file
 * names ending in {@code .safetensors} in the same directory: no path separators, so an index can
 * never point outside its model directory.
 *
 * @param weightMap tensor name → shard file name, sorted by tensor name
 */
public record ModelWeightsIndex(Map<String, String> weightMap, OptionalLong totalSize) {

  /** The conventional name of the index file. */
  public static final String FILE_NAME = "model.safetensors.index.json";

  /** Largest index accepted: about 64 bytes per tensor, so room for a million tensors. */
  public static final int MAX_BYTES = 64 << 20;

  public ModelWeightsIndex {
    weightMap = Collections.unmodifiableMap(new TreeMap<>(weightMap));
  }

  /** Parses and validates an index. */
  public static ModelWeightsIndex parse(byte[] json, String fileName) {
    JsonObject o = Json.parseObject(json, fileName, MAX_BYTES);
    Problems p = new Problems(fileName);
    OptionalLong total = OptionalLong.empty();
    JsonElement meta = o.get("metadata");
    if (meta != null && !meta.isJsonNull()) {
      if (!meta.isJsonObject()) {
        p.malformed("'metadata' must be an object");
      } else if (meta.getAsJsonObject().has("total_size")) {
        Optional<Long> t = Json.integer(meta.getAsJsonObject().get("total_size"));
        if (t.isEmpty() || t.get() < 0) {
          p.malformed("'metadata.total_size' must be a non-negative integer");
        } else {
          total = OptionalLong.of(t.get());
        }
      }
    }
    Map<String, String> map = new TreeMap<>();
    JsonElement wm = o.get("weight_map");
    if (wm == null || !wm.isJsonObject()) {
      p.malformed("'weight_map' must be an object of tensor name → file name");
    } else {
      for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
        Optional<String> file = Json.string(e.getValue());
        if (file.isEmpty()) {
          p.malformed("weight_map entry '" + e.getKey() + "' is not a file name");
        } else if (!isPlainShardName(file.get())) {
          p.malformed(
              "weight_map entry '"
                  + e.getKey()
                  + "' names '"
                  + file.get()
                  + "', which is not a plain *.safetensors file name in the model directory");
        } else {
          map.put(e.getKey(), file.get());
        }
      }
      if (wm.getAsJsonObject().isEmpty()) {
        p.malformed("'weight_map' is empty");
      }
    }
    p.throwIfAny();
    return new ModelWeightsIndex(map, total);
  }

  static boolean isPlainShardName(String name) {
    return name.endsWith(".safetensors")
        && !name.startsWith(".")
        && name.indexOf('/') < 0
        && name.indexOf('\\') < 0
        && name.indexOf(':') < 0
        && name.chars().noneMatch(c -> c < 0x20);
  }

  /**
   * Checks the index against the headers of its shards (keyed by file name, as named in the index):
   * every shard present, every shard's tensors listed for that shard, every listed tensor in its
   * shard. A service that receives the shards as streams calls this with the headers it read.
   *
   * @throws FormatException INCONSISTENT naming {@link #FILE_NAME} and every disagreement
   */
  public void validate(Map<String, SafetensorsHeader> shards) {
    Problems p = new Problems(FILE_NAME);
    for (String f : files()) {
      if (!shards.containsKey(f)) {
        p.inconsistent("weight_map names " + f + ", which is missing");
      }
    }
    for (Map.Entry<String, SafetensorsHeader> f : new TreeMap<>(shards).entrySet()) {
      if (!files().contains(f.getKey())) {
        p.inconsistent(f.getKey() + " is not named in weight_map");
        continue;
      }
      for (String name : f.getValue().names()) {
        String listed = weightMap.get(name);
        if (listed == null) {
          p.inconsistent("tensor '" + name + "' of " + f.getKey() + " is not in weight_map");
        } else if (!listed.equals(f.getKey())) {
          p.inconsistent(
              "tensor '" + name + "' is in " + f.getKey() + " but weight_map says " + listed);
        }
      }
    }
    for (Map.Entry<String, String> e : weightMap.entrySet()) {
      SafetensorsHeader h = shards.get(e.getValue());
      if (h != null && !h.contains(e.getKey())) {
        p.inconsistent(
            "weight_map puts tensor '"
                + e.getKey()
                + "' in "
                + e.getValue()
                + ", which does not hold it");
      }
    }
    p.throwIfAny();
  }

  /** The shard holding a tensor. */
  public Optional<String> fileFor(String tensor) {
    return Optional.ofNullable(weightMap.get(tensor));
  }

  /** Distinct shard file names, sorted. */
  public List<String> files() {
    return List.copyOf(new TreeSet<>(weightMap.values()));
  }
}
