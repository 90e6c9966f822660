package io.adapterplatform.web.openapi;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.http.HttpStatus;

/**
 * The problem+json answers an operation can give besides its success. The served document refers to
 * the shared response of each status ({@code #/components/responses/NotFound}, ...), as the
 * contract does, so that the contract test compares them status by status.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ProblemResponses {

  HttpStatus[] value();
}
