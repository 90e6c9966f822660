package io.adapterplatform.local.docs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DocBlocksTest {

  private static final String DOC =
      """
      Intro.

      ```bash
      bin/platform engine tiny --out demo
      ```

      <!-- docs-test: skip (needs an external PostgreSQL) -->
      ```bash
      export SPRING_DATASOURCE_URL=jdbc:postgresql://db.example:5432/platform
      ```

      ```java
      var notShell = 1;
      ```

      ```bash
      PLATFORM_ADMIN_TOKEN=abc bin/platform up   # in another terminal
      curl -s localhost:8080/actuator/health
      ```
      """;

  @Test
  void findsShellBlocksWithTheirLinesAndSkipReasons() {
    var blocks = DocBlocks.parse(DOC);

    assertThat(blocks).hasSize(3);
    assertThat(blocks.get(0).line()).isEqualTo(3);
    assertThat(blocks.get(0).skipReason()).isNull();
    assertThat(blocks.get(1).skipReason()).isEqualTo("needs an external PostgreSQL");
    assertThat(blocks.get(2).text()).startsWith("PLATFORM_ADMIN_TOKEN=abc bin/platform up");
  }

  @Test
  void scriptStartsThePlatformInTheBackgroundAndPointsThePortAtIt() {
    var script = DocBlocks.script(DocBlocks.parse(DOC), 41234);

    assertThat(script)
        .contains("bin/platform engine tiny --out demo\n")
        .contains("\n__docs_up PLATFORM_ADMIN_TOKEN=abc\n")
        .contains("curl -s localhost:41234/actuator/health")
        .doesNotContain("db.example")
        .doesNotContain("var notShell");
  }

  @Test
  void aSkipMarkerMustSitRightAboveItsBlock() {
    var blocks =
        DocBlocks.parse(
            """
        <!-- docs-test: skip (too far away) -->

        Some prose in between.

        ```bash
        echo runs
        ```
        """);

    assertThat(blocks).singleElement().extracting(DocBlocks.Block::skipReason).isNull();
  }
}
