package io.adapterplatform.training.job;

import io.adapterplatform.training.TrainingProperties;
import io.adapterplatform.web.auth.Caller;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Writes a job's stored events as server-sent events. Events live in {@code training.job_event},
 * written in the transaction of the change, so the stream reads them from there: whichever replica
 * serves a client, it sees every event, in order, and a reconnecting client resumes exactly after
 * its {@code Last-Event-ID}.
 */
@Component
class JobEventStream {

  /** How often an open stream looks for new events of a job still running. */
  private static final Duration POLL = Duration.ofMillis(500);

  private final JobService jobs;
  private final Duration timeout;

  JobEventStream(JobService jobs, TrainingProperties properties) {
    this.jobs = jobs;
    this.timeout = properties.eventsStreamTimeout();
  }

  StreamingResponseBody stream(Caller caller, UUID id, long afterId) {
    return out -> {
      long last = afterId;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        // Read the state before the events: an end state read here has its event in what follows.
        boolean ended = jobs.get(caller, id).state().isTerminal();
        for (var event : jobs.eventsAfter(id, last)) {
          write(out, event);
          last = event.id();
        }
        out.flush();
        if (ended || System.nanoTime() > deadline) {
          return;
        }
        try {
          Thread.sleep(POLL);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    };
  }

  private static void write(OutputStream out, Jobs.StoredEvent event) throws IOException {
    out.write(
        ("id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + event.data() + "\n\n")
            .getBytes(StandardCharsets.UTF_8));
  }
}
