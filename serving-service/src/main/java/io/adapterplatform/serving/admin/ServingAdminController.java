package io.adapterplatform.serving.admin;

import static org.springframework.http.HttpStatus.BAD_GATEWAY;
import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.SERVICE_UNAVAILABLE;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;

import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The adapter pool's admin API (serving.yaml): ADMIN only. */
@RestController
@Tag(name = "serving-admin")
@SecurityRequirement(name = ApiDocs.BEARER)
class ServingAdminController {

  /**
   * A model name as requests send it: {@code adapter}, {@code adapter@version}, {@code
   * adapter@alias}.
   */
  static final String REF_PATTERN = "^[a-z0-9][a-z0-9._-]{0,127}(@[a-z0-9][a-z0-9._-]{0,127})?$";

  private final PoolAdmin admin;

  ServingAdminController(PoolAdmin admin) {
    this.admin = admin;
  }

  @GetMapping(path = "/api/v1/serving/adapters", produces = "application/json")
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN})
  @RequiresRole(Role.ADMIN)
  ServingAdapterView.Page listServingAdapters() {
    return admin.list();
  }

  @PostMapping(path = "/api/v1/serving/adapters/{ref}:load", produces = "application/json")
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    UNPROCESSABLE_CONTENT,
    BAD_GATEWAY,
    SERVICE_UNAVAILABLE
  })
  @RequiresRole(Role.ADMIN)
  ServingAdapterView loadServingAdapter(
      @Parameter(schema = @Schema(pattern = REF_PATTERN)) @PathVariable String ref,
      HttpServletRequest request) {
    return admin.load(ref, bearer(request));
  }

  @PostMapping("/api/v1/serving/adapters/{ref}:unload")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT})
  @RequiresRole(Role.ADMIN)
  void unloadServingAdapter(
      @Parameter(schema = @Schema(pattern = REF_PATTERN)) @PathVariable String ref,
      HttpServletRequest request) {
    admin.unload(ref, bearer(request));
  }

  @PostMapping(path = "/api/v1/serving/adapters/{ref}:pin", produces = "application/json")
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    UNPROCESSABLE_CONTENT,
    BAD_GATEWAY,
    SERVICE_UNAVAILABLE
  })
  @RequiresRole(Role.ADMIN)
  ServingAdapterView pinServingAdapter(
      @Parameter(schema = @Schema(pattern = REF_PATTERN)) @PathVariable String ref,
      HttpServletRequest request) {
    return admin.pin(ref, bearer(request));
  }

  @PostMapping(path = "/api/v1/serving/adapters/{ref}:unpin", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND})
  @RequiresRole(Role.ADMIN)
  ServingAdapterView unpinServingAdapter(
      @Parameter(schema = @Schema(pattern = REF_PATTERN)) @PathVariable String ref,
      HttpServletRequest request) {
    return admin.unpin(ref, bearer(request));
  }

  // the shared AuthFilter has checked this header; the registry gets the same token, so that its
  // scopes apply to what an admin asks for
  private static String bearer(HttpServletRequest request) {
    return request.getHeader("Authorization").substring(7).strip();
  }
}
