package io.adapterplatform.training.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A page of jobs, newest first. */
public record JobPage(List<Job> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}
