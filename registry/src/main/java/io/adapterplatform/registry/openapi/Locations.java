package io.adapterplatform.registry.openapi;

import java.net.URI;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * The {@code Location} of a resource a 201 created, absolute, on the host and context path the
 * caller used.
 */
public final class Locations {

  private Locations() {}

  public static URI of(String template, Object... variables) {
    return ServletUriComponentsBuilder.fromCurrentContextPath()
        .path(template)
        .buildAndExpand(variables)
        .toUri();
  }

  /** A version's own address, for both forms of publishVersion (upload and compose). */
  public static URI version(String adapter, int version) {
    return of("/api/v1/adapters/{name}/versions/{version}", adapter, version);
  }
}
