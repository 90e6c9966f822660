package io.adapterplatform.web.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.adapterplatform.web.problem.ApiException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

class StreamingResponsesTest {

  @Test
  void aStreamPastTheCapIs503WithRetryAfterAndAFinishedOneFreesItsPlace() throws Exception {
    var executor = new StreamingResponses.BoundedVirtualThreads(2);
    var release = new CountDownLatch(1);
    var finished = new CountDownLatch(2);
    Runnable held =
        () -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            finished.countDown();
          }
        };
    var response = new MockHttpServletResponse();
    RequestContextHolder.setRequestAttributes(
        new ServletRequestAttributes(new MockHttpServletRequest(), response));
    try {
      executor.execute(held);
      executor.execute(held);

      var refused = catchThrowableOfType(ApiException.class, () -> executor.execute(() -> {}));

      assertThat(refused.status().value()).isEqualTo(503);
      assertThat(response.getHeader("Retry-After")).isEqualTo("1");
      release.countDown();
      assertThat(finished.await(30, TimeUnit.SECONDS)).isTrue();
      var ran = new CountDownLatch(1);
      awaitPermit(executor, ran);
      assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      RequestContextHolder.resetRequestAttributes();
      release.countDown();
    }
  }

  /**
   * The permit is released just after the task's last line: retry until the executor takes the
   * task.
   */
  private static void awaitPermit(
      StreamingResponses.BoundedVirtualThreads executor, CountDownLatch ran) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        executor.execute(ran::countDown);
        return;
      } catch (ApiException busy) {
        if (System.nanoTime() > deadline) {
          throw busy;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }
}
