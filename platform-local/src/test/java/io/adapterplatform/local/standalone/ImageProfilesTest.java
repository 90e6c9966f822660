package io.adapterplatform.local.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.registry.RegistryApplication;
import io.adapterplatform.serving.ServingApplication;
import io.adapterplatform.training.TrainingApplication;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Element;

/**
 * The root POM's image profiles switch on by a main class's source file and start the class they
 * name: each must be the service's real application class, so that every image runs its service.
 */
class ImageProfilesTest {

  private static final Path ROOT = Path.of("..");

  private static final Map<String, Class<?>> APPLICATIONS =
      Map.of(
          "registry", RegistryApplication.class,
          "training-service", TrainingApplication.class,
          "serving-service", ServingApplication.class);

  @ParameterizedTest
  @ValueSource(strings = {"registry", "training-service", "serving-service"})
  void theImageProfileOfEachServiceStartsItsApplicationClass(String module) throws Exception {
    Element profile = profile("image-" + module);
    Class<?> application = APPLICATIONS.get(module);

    String activation = text(profile, "exists").replace("${basedir}", module);
    String mainClass = text(profile, "image.mainClass");

    assertThat(text(profile, "image.name")).isEqualTo(module);
    assertThat(mainClass).isEqualTo(application.getName());
    assertThat(ROOT.resolve(activation))
        .exists()
        .isEqualTo(
            ROOT.resolve(module)
                .resolve("src/main/java")
                .resolve(application.getName().replace('.', '/') + ".java"));
    var main = application.getMethod("main", String[].class);
    assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
  }

  private static Element profile(String id) throws Exception {
    var pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(Files.newInputStream(ROOT.resolve("pom.xml")));
    var profiles = pom.getElementsByTagName("profile");
    for (int i = 0; i < profiles.getLength(); i++) {
      var profile = (Element) profiles.item(i);
      if (text(profile, "id").equals(id)) {
        return profile;
      }
    }
    throw new AssertionError("the root pom.xml has no profile " + id);
  }

  private static String text(Element parent, String tag) {
    var nodes = parent.getElementsByTagName(tag);
    assertThat(nodes.getLength()).as("<%s>", tag).isGreaterThan(0);
    return nodes.item(0).getTextContent().strip();
  }
}
