package io.adapterplatform.web.openapi;

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
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * What springdoc cannot see in the controllers: the shared problem+json responses (written by the problem
 * advice and the auth filter, never returned by a controller method), the file responses of downloads, and
 * the bearer scheme. Everything else in {@code /v3/api-docs} comes from the controllers and the records;
 * the contract test holds the whole document to platform-api's registry.yaml.
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

  private static final Map<HttpStatus, String> PROBLEMS = Map.ofEntries(
      Map.entry(HttpStatus.BAD_REQUEST, "BadRequest"),
      Map.entry(HttpStatus.UNAUTHORIZED, "Unauthorized"),
      Map.entry(HttpStatus.FORBIDDEN, "Forbidden"),
      Map.entry(HttpStatus.NOT_FOUND, "NotFound"),
      Map.entry(HttpStatus.CONFLICT, "Conflict"),
      Map.entry(HttpStatus.GONE, "Gone"),
      Map.entry(HttpStatus.CONTENT_TOO_LARGE, "TooLarge"),
      Map.entry(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType"),
      Map.entry(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "RangeNotSatisfiable"),
      Map.entry(HttpStatus.UNPROCESSABLE_CONTENT, "Unprocessable"));

  static {
    // Downloads return a StreamingResponseBody: on the wire, bytes. Without this springdoc documents the
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
      var declared = AnnotatedElementUtils.findMergedAnnotation(handler.getMethod(), ProblemResponses.class);
      if (declared != null) {
        if (operation.getResponses() == null) {
          operation.setResponses(new ApiResponses());
        }
        for (HttpStatus status : declared.value()) {
          String name = PROBLEMS.get(status);
          if (name == null) {
            throw new IllegalStateException("no shared problem response for " + status + " on " + handler);
          }
          operation.getResponses().addApiResponse(String.valueOf(status.value()),
              new ApiResponse().$ref("#/components/responses/" + name));
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
      ModelConverters.getInstance(true).readAll(new AnnotatedType(Problem.class)).forEach(components::addSchemas);
      PROBLEMS.forEach((status, name) -> components.addResponses(name, new ApiResponse()
          .description(status.getReasonPhrase())
          .content(new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
              new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))))));
      components.addResponses(FILE_BYTES, new ApiResponse()
          .description("The bytes; `ETag` is the quoted sha256.")
          .addHeaderObject("ETag", new Header().schema(string(null)))
          .content(bytes()));
      components.addResponses(PARTIAL_BYTES, new ApiResponse()
          .description("One byte range.")
          .addHeaderObject("Content-Range", new Header().schema(string(null)))
          .addHeaderObject("ETag", new Header().schema(string(null)))
          .content(bytes()));
    };
  }

  private static Content bytes() {
    return new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_OCTET_STREAM_VALUE,
        new MediaType().schema(string("binary")));
  }

  private static Schema<?> string(String format) {
    Schema<?> s = new Schema<>().type("string").format(format);
    s.addType("string");
    return s;
  }
}
