package io.adapterplatform.events;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names a payload record's event: the envelope's {@code type} and {@code schemaVersion}. Raise
 * {@link #schemaVersion()} when a change is not backwards compatible for consumers (a field
 * removed, renamed or retyped); adding an optional field keeps it.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface EventType {

  /** The envelope's {@code type}, e.g. {@code VERSION_PUBLISHED}. */
  String name();

  /** The envelope's {@code schemaVersion} of this payload's shape. */
  int schemaVersion() default 1;
}
