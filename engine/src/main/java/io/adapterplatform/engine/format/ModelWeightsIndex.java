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
 * ({@code weight_map}) and the optional {@code metadata.total_size}. Shard names must be plain file names
 * ending in {@code .safetensors} in the same directory: no path separators, so an index can never point
 * outside its model directory.
 *
 * @param weightMap tensor name → shard file name, sorted by tensor name
 */
public record ModelWeightsIndex(Map<String, String> weightMap, OptionalLong totalSize) {

    /** The conventional name of the index file. */
    public static final String FILE_NAME = "model.safetensors.index.json";

    public ModelWeightsIndex {
        weightMap = Collections.unmodifiableMap(new TreeMap<>(weightMap));
    }

    /** Parses and validates an index. */
    public static ModelWeightsIndex parse(byte[] json, String fileName) {
        JsonObject o = Json.parseObject(json, fileName);
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
                    p.malformed("weight_map entry '" + e.getKey() + "' names '" + file.get()
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
        return name.endsWith(".safetensors") && !name.startsWith(".") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf(':') < 0 && name.chars().noneMatch(c -> c < 0x20);
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
