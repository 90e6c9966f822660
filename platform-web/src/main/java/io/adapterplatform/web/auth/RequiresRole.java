package io.adapterplatform.web.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The role a controller method needs, checked before its arguments are resolved: a caller without
 * it gets 403 before any byte of the request body is read or parsed. Services keep their own
 * checks.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface RequiresRole {
  Role value();
}
