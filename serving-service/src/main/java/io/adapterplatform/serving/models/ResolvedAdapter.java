package io.adapterplatform.serving.models;

import io.adapterplatform.engine.format.AdapterKind;
import java.util.List;

/**
 * An adapter version a name resolved to, with what the pool needs to fetch and place it.
 *
 * @param key the adapter and its version number
 * @param baseModel the base model it adapts
 * @param kind LoRA, DoRA or MixLoRA (MixLoRA goes to the pool's MixLoRA places)
 * @param rank the LoRA rank (of each expert for MixLoRA)
 * @param files every file of the version with its sha256, as the registry lists them
 */
public record ResolvedAdapter(
    AdapterKey key, String baseModel, AdapterKind kind, int rank, List<StoredFile> files)
    implements ResolvedModel {

  public ResolvedAdapter {
    files = List.copyOf(files);
  }

  /** Bytes of every file: what the version costs on the local disk tier. */
  public long fileBytes() {
    return files.stream().mapToLong(StoredFile::size).sum();
  }
}
