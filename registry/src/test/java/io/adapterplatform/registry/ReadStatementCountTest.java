package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The metadata reads the registry bench loops over cost a fixed number of round trips to
 * PostgreSQL, whatever the page size: no query per item of a page, no transaction around a read.
 * The real DataSource (embedded PostgreSQL) sits behind a counting wrapper; a filter ties what each
 * request's thread runs to that request.
 */
@Import(ReadStatementCountTest.Counting.class)
class ReadStatementCountTest extends RegistryTestBase {

  private static final String REQUEST_ID = "X-Test-Request-Id";
  private static final Map<String, List<String>> ROUND_TRIPS = new ConcurrentHashMap<>();
  private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();

  @TestConfiguration
  static class Counting {

    @Bean
    static BeanPostProcessor countingDataSource() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessAfterInitialization(Object bean, String name) {
          return bean instanceof DataSource ds && !(bean instanceof CountingDataSource)
              ? new CountingDataSource(ds)
              : bean;
        }
      };
    }

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> roundTripsPerRequest() {
      var registration =
          new FilterRegistrationBean<OncePerRequestFilter>(
              new OncePerRequestFilter() {
                @Override
                protected void doFilterInternal(
                    HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                  String id = request.getHeader(REQUEST_ID);
                  if (id == null) {
                    chain.doFilter(request, response);
                    return;
                  }
                  // Registered before the chain runs: every statement is counted before the client
                  // sees the response.
                  var trips = ROUND_TRIPS.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
                  CURRENT.set(trips);
                  try {
                    chain.doFilter(request, response);
                  } finally {
                    CURRENT.remove();
                  }
                }
              });
      registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
      return registration;
    }
  }

  /**
   * Records each statement executed and each commit or rollback on the thread of a counted request.
   */
  static final class CountingDataSource extends DelegatingDataSource {

    CountingDataSource(DataSource target) {
      super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
      return counting(super.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return counting(super.getConnection(username, password));
    }

    private static Connection counting(Connection connection) {
      return (Connection)
          proxy(
              Connection.class,
              connection,
              (method, args, result) -> {
                switch (method.getName()) {
                  case "commit", "rollback" -> record(method.getName());
                  default -> {}
                }
                if (result instanceof Statement statement) {
                  String sql =
                      args != null && args.length > 0 && args[0] instanceof String s ? s : null;
                  return proxy(
                      method.getReturnType(),
                      statement,
                      (m, a, r) -> {
                        if (m.getName().startsWith("execute")) {
                          record(a != null && a.length > 0 && a[0] instanceof String s ? s : sql);
                        }
                        return r;
                      });
                }
                return result;
              });
    }

    private static void record(String what) {
      var trips = CURRENT.get();
      if (trips != null) {
        trips.add(what.replaceAll("\\s+", " ").trim());
      }
    }
  }

  private interface AfterCall {
    Object apply(Method method, Object[] args, Object result) throws Throwable;
  }

  private static Object proxy(Class<?> type, Object target, AfterCall after) {
    InvocationHandler handler =
        (p, method, args) -> {
          Object result;
          try {
            result = method.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          return after.apply(method, args, result);
        };
    return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private final HttpClient http = HttpClient.newHttpClient();

  /**
   * The SQL (and commits) one GET costs; the first call of each path warms the token cache and is
   * not counted.
   */
  private List<String> roundTrips(String path) throws Exception {
    get(path, null);
    String id = UUID.randomUUID().toString();
    var response = get(path, id);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return ROUND_TRIPS.getOrDefault(id, List.of());
  }

  private HttpResponse<String> get(String path, String id) throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN);
    if (id != null) {
      request.header(REQUEST_ID, id);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metadataReadsCostAFixedNumberOfStatementsWhateverThePageSize() throws Exception {
    ensureBaseModel();
    String name = "counted-" + unique();
    adapters()
        .createAdapter(
            new CreateAdapterRequest()
                .name(name)
                .baseModel(BASE)
                .labels(Map.of("team", "nlp", "stage", "dev")));
    for (int i = 0; i < 11; i++) {
      versions()
          .publishVersion(
              name,
              loraFiles(4, List.of("q_proj"), false, 100 + i),
              "{\"description\": \"v%d\", \"tags\": {\"team\": \"search\", \"run\": \"%d\"}}"
                  .formatted(i, i));
    }
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));
    aliases().moveAlias(name, "canary", new MoveAliasRequest().version(1));

    var adapter = roundTrips("/api/v1/adapters/" + name);
    var version = roundTrips("/api/v1/adapters/" + name + "/versions/1");
    var byAlias = roundTrips("/api/v1/adapters/" + name + "/versions/production");
    var pageOfOne = roundTrips("/api/v1/adapters/" + name + "/versions?limit=1");
    var pageOfTen = roundTrips("/api/v1/adapters/" + name + "/versions?limit=10");

    // Before: 3 statements and a commit, 7 and a commit, 2 + 5 per item and a commit (a page of 10:
    // 53); then 1, 2 and 2 until the adapter's row was remembered (Versions.adapter).
    assertThat(adapter).as("GET adapter").hasSizeLessThanOrEqualTo(1);
    assertThat(version).as("GET version by number").hasSizeLessThanOrEqualTo(1);
    assertThat(byAlias).as("GET version by alias").hasSizeLessThanOrEqualTo(1);
    assertThat(pageOfTen)
        .as("GET a page of 10 versions")
        .hasSizeLessThanOrEqualTo(1)
        .hasSameSizeAs(pageOfOne);
  }
}
