package io.adapterplatform.registry.basemodel;

import io.adapterplatform.registry.storage.BlobReferences;
import org.springframework.stereotype.Component;

/** A base model keeps every file it was uploaded with (base models are never deleted). */
@Component
class BaseModelBlobReferences implements BlobReferences {

  @Override
  public String referencedCondition(String sha256) {
    return "exists (select 1 from base_model_file m where m.sha256 = %s)".formatted(sha256);
  }
}
