package io.adapterplatform.training.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One version of a dataset: {@code name@version}. {@code tokens} is absent until a tokenizer has
 * counted them (the worker's business).
 */
@JsonInclude(Include.NON_NULL)
public record Dataset(
    String name,
    int version,
    String sha256,
    long size,
    long records,
    @Nullable Long tokens,
    Instant createdAt) {}
