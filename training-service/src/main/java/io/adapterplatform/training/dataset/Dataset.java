package io.adapterplatform.training.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One version of a dataset: {@code name@version}. {@code tokens} is what its records train on,
 * counted with the tokenizer of {@code baseModel}; both are absent when the upload named no base
 * model, since a dataset alone has no tokenizer.
 */
@JsonInclude(Include.NON_NULL)
public record Dataset(
    String name,
    int version,
    String sha256,
    long size,
    long records,
    @Nullable Long tokens,
    @Nullable String baseModel,
    Instant createdAt) {}
