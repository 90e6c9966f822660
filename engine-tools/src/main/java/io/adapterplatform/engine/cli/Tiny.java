package io.adapterplatform.engine.cli;

import com.google.gson.Gson;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code engine tiny --out DIR [--seed N]}: writes a random tiny model and one adapter of every
 * kind, so that the platform can be tried (and its tour followed) without downloading anything. The
 * files are in the real formats: a Hugging Face model directory with a byte-level BPE tokenizer,
 * PEFT LoRA and DoRA adapters, two FFN-only LoRA experts that a MixLoRA configuration can be
 * composed from, and a MixLoRA adapter in the reference layout.
 */
final class Tiny {

  private Tiny() {}

  static String write(CliArgs a) {
    Path out = Path.of(a.value("--out"));
    long seed = a.has("--seed") ? a.requireInt("--seed") : 1L;
    ModelDims dims = TinyModels.tokenizerDims();
    Path model = out.resolve("model");
    TinyModels.writeModel(model, dims, seed, DType.F32, 1);
    TinyModels.writeTokenizer(model);

    Set<Projection> attention = EnumSet.of(Projection.Q, Projection.V);
    Set<Projection> ffn = EnumSet.of(Projection.GATE, Projection.UP, Projection.DOWN);
    Path lora = out.resolve("lora");
    Path dora = out.resolve("dora");
    Path expertA = out.resolve("expert-a");
    Path expertB = out.resolve("expert-b");
    Path mixlora = out.resolve("mixlora");
    TinyModels.writeAdapter(
        lora, TinyModels.randomLora(dims, 4, 8, false, attention, seed + 1), 8, false, DType.F32);
    TinyModels.writeAdapter(
        dora, TinyModels.randomDora(dims, 4, 8, attention, seed + 2), 8, false, DType.F32);
    TinyModels.writeAdapter(
        expertA, TinyModels.randomLora(dims, 4, 8, false, ffn, seed + 3), 8, false, DType.F32);
    TinyModels.writeAdapter(
        expertB, TinyModels.randomLora(dims, 4, 8, false, ffn, seed + 4), 8, false, DType.F32);
    TinyModels.writeAdapter(
        mixlora,
        TinyModels.randomMixLora(dims, 4, 8, 4, 2, attention, null, seed + 5),
        8,
        false,
        DType.F32);
    return "{\"model\": "
        + quoted(model)
        + ", \"lora\": "
        + quoted(lora)
        + ", \"dora\": "
        + quoted(dora)
        + ", \"expert_a\": "
        + quoted(expertA)
        + ", \"expert_b\": "
        + quoted(expertB)
        + ", \"mixlora\": "
        + quoted(mixlora)
        + "}";
  }

  private static String quoted(Path p) {
    return new Gson().toJson(p.toAbsolutePath().toString());
  }
}
