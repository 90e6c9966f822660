package io.adapterplatform.web.limits;

import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Caps JSON request bodies at {@code platform.http.max-json-body} (413 problem). It runs before
 * authentication, so a declared {@code Content-Length} over the cap is refused before any token
 * lookup, database work or byte of the body is read; a chunked body is counted as it is read and
 * fails with 413 at the first byte past the cap, so no parser ever holds more than the cap.
 */
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
@EnableConfigurationProperties(HttpLimits.class)
public class JsonBodyLimitFilter extends OncePerRequestFilter {

  private final long maxBytes;
  private final JsonMapper json = JsonMapper.builder().build();

  JsonBodyLimitFilter(HttpLimits limits) {
    this.maxBytes = limits.maxJsonBody().toBytes();
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String type = request.getContentType();
    if (type == null) {
      return true;
    }
    String t = type.toLowerCase(Locale.ROOT);
    int semi = t.indexOf(';');
    String mime = (semi < 0 ? t : t.substring(0, semi)).strip();
    return !(mime.equals("application/json") || mime.endsWith("+json"));
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getContentLengthLong() > maxBytes) {
      // The unread body is not worth draining: close the connection after the answer.
      response.setHeader(HttpHeaders.CONNECTION, "close");
      var problem = tooLarge();
      response.setStatus(problem.status().value());
      response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
      json.writeValue(response.getOutputStream(), Problems.body(problem, request.getRequestURI()));
      return;
    }
    chain.doFilter(new Limited(request, maxBytes), response);
  }

  private ApiException tooLarge() {
    return ApiException.tooLarge(
        "JSON request bodies are limited to " + maxBytes + " bytes",
        List.of(new ApiException.FieldError("body", "larger than " + maxBytes + " bytes")));
  }

  /** The request whose body stream fails with 413 once more than the cap has been read. */
  private final class Limited extends HttpServletRequestWrapper {

    private final long limit;
    private ServletInputStream stream;

    Limited(HttpServletRequest request, long limit) {
      super(request);
      this.limit = limit;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new CountingStream(super.getInputStream(), limit);
      }
      return stream;
    }

    @Override
    public BufferedReader getReader() throws IOException {
      String encoding = getCharacterEncoding();
      Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
      return new BufferedReader(new InputStreamReader(getInputStream(), charset));
    }
  }

  private final class CountingStream extends ServletInputStream {

    private final ServletInputStream in;
    private final long limit;
    private long count;

    CountingStream(ServletInputStream in, long limit) {
      this.in = in;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      // Never read more than one byte past the cap, so the overflow is seen without buffering
      // beyond it.
      int n = in.read(buf, off, (int) Math.min(len, Math.max(1, limit + 1 - count)));
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    private void counted(int n) {
      count += n;
      if (count > limit) {
        // An unchecked problem passes through the JSON parser and the message converter untouched.
        throw tooLarge();
      }
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
