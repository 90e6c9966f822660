package io.adapterplatform.serving.openai;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.SERVICE_UNAVAILABLE;
import static org.springframework.http.HttpStatus.TOO_MANY_REQUESTS;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's legacy completions and chat completions APIs (serving.yaml), for READER tokens (see
 * OpenAiAuthFilter).
 */
@RestController
@Tag(name = "openai")
@SecurityRequirement(name = ApiDocs.BEARER)
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class CompletionsController {

  private final CompletionService completions;
  private final ChatCompletionService chat;
  private final JsonMapper json;

  CompletionsController(
      CompletionService completions, ChatCompletionService chat, JsonMapper json) {
    this.completions = completions;
    this.chat = chat;
    this.json = json;
  }

  @PostMapping(
      path = "/v1/completions",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_EVENT_STREAM_VALUE})
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    TOO_MANY_REQUESTS,
    SERVICE_UNAVAILABLE
  })
  ResponseEntity<CompletionResponse> createCompletion(
      @RequestBody CompletionRequest body, HttpServletRequest request, HttpServletResponse response)
      throws InterruptedException, IOException {
    var running = completions.start(body, bearer(request));
    if (!Boolean.TRUE.equals(body.stream())) {
      return ResponseEntity.ok()
          .contentType(MediaType.APPLICATION_JSON)
          .body(completions.collect(running));
    }
    streamEvents(response, running, out -> completions.stream(running, out::accept));
    return null;
  }

  @PostMapping(
      path = "/v1/chat/completions",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_EVENT_STREAM_VALUE})
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    TOO_MANY_REQUESTS,
    SERVICE_UNAVAILABLE
  })
  ResponseEntity<ChatCompletionResponse> createChatCompletion(
      @RequestBody ChatCompletionRequest body,
      HttpServletRequest request,
      HttpServletResponse response)
      throws InterruptedException, IOException {
    var running = chat.start(body, bearer(request));
    if (!Boolean.TRUE.equals(body.stream())) {
      return ResponseEntity.ok()
          .contentType(MediaType.APPLICATION_JSON)
          .body(chat.collect(running));
    }
    streamEvents(response, running, out -> chat.stream(running, out::accept));
    return null;
  }

  private interface Streamer {
    void stream(Consumer<Object> chunks) throws InterruptedException;
  }

  // written on the request's own thread, chunk by chunk, while the batcher generates
  private void streamEvents(
      HttpServletResponse response, CompletionService.Running running, Streamer streamer)
      throws InterruptedException, IOException {
    response.setStatus(200);
    response.setContentType(MediaType.TEXT_EVENT_STREAM_VALUE);
    response.setCharacterEncoding("UTF-8");
    response.setHeader("Cache-Control", "no-cache");
    OutputStream out = response.getOutputStream();
    try (running) {
      streamer.stream(chunk -> send(out, json.writeValueAsString(chunk)));
      send(out, "[DONE]");
    } catch (UncheckedIOException clientGone) {
      // closing the run cancelled its generations: their rows go to others at the next step
    }
  }

  private static void send(OutputStream out, String data) {
    try {
      out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // the filter has checked this header; the registry gets the same token for the model's lookup
  private static String bearer(HttpServletRequest request) {
    return request.getHeader("Authorization").substring(7).strip();
  }
}
