package io.adapterplatform.training.job;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;

import io.adapterplatform.web.auth.BearerTokens;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

@RestController
@Tag(name = "jobs")
@SecurityRequirement(name = ApiDocs.BEARER)
class JobController {

  private final JobSubmissions submissions;
  private final JobService jobs;
  private final JobEventStream events;

  JobController(JobSubmissions submissions, JobService jobs, JobEventStream events) {
    this.submissions = submissions;
    this.jobs = jobs;
    this.events = events;
  }

  @PostMapping(path = "/api/v1/jobs", consumes = "application/json", produces = "application/json")
  @ApiResponse(
      responseCode = "202",
      description = "Queued",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    CONFLICT,
    CONTENT_TOO_LARGE,
    UNPROCESSABLE_CONTENT
  })
  @RequiresRole(Role.TRAINER)
  ResponseEntity<Job> submitJob(
      Caller caller,
      @RequestBody JobRequest request,
      @Parameter(hidden = true) @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey,
      HttpServletRequest http) {
    return submissions.submit(caller, BearerTokens.of(http), idempotencyKey, request);
  }

  @GetMapping(path = "/api/v1/jobs", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED})
  @RequiresRole(Role.READER)
  JobPage listJobs(
      Caller caller,
      @RequestParam(required = false) JobState state,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    return jobs.list(caller, state, limit, cursor);
  }

  @GetMapping(path = "/api/v1/jobs/{id}", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  @RequiresRole(Role.READER)
  Job getJob(Caller caller, @PathVariable UUID id) {
    return jobs.get(caller, id);
  }

  @PostMapping(path = "/api/v1/jobs/{id}:cancel", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT})
  @RequiresRole(Role.TRAINER)
  Job cancelJob(Caller caller, @PathVariable UUID id) {
    return jobs.cancel(caller, id);
  }

  @GetMapping(path = "/api/v1/jobs/{id}/metrics", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  @RequiresRole(Role.READER)
  JobCurves.LossCurve getJobMetrics(Caller caller, @PathVariable UUID id) {
    return jobs.metrics(caller, id);
  }

  @GetMapping(path = "/api/v1/jobs/{id}/checkpoints", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  @RequiresRole(Role.READER)
  JobCurves.CheckpointList listJobCheckpoints(Caller caller, @PathVariable UUID id) {
    return jobs.checkpoints(caller, id);
  }

  /**
   * The job's events as server-sent events: those after {@code Last-Event-ID}, then new ones as
   * they happen, until the job has ended or the stream's time is up (reconnect with the last id).
   */
  @GetMapping(path = "/api/v1/jobs/{id}/events", produces = "text/event-stream")
  @ApiResponse(
      responseCode = "200",
      description = "The job's events; each `id:` is what `Last-Event-ID` resumes after",
      content = @Content(mediaType = "text/event-stream", schema = @Schema(types = "string")))
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  @RequiresRole(Role.READER)
  ResponseEntity<StreamingResponseBody> streamJobEvents(
      Caller caller,
      @PathVariable UUID id,
      @RequestHeader(name = "Last-Event-ID", required = false) Long lastEventId) {
    jobs.get(caller, id);
    return ResponseEntity.ok()
        .contentType(MediaType.TEXT_EVENT_STREAM)
        .header(HttpHeaders.CACHE_CONTROL, "no-cache")
        .header("X-Accel-Buffering", "no")
        .body(events.stream(caller, id, lastEventId == null ? 0 : lastEventId));
  }
}
