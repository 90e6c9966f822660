package io.adapterplatform.web.openapi;

import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.Problem;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * What springdoc cannot see in the controllers: the shared problem+json responses (written by the
 * problem advice and the auth filter, never returned by a controller method), the file responses of
 * downloads, and the bearer scheme. Everything else in {@code /v3/api-docs} comes from the
 * controllers and the records; the contract test holds the whole document to platform-api's
 * registry.yaml.
 */
@Configuration(proxyBeanMethods = false)
@SecurityScheme(name = ApiDocs.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer")
public class ApiDocs {

  /** The security scheme every registry operation requires. */
  public static final String BEARER = "bearer";

  /** The shared response of a successful download of a whole file. */
  public static final String FILE_BYTES = "FileBytes";

  /** The shared response of a download of one byte range. */
  public static final String PARTIAL_BYTES = "PartialBytes";

  private static final Map<HttpStatus, String> PROBLEMS =
      Map.ofEntries(
          Map.entry(HttpStatus.BAD_REQUEST, "BadRequest"),
          Map.entry(HttpStatus.UNAUTHORIZED, "Unauthorized"),
          Map.entry(HttpStatus.FORBIDDEN, "Forbidden"),
          Map.entry(HttpStatus.NOT_FOUND, "NotFound"),
          Map.entry(HttpStatus.CONFLICT, "Conflict"),
          Map.entry(HttpStatus.GONE, "Gone"),
          Map.entry(HttpStatus.CONTENT_TOO_LARGE, "TooLarge"),
          Map.entry(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType"),
          Map.entry(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "RangeNotSatisfiable"),
          Map.entry(HttpStatus.UNPROCESSABLE_CONTENT, "Unprocessable"),
          Map.entry(HttpStatus.TOO_MANY_REQUESTS, "TooManyRequests"),
          Map.entry(HttpStatus.BAD_GATEWAY, "BadGateway"),
          Map.entry(HttpStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable"));

  private static final Set<String> NAMED_PARAMETERS = Set.of("name", "alias", "ref");

  static {
    // Downloads return a StreamingResponseBody: on the wire, bytes. Without this springdoc
    // documents the
    // Java callback type as an empty schema of that name.
    SpringDocUtils.getConfig().replaceWithSchema(StreamingResponseBody.class, string("binary"));
  }

  @Bean
  RecordRequiredness recordRequiredness() {
    return new RecordRequiredness();
  }

  @Bean
  OperationCustomizer problemResponses() {
    return (operation, handler) -> {
      var declared =
          AnnotatedElementUtils.findMergedAnnotation(handler.getMethod(), ProblemResponses.class);
      if (declared != null) {
        if (operation.getResponses() == null) {
          operation.setResponses(new ApiResponses());
        }
        for (HttpStatus status : declared.value()) {
          String name = PROBLEMS.get(status);
          if (name == null) {
            throw new IllegalStateException(
                "no shared problem response for " + status + " on " + handler);
          }
          operation
              .getResponses()
              .addApiResponse(
                  String.valueOf(status.value()),
                  new ApiResponse().$ref("#/components/responses/" + name));
        }
      }
      return operation;
    };
  }

  /**
   * The rules the services enforce on shared parameters, as schema keywords: every adapter,
   * base-model and alias name and every version reference ({@code ref}: a number or an alias)
   * follows {@link Names#PATTERN} unless the operation declares its own pattern (serving's {@code
   * ref} is {@code adapter@version}); page sizes lie in 1..{@link Cursors#MAX_LIMIT}.
   */
  @Bean
  OperationCustomizer parameterRules() {
    return (operation, handler) -> {
      if (operation.getParameters() != null) {
        for (Parameter p : operation.getParameters()) {
          if (p.getSchema() == null) {
            continue;
          }
          // springdoc shares one schema object among parameters of a type: change a copy, never the
          // shared one.
          if ("path".equals(p.getIn())
              && NAMED_PARAMETERS.contains(p.getName())
              && p.getSchema().getPattern() == null) {
            p.setSchema(copy(p.getSchema()).pattern(Names.PATTERN));
          } else if ("query".equals(p.getIn()) && "limit".equals(p.getName())) {
            p.setSchema(
                copy(p.getSchema())
                    .minimum(BigDecimal.ONE)
                    .maximum(BigDecimal.valueOf(Cursors.MAX_LIMIT)));
          }
        }
      }
      return operation;
    };
  }

  @Bean
  OpenApiCustomizer sharedResponses() {
    return openApi -> {
      if (openApi.getComponents() == null) {
        openApi.setComponents(new Components());
      }
      Components components = openApi.getComponents();
      ModelConverters.getInstance(true)
          .readAll(new AnnotatedType(Problem.class))
          .forEach(components::addSchemas);
      PROBLEMS.forEach(
          (status, name) ->
              components.addResponses(
                  name,
                  new ApiResponse()
                      .description(status.getReasonPhrase())
                      .content(
                          new Content()
                              .addMediaType(
                                  org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                                  new MediaType()
                                      .schema(
                                          new Schema<>().$ref("#/components/schemas/Problem"))))));
      components.addResponses(
          FILE_BYTES,
          new ApiResponse()
              .description("The bytes; `ETag` is the quoted sha256.")
              .addHeaderObject("ETag", new Header().schema(string(null)))
              .content(bytes()));
      components.addResponses(
          PARTIAL_BYTES,
          new ApiResponse()
              .description("One byte range.")
              .addHeaderObject("Content-Range", new Header().schema(string(null)))
              .addHeaderObject("ETag", new Header().schema(string(null)))
              .content(bytes()));
    };
  }

  /** A scalar parameter schema (type, types, format) as a new object. */
  private static Schema<?> copy(Schema<?> schema) {
    Schema<Object> copy = new Schema<>();
    copy.specVersion(schema.getSpecVersion());
    copy.setType(schema.getType());
    copy.setFormat(schema.getFormat());
    if (schema.getTypes() != null) {
      schema.getTypes().forEach(copy::addType);
    }
    return copy;
  }

  private static Content bytes() {
    return new Content()
        .addMediaType(
            org.springframework.http.MediaType.APPLICATION_OCTET_STREAM_VALUE,
            new MediaType().schema(string("binary")));
  }

  private static Schema<?> string(String format) {
    Schema<?> s = new Schema<>().type("string").format(format);
    s.addType("string");
    return s;
  }
}
