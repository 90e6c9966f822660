package io.adapterplatform.web.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The RFC 9457 body of every error, whoever writes it (the advice, the auth filter, the container's
 * error valve); {@code errors} is always present, empty when no single field is at fault.
 */
@JsonInclude(Include.NON_NULL)
public record Problem(
    @Schema(format = "uri") String type,
    String title,
    int status,
    @Nullable String detail,
    @Schema(format = "uri-reference") @Nullable String instance,
    List<ApiException.FieldError> errors) {}
