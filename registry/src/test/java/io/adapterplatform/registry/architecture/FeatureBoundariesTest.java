package io.adapterplatform.registry.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.data.repository.Repository;

/**
 * Features of the registry own their tables: SQL written in one feature's package names only that
 * feature's tables, and no feature reaches another feature's JPA repositories or entities. Whatever
 * one feature needs from another goes through its small public service (e.g. {@code
 * BaseModelCatalog}) or a contribution it publishes (e.g. the blob references a feature declares
 * for the collector).
 */
class FeatureBoundariesTest {

  private static final String ROOT = "io.adapterplatform.registry";
  private static final Path SOURCES = Path.of("src/main/java/io/adapterplatform/registry");

  /** Every table of the registry's schema and the feature (top-level package) that owns it. */
  static final Map<String, String> OWNERS =
      Map.ofEntries(
          Map.entry("api_token", "auth"),
          Map.entry("blob", "storage"),
          Map.entry("base_model", "basemodel"),
          Map.entry("base_model_file", "basemodel"),
          Map.entry("adapter", "adapter"),
          Map.entry("adapter_label", "adapter"),
          Map.entry("adapter_version", "adapter"),
          Map.entry("version_file", "adapter"),
          Map.entry("mixlora_source", "adapter"),
          Map.entry("alias", "adapter"),
          Map.entry("alias_move", "adapter"),
          Map.entry("outbox", "events"),
          Map.entry("event_inbox", "events"),
          Map.entry("version_tag", "adapter"),
          Map.entry("idempotency_key", "idempotency"),
          Map.entry("audit_log", "audit"));

  // A table name after the SQL words that read or write one; text blocks and string literals alike.
  private static final Pattern TABLE_USE =
      Pattern.compile(
          "\\b(?:from|join|into|update|exists \\(select 1 from)\\s+([a-z_][a-z0-9_]*)\\b");

  @Test
  void sqlOfEachFeatureNamesOnlyItsOwnTables() throws IOException {
    var violations = new ArrayList<String>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String feature = featureOf(file);
        String source = Files.readString(file);
        var matcher = TABLE_USE.matcher(source);
        while (matcher.find()) {
          String owner = OWNERS.get(matcher.group(1));
          if (owner != null && !owner.equals(feature)) {
            violations.add(
                SOURCES.relativize(file)
                    + " uses "
                    + matcher.group(1)
                    + " (owned by "
                    + owner
                    + ")");
          }
        }
      }
    }

    assertThat(violations).as("SQL that reads or writes another feature's tables").isEmpty();
  }

  @Test
  void everyTableOfTheMigrationsHasAnOwner() throws IOException {
    var created = new ArrayList<String>();
    var create =
        Pattern.compile("(?i)create table (?:if not exists )?(?:[a-z_]+\\.)?([a-z_][a-z0-9_]*)");
    try (Stream<Path> files = Files.walk(Path.of("src/main/resources"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
        var matcher = create.matcher(Files.readString(file));
        while (matcher.find()) {
          created.add(matcher.group(1));
        }
      }
    }

    assertThat(created).isNotEmpty();
    assertThat(OWNERS.keySet()).as("tables with an owning feature").containsAll(created);
  }

  @Test
  void noFeatureReachesAnotherFeaturesRepositoriesOrEntities() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    for (String feature : List.copyOf(new java.util.TreeSet<>(OWNERS.values()))) {
      noClasses()
          .that()
          .resideOutsideOfPackage(ROOT + "." + feature + "..")
          .should()
          .dependOnClassesThat(persistenceTypesOf(feature))
          .because("the tables of " + feature + " are reached through its public service only")
          .allowEmptyShould(true)
          .check(classes);
    }
  }

  private static DescribedPredicate<JavaClass> persistenceTypesOf(String feature) {
    return DescribedPredicate.describe(
        "repositories or entities of " + feature,
        c ->
            c.getPackageName().startsWith(ROOT + "." + feature)
                && (c.isAssignableTo(Repository.class)
                    || c.isAnnotatedWith("jakarta.persistence.Entity")));
  }

  private static String featureOf(Path file) {
    var relative = SOURCES.relativize(file);
    return relative.getNameCount() > 1 ? relative.getName(0).toString() : "";
  }
}
