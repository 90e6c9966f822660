package io.adapterplatform.web.limits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** {@code platform.http.*}: bounds on what one request may make the process hold. */
@ConfigurationProperties("platform.http")
record HttpLimits(DataSize maxJsonBody, Integer maxStreamingResponses) {

  HttpLimits {
    // Streamed responses (downloads) each hold a virtual thread and two 64 KiB buffers while the
    // client reads.
    maxStreamingResponses = maxStreamingResponses == null ? 1024 : maxStreamingResponses;
    if (maxStreamingResponses < 1) {
      throw new IllegalArgumentException("platform.http.max-streaming-responses must be positive");
    }
    // Every JSON body of the API is a few KiB; 1 MiB leaves room for long label lists and
    // descriptions.
    maxJsonBody = maxJsonBody == null ? DataSize.ofMegabytes(1) : maxJsonBody;
    if (maxJsonBody.toBytes() < 1) {
      throw new IllegalArgumentException("platform.http.max-json-body must be positive");
    }
  }
}
