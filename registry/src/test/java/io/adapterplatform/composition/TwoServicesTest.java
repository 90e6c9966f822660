package io.adapterplatform.composition;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.composition.second.SecondModule;
import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.web.auth.AuthFilter;
import io.adapterplatform.web.auth.TokenVerifier;
import io.adapterplatform.web.openapi.ApiDocs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Two services in one context, imported by their modules as the one-JVM launcher does: the registry
 * and a stand-in second service with its own schema, Flyway history and a bean of the same simple
 * type.
 */
@SpringBootTest(
    classes = TwoServicesTest.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + TwoServicesTest.ADMIN
    })
@PlatformBackends
@DirtiesContext // a second registry in the JVM: its schedulers stop with this class
class TwoServicesTest {

  static final String ADMIN = "test-admin-token-0123456789abcdef";

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, SecondModule.class})
  static class Launcher {}

  @Autowired ApplicationContext context;

  @Autowired JdbcClient jdbc;

  @LocalServerPort int port;

  @Test
  void theSharedWebLayerIsThereOnce() {
    assertThat(context.getBeanNamesForType(AuthFilter.class)).hasSize(1);
    assertThat(context.getBeanNamesForType(TokenVerifier.class)).hasSize(1);
    assertThat(context.getBeanNamesForType(ApiDocs.class)).hasSize(1);
    assertThat(context.getBeanNamesForType(ErrorController.class)).hasSize(1);
    // The shared advice once; a service adds advices of its own (the registry: its problems, the
    // /hf protocol's).
    assertThat(context.getBeanNamesForAnnotation(RestControllerAdvice.class))
        .filteredOn(n -> n.startsWith("io.adapterplatform.web"))
        .containsExactly("io.adapterplatform.web.problem.ProblemAdvice");
    assertThat(context.getBeanNamesForAnnotation(RestControllerAdvice.class))
        .contains("io.adapterplatform.registry.problem.RegistryProblemAdvice");
  }

  @Test
  void beansOfTheSameSimpleTypeLiveSideBySide() {
    var registryOutbox = context.getBean(io.adapterplatform.registry.events.Outbox.class);
    var secondOutbox = context.getBean(io.adapterplatform.composition.second.Outbox.class);

    long id = secondOutbox.append("hello");

    assertThat(registryOutbox).isNotNull();
    assertThat(
            jdbc.sql("select payload from second.outbox where id = ?")
                .param(id)
                .query(String.class)
                .single())
        .isEqualTo("hello");
  }

  @Test
  void eachServiceOwnsItsSchemaAndItsFlywayHistory() {
    assertThat(context.getBeansOfType(Flyway.class))
        .containsOnlyKeys("registryFlyway", "secondFlyway");
    assertThat(versions("registry")).contains("100", "101");
    assertThat(versions("second")).containsExactly("1");
    assertThat(tables("second"))
        .containsExactlyInAnyOrder("flyway_schema_history", "note", "outbox");
    assertThat(tables("registry")).contains("adapter", "outbox", "flyway_schema_history");
    assertThat(tables("public")).isEmpty();
  }

  @Test
  void theSecondServiceAnswersThroughTheSharedFilterAndProblems() throws Exception {
    jdbc.sql("insert into second.note (id, text) values (1, 'kept') on conflict do nothing")
        .update();

    var anonymous = get("/api/v1/second/notes/1", null);
    var found = get("/api/v1/second/notes/1", ADMIN);
    var missing = get("/api/v1/second/notes/2", ADMIN);

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(found.statusCode()).isEqualTo(200);
    assertThat(found.body()).contains("\"text\":\"kept\"");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body())
        .contains("\"type\":\"https://adapterplatform.io/problems/not-found\"");
  }

  private List<String> versions(String schema) {
    return jdbc.sql(
            "select version from "
                + schema
                + ".flyway_schema_history where success and version is not null"
                + " order by installed_rank")
        .query(String.class)
        .list();
  }

  private List<String> tables(String schema) {
    return jdbc.sql("select table_name from information_schema.tables where table_schema = ?")
        .param(schema)
        .query(String.class)
        .list();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
