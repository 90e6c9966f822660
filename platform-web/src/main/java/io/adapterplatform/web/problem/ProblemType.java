package io.adapterplatform.web.problem;

import java.net.URI;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * One entry of the problem catalogue: a stable {@code type} URI ({@code
 * https://adapterplatform.io/problems/<slug>}), its status and title. {@link CommonProblem} holds
 * the types every service answers; each service adds its own catalogue as an enum implementing this
 * interface (the registry's {@code RegistryProblem}), so that the slugs a service may answer are
 * listed in one place per service.
 */
public interface ProblemType {

  String slug();

  HttpStatus status();

  String title();

  default URI type() {
    return URI.create(Problems.TYPE_PREFIX + slug());
  }

  default ApiException exception(String detail, ApiException.FieldError... errors) {
    return new ApiException(this, detail, List.of(errors));
  }
}
