package io.adapterplatform.training.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A page of dataset versions, by name then version. */
public record DatasetPage(
    List<Dataset> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}
