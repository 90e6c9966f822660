package io.adapterplatform.serving.openai;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * What springdoc cannot see in the OpenAI records and controllers (serving.yaml): the shapes a
 * {@code JsonNode} field accepts ({@code prompt}, {@code stop}, a message's {@code content}),
 * fields that are written as null ({@code logprobs}, {@code finish_reason}, null
 * log-probabilities), the server-sent events of a stream, and the problem responses of {@code /v1},
 * which carry OpenAI's {@code error} object ({@link OpenAiProblem}, written by the advice and the
 * auth filter).
 */
@Component
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class OpenAiApiDocs implements OpenApiCustomizer {

  private static final String PROBLEM_JSON =
      org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE;

  /** The shared problem responses of platform-web and their OpenAI-shaped twins. */
  private static final Map<String, String> OPENAI_RESPONSES =
      Map.of(
          "BadRequest", "OpenAiBadRequest",
          "Unauthorized", "OpenAiUnauthorized",
          "Forbidden", "OpenAiForbidden",
          "NotFound", "OpenAiNotFound",
          "TooManyRequests", "OpenAiTooManyRequests",
          "ServiceUnavailable", "OpenAiServiceUnavailable");

  @Override
  public void customise(OpenAPI openApi) {
    Components components = openApi.getComponents();
    if (components == null || components.getSchemas() == null) {
      return;
    }
    Map<String, Schema> schemas = components.getSchemas();
    schemas.computeIfPresent(
        "CompletionRequest",
        (name, s) -> {
          replace(
              s,
              "prompt",
              oneOf(
                  type("string"),
                  array(type("integer")),
                  array(type("string")),
                  array(array(type("integer")))));
          replace(s, "stop", oneOf(type("string"), array(type("string")).maxItems(4)));
          property(s, "top_p").ifPresent(p -> p.exclusiveMinimumValue(BigDecimal.ZERO));
          return s;
        });
    schemas.computeIfPresent(
        "ChatCompletionRequest",
        (name, s) -> replace(s, "stop", oneOf(type("string"), array(type("string")))));
    schemas.computeIfPresent(
        "ChatRequestMessage",
        (name, s) -> replace(s, "content", oneOf(type("string"), type("array"), type("null"))));
    schemas.computeIfPresent(
        "CompletionChoice", (name, s) -> nullableChoice(s, "CompletionLogprobs"));
    schemas.computeIfPresent(
        "ChatCompletionChoice", (name, s) -> nullableChoice(s, "ChatLogprobs"));
    schemas.computeIfPresent(
        "CompletionLogprobs",
        (name, s) -> {
          // the first token of an echoed prompt has no log-probability and no top tokens
          property(s, "token_logprobs").ifPresent(p -> p.getItems().addType("null"));
          property(s, "top_logprobs").ifPresent(p -> p.getItems().addType("null"));
          return s;
        });
    schemas.remove("JsonNode");
    schemas.put("OpenAiProblem", openAiProblem());
    responses(components);
    openApi
        .getPaths()
        .forEach(
            (path, item) -> {
              if (path.startsWith("/v1/")) {
                item.readOperations().forEach(OpenAiApiDocs::openAiResponses);
              }
            });
  }

  private static Schema nullableChoice(Schema choice, String logprobs) {
    replace(choice, "logprobs", oneOf(type("null"), ref(logprobs)));
    property(choice, "finish_reason")
        .ifPresent(
            p -> {
              List<Object> reasons = new ArrayList<>(List.of("stop", "length"));
              reasons.add(null); // null on the chunks of a stream before a choice's last
              p.setEnum(reasons);
            });
    return choice;
  }

  // a stream's body is text (server-sent events); the problems of /v1 carry OpenAI's error object
  private static void openAiResponses(Operation operation) {
    if (operation.getResponses() == null) {
      return;
    }
    operation
        .getResponses()
        .forEach(
            (status, response) -> {
              if (response.get$ref() != null) {
                String shared =
                    response.get$ref().substring(response.get$ref().lastIndexOf('/') + 1);
                String twin = OPENAI_RESPONSES.get(shared);
                if (twin != null) {
                  response.set$ref("#/components/responses/" + twin);
                }
              } else if (response.getContent() != null
                  && response.getContent().containsKey("text/event-stream")) {
                // a new media type: springdoc shares one object with application/json
                response
                    .getContent()
                    .addMediaType("text/event-stream", new MediaType().schema(type("string")));
              }
            });
  }

  private static void responses(Components components) {
    openAiResponse(
        components, "OpenAiBadRequest", "A bad parameter, or a token id outside the vocabulary");
    openAiResponse(components, "OpenAiUnauthorized", "No token, or an unknown or revoked one");
    openAiResponse(components, "OpenAiForbidden", "The token lacks the READER role");
    openAiResponse(components, "OpenAiNotFound", "No such model for this token");
    openAiResponse(
            components,
            "OpenAiTooManyRequests",
            "The scheduler's queue is full, or too many failed authentications; retry after"
                + " `Retry-After` seconds")
        .addHeaderObject("Retry-After", new Header().schema(type("integer")));
    openAiResponse(
            components,
            "OpenAiServiceUnavailable",
            "The server is draining for shutdown (`shutting-down`), the pinned base model is still"
                + " loading (`base-model-loading`), or every resident base model has requests in"
                + " flight (`base-models-busy`); retry after `Retry-After` seconds")
        .addHeaderObject("Retry-After", new Header().schema(type("integer")));
  }

  private static ApiResponse openAiResponse(
      Components components, String name, String description) {
    ApiResponse response =
        new ApiResponse()
            .description(description)
            .content(
                new Content()
                    .addMediaType(PROBLEM_JSON, new MediaType().schema(ref("OpenAiProblem"))));
    components.addResponses(name, response);
    return response;
  }

  private static Schema<?> openAiProblem() {
    Schema<Object> error =
        type("object")
            .addProperty("message", type("string"))
            .addProperty("type", type("string"))
            .addProperty("code", type("string"))
            .addProperty("param", nullable("string"));
    error.setRequired(List.of("message", "type", "code"));
    Schema<Object> withError = type("object").addProperty("error", error);
    withError.setRequired(List.of("error"));
    Schema<Object> problem = new Schema<>();
    problem.description("RFC 9457 problem with OpenAI's `error` object added.");
    problem.addAllOfItem(ref("Problem"));
    problem.addAllOfItem(withError);
    return problem;
  }

  private static java.util.Optional<Schema> property(Schema<?> schema, String name) {
    return schema.getProperties() == null
        ? java.util.Optional.empty()
        : java.util.Optional.ofNullable(schema.getProperties().get(name));
  }

  private static Schema replace(Schema schema, String name, Schema<?> with) {
    if (schema.getProperties() != null && schema.getProperties().containsKey(name)) {
      schema.getProperties().put(name, with);
    }
    return schema;
  }

  private static Schema<Object> type(String type) {
    Schema<Object> s = new Schema<>();
    s.type(type);
    s.addType(type);
    return s;
  }

  private static Schema<Object> nullable(String type) {
    Schema<Object> s = type(type);
    s.addType("null");
    return s;
  }

  private static Schema<Object> array(Schema<?> items) {
    return type("array").items(items);
  }

  private static Schema<Object> oneOf(Schema<?>... members) {
    Schema<Object> s = new Schema<>();
    for (Schema<?> m : members) {
      s.addOneOfItem(m);
    }
    return s;
  }

  private static Schema<Object> ref(String schema) {
    return new Schema<>().$ref("#/components/schemas/" + schema);
  }
}
