package io.adapterplatform.registry.auth;

import io.adapterplatform.web.auth.AuthFilter;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.Optional;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * Scopes limit a token to adapter-name prefixes; outside them an adapter does not exist. The check
 * sits where a name becomes an adapter row ({@code Versions.adapter}, {@code
 * AdapterService.require}) rather than in each operation, so that every read and write that names
 * an adapter, present or future, answers 404 exactly as for an absent one. It reads the caller of
 * the current request thread; work outside a request (relay, collectors) is not limited. Lists
 * filter in SQL with {@link #sqlPrefixes}, so that pages stay full and cursors stay correct.
 */
public final class AdapterScopes {

  private AdapterScopes() {}

  /** The caller of the request this thread serves, if any. */
  public static Optional<Caller> current() {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    if (attributes == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        (Caller) attributes.getAttribute(AuthFilter.CALLER, RequestAttributes.SCOPE_REQUEST));
  }

  /** Whether the current request's caller, if any, may see the adapter {@code name}. */
  public static boolean visible(String name) {
    return current().map(c -> c.sees(name)).orElse(true);
  }

  /**
   * 404, worded as for an absent adapter, when the current caller's scopes do not reach {@code
   * name}.
   */
  public static void requireVisible(String name) {
    if (!visible(name)) {
      throw ApiException.notFound("adapter '" + name + "'");
    }
  }

  /** 403 when a caller creates an adapter whose name lies outside its scopes. */
  public static void requireCreatable(Caller caller, String name) {
    if (!caller.sees(name)) {
      throw ApiException.forbidden(
          "adapter name '" + name + "' is outside the token's scopes " + caller.scopes());
    }
  }

  /**
   * The caller's scopes joined for {@code string_to_array(?, ',')} in SQL (names never hold a
   * comma), or empty when it is unrestricted.
   */
  public static Optional<String> sqlPrefixes(Caller caller) {
    return caller.scopes().isEmpty()
        ? Optional.empty()
        : Optional.of(String.join(",", caller.scopes()));
  }

  /**
   * Whether {@code requested} scopes are no wider than {@code granted} (empty means everything).
   */
  static boolean narrower(List<String> requested, List<String> granted) {
    if (granted.isEmpty()) {
      return true;
    }
    return !requested.isEmpty()
        && requested.stream().allMatch(r -> granted.stream().anyMatch(r::startsWith));
  }
}
