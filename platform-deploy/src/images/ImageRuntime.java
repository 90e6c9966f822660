import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The filesystem the platform's images run on, assembled without pulling a base image (no registry but
 * Maven Central is reachable where the project builds): a JRE linked by jlink from the JDK that runs the
 * build into opt/java, the shared libraries it and the DJL natives need (resolved with ldd from this
 * machine), a passwd entry for the non-root user 10001, and an empty tmp/. Jib adds it as an extra
 * directory on top of "scratch".
 *
 * <p>Usage: java ImageRuntime.java OUTPUT_DIR MODULES [EXTRA_LIBRARY...]
 */
public class ImageRuntime {

  private static final List<String> LIBRARY_DIRS =
      List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64");

  public static void main(String[] args) throws Exception {
    var out = Path.of(args[0]);
    var modules = args[1];
    var extraLibraries = List.of(args).subList(2, args.length);
    deleteRecursively(out);
    Files.createDirectories(out.resolve("opt"));

    var java = out.resolve("opt/java");
    var jlink = ToolProvider.findFirst("jlink").orElseThrow(() -> new IllegalStateException("no jlink"));
    var status =
        jlink.run(
            System.out,
            System.err,
            "--add-modules", modules,
            "--strip-debug", "--no-man-pages", "--no-header-files",
            "--output", java.toString());
    if (status != 0) {
      throw new IllegalStateException("jlink failed: " + status);
    }

    var binaries = new ArrayList<Path>();
    binaries.add(java.resolve("bin/java"));
    try (Stream<Path> files = Files.walk(java.resolve("lib"))) {
      files.filter(f -> f.getFileName().toString().endsWith(".so")).forEach(binaries::add);
    }
    for (var name : extraLibraries) {
      var found = findLibrary(name);
      if (found == null) {
        System.out.println("image runtime: " + name + " not on this machine, left out");
      } else {
        binaries.add(found);
      }
    }
    var libraries = new LinkedHashSet<Path>();
    for (var binary : binaries) {
      if (!binary.startsWith(out)) {
        libraries.add(binary);
      }
      libraries.addAll(dependencies(binary));
    }
    for (var library : libraries) {
      // Symlinks resolved: the image holds the file under the name the loader asks for.
      var target = out.resolve(library.toString().substring(1));
      Files.createDirectories(target.getParent());
      Files.copy(library.toRealPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    Files.createDirectories(out.resolve("etc"));
    Files.createDirectories(out.resolve("tmp"));
    Files.writeString(
        out.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nplatform:x:10001:10001:platform:/tmp:/sbin/nologin\n");
    Files.writeString(out.resolve("etc/group"), "root:x:0:\nplatform:x:10001:\n");
    Files.writeString(out.resolve("etc/nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
    System.out.println(
        "image runtime: " + modules + " and " + libraries.size() + " shared libraries in " + out);
  }

  private static Path findLibrary(String name) {
    return LIBRARY_DIRS.stream()
        .map(dir -> Path.of(dir, name))
        .filter(Files::exists)
        .findFirst()
        .orElse(null);
  }

  /** The shared libraries ldd resolves for a binary, the dynamic loader included. */
  private static Set<Path> dependencies(Path binary) throws IOException, InterruptedException {
    var process = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes());
    process.waitFor();
    var found = new LinkedHashSet<Path>();
    for (var line : output.lines().toList()) {
      var text = line.strip();
      if (text.contains("not found")) {
        // The JRE's own libraries (libjvm.so) are found through the launcher's run path at run time.
        var name = text.substring(0, text.indexOf(' '));
        if (!providedByRuntime(binary, name)) {
          throw new IllegalStateException(binary + ": " + text);
        }
        continue;
      }
      var arrow = text.indexOf("=> ");
      var path = arrow >= 0 ? text.substring(arrow + 3) : text;
      var end = path.indexOf(" (");
      path = end >= 0 ? path.substring(0, end) : path;
      if (path.startsWith("/") && !path.contains(binary.getParent().toString())) {
        found.add(Path.of(path));
      }
    }
    return found;
  }

  private static boolean providedByRuntime(Path binary, String name) throws IOException {
    var lib = binary.getParent();
    while (lib != null && !lib.getFileName().toString().equals("lib")) {
      lib = lib.getParent();
    }
    if (lib == null) {
      return false;
    }
    try (Stream<Path> files = Files.walk(lib)) {
      return files.anyMatch(f -> f.getFileName().toString().equals(name));
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(ImageRuntime::delete);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path path) {
    try {
      Files.delete(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
