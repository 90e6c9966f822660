package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.storage.BlobReferences;
import org.springframework.stereotype.Component;

/**
 * Live versions keep their uploaded files; a live composition also keeps its sources' files (it
 * reads them).
 */
@Component
class VersionBlobReferences implements BlobReferences {

  @Override
  public String referencedCondition(String sha256) {
    return """
        exists (select 1 from version_file f join adapter_version v on v.id = f.version_id
                where f.sha256 = %1$s and not f.generated and v.deleted_at is null)
        or exists (select 1 from mixlora_source s join adapter_version u on u.id = s.version_id
                   join version_file f on f.version_id = s.source_version_id
                   where u.deleted_at is null and f.sha256 = %1$s)"""
        .formatted(sha256);
  }
}
