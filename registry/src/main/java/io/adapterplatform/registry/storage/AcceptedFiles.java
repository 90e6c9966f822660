package io.adapterplatform.registry.storage;

import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The file names an upload may carry: what an adapter version or a base model can hold. Anything
 * else is refused by name before a byte of it is read, pickles (which run code when loaded) with
 * their own reason.
 */
public enum AcceptedFiles {

  /**
   * A PEFT adapter directory (LoRA, DoRA, MixLoRA in our safetensors layout) and its model card.
   */
  ADAPTER_VERSION(
      "an adapter version",
      Set.of("adapter_config.json", "adapter_model.safetensors", "README.md"),
      false),

  /**
   * A Hugging Face model directory: config, safetensors weights (sharded or not), tokenizer and
   * generation files.
   */
  BASE_MODEL(
      "a base model",
      Set.of(
          "config.json",
          "generation_config.json",
          "model.safetensors.index.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "tokenizer.model",
          "vocab.json",
          "merges.txt",
          "vocab.txt",
          "chat_template.jinja",
          "chat_template.json",
          "README.md"),
      true);

  private static final List<String> PICKLES =
      List.of(".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt");

  private final String holder;
  private final Set<String> names;
  private final boolean anySafetensors;

  AcceptedFiles(String holder, Set<String> names, boolean anySafetensors) {
    this.holder = holder;
    this.names = names;
    this.anySafetensors = anySafetensors;
  }

  public boolean accepts(String name) {
    return names.contains(name) || anySafetensors && name.endsWith(".safetensors");
  }

  /** 400 naming the file unless it is accepted. */
  void require(String name) {
    if (accepts(name)) {
      return;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    String why =
        PICKLES.stream().anyMatch(lower::endsWith)
            ? "pickled weights are not accepted (loading them can run code); upload safetensors"
            : "is not a file " + holder + " may hold; accepted: " + described();
    throw ApiException.badRequest(
        "file-not-accepted", "'" + name + "': " + why, new ApiException.FieldError(name, why));
  }

  private String described() {
    var all = new TreeSet<>(names);
    if (anySafetensors) {
      all.add("*.safetensors");
    }
    return String.join(", ", all);
  }
}
