package io.adapterplatform.web.auth;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.EnumSet;
import java.util.Set;

/**
 * Roles of a token. ADMIN implies every role; PUBLISHER and TRAINER each imply READER (a trainer
 * reads base models and experts; the training workers publish with a PUBLISHER token). METRICS
 * implies nothing else: it reads {@code /actuator/prometheus} and nothing more, so a scraper's
 * token opens no data.
 */
@Schema(enumAsRef = true)
public enum Role {
  READER,
  PUBLISHER,
  TRAINER,
  ADMIN,
  METRICS;

  /** The roles that holding this one grants, itself included. */
  Set<Role> grants() {
    return switch (this) {
      case READER -> EnumSet.of(READER);
      case PUBLISHER -> EnumSet.of(READER, PUBLISHER);
      case TRAINER -> EnumSet.of(READER, TRAINER);
      case ADMIN -> EnumSet.allOf(Role.class);
      case METRICS -> EnumSet.of(METRICS);
    };
  }
}
