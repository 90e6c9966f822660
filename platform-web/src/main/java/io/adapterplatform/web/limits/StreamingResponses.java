package io.adapterplatform.web.limits;

import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Runs streamed responses (downloads' {@code StreamingResponseBody}) each on its own virtual thread
 * instead of Spring's default pool of 8 platform threads with an unbounded queue, where eight
 * clients that read slowly stalled every other download. A client that stops reading parks only its
 * own virtual thread. The number of responses streaming at once is capped ({@code
 * platform.http.max-streaming-responses}); past it a request is answered 503 with {@code
 * Retry-After} rather than queued. Ordered last so that its executor replaces the one Spring Boot's
 * MVC configuration sets.
 */
@Configuration(proxyBeanMethods = false)
@Order(Ordered.LOWEST_PRECEDENCE)
@EnableConfigurationProperties(HttpLimits.class)
public class StreamingResponses implements WebMvcConfigurer {

  private final int max;

  StreamingResponses(HttpLimits limits) {
    this.max = limits.maxStreamingResponses();
  }

  @Override
  public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
    configurer.setTaskExecutor(new BoundedVirtualThreads(max));
  }

  static final class BoundedVirtualThreads implements AsyncTaskExecutor {

    private final Semaphore permits;
    private final int max;
    private final ThreadFactory threads = Thread.ofVirtual().name("registry-stream-", 0).factory();

    BoundedVirtualThreads(int max) {
      this.max = max;
      this.permits = new Semaphore(max);
    }

    @Override
    public void execute(Runnable task) {
      if (!permits.tryAcquire()) {
        throw busy();
      }
      try {
        threads
            .newThread(
                () -> {
                  try {
                    task.run();
                  } finally {
                    permits.release();
                  }
                })
            .start();
      } catch (RuntimeException | Error e) {
        permits.release();
        throw e;
      }
    }

    private ApiException busy() {
      // Called on the request's thread (MVC starts async processing there): the header goes with
      // the 503.
      if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
          && attributes.getResponse() != null) {
        attributes.getResponse().setHeader(HttpHeaders.RETRY_AFTER, "1");
      }
      return new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "busy",
          "Service unavailable",
          max + " responses are streaming already; retry shortly",
          List.of());
    }
  }
}
