package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import java.util.Optional;

/**
 * Which authenticated callers may reach a path at all, before any service decides on the operation:
 * {@code /actuator/prometheus} takes METRICS (or ADMIN), every other protected actuator endpoint
 * ADMIN, and the API every role but a bare METRICS one (a scraper's token must open no data,
 * whatever an operation would otherwise allow).
 */
final class PathAccess {

  static final String PROMETHEUS = "/actuator/prometheus";

  private PathAccess() {}

  static Optional<ApiException> refusal(String path, Caller caller) {
    if (path.equals(PROMETHEUS)) {
      return caller.has(Role.METRICS)
          ? Optional.empty()
          : Optional.of(ApiException.forbidden(PROMETHEUS + " needs the METRICS or ADMIN role"));
    }
    if (AuthFilter.isProtectedActuator(path)) {
      return caller.has(Role.ADMIN)
          ? Optional.empty()
          : Optional.of(
              ApiException.forbidden("actuator endpoints other than health need the ADMIN role"));
    }
    if (!caller.has(Role.READER)) {
      return Optional.of(ApiException.forbidden("a METRICS token reads " + PROMETHEUS + " only"));
    }
    return Optional.empty();
  }
}
