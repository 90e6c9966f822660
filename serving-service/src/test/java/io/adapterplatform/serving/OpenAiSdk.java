package io.adapterplatform.serving;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.time.Duration;

/** OpenAI's official Java SDK pointed at a serving instance on this host, as users call it. */
public final class OpenAiSdk {

  private OpenAiSdk() {}

  /**
   * A client of {@code http://localhost:port/v1} that sends {@code token}. It never retries: the
   * tests assert the first answer (a 429 or 503 retried would hide what they check). A hung request
   * fails after two minutes rather than the SDK's default ten.
   */
  public static OpenAIClient client(int port, String token) {
    return OpenAIOkHttpClient.builder()
        .baseUrl("http://localhost:" + port + "/v1")
        .apiKey(token)
        .maxRetries(0)
        .timeout(Duration.ofMinutes(2))
        .build();
  }
}
