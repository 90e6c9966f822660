package io.adapterplatform.registry.adapter;

import java.io.InputStream;

/**
 * Produces the bytes of a file that is generated on download rather than stored (the
 * reference-layout weights of a composed MixLoRA version); implemented by the mixlora feature.
 */
public interface GeneratedContent {

  InputStream open(long versionId, String file);
}
