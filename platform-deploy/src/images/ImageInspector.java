import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads an image tarball written by Jib (Docker or OCI layout) and prints what a cluster will run: the
 * user, the entrypoint, the environment, the ports and the layers. Exits 1 when the image would run as
 * root, has no entrypoint, or its entrypoint or class path file is not in its layers.
 *
 * <p>Usage: java ImageInspector.java IMAGE.tar
 */
@SuppressWarnings("unchecked")
public class ImageInspector {

  public static void main(String[] args) throws IOException {
    var tarball = Path.of(args[0]);
    Map<String, byte[]> files;
    try (var in = Files.newInputStream(tarball)) {
      files = untar(in);
    }
    var layers = new ArrayList<String>();
    Map<String, Object> config;
    if (files.containsKey("manifest.json")) {
      var manifest = (Map<String, Object>) ((List<Object>) Json.parse(text(files, "manifest.json"))).getFirst();
      config = (Map<String, Object>) Json.parse(text(files, (String) manifest.get("Config")));
      ((List<Object>) manifest.get("Layers")).forEach(l -> layers.add((String) l));
    } else {
      var index = (Map<String, Object>) Json.parse(text(files, "index.json"));
      var manifestRef = (Map<String, Object>) ((List<Object>) index.get("manifests")).getFirst();
      var manifest = (Map<String, Object>) Json.parse(text(files, blob(manifestRef)));
      config = (Map<String, Object>) Json.parse(text(files, blob((Map<String, Object>) manifest.get("config"))));
      ((List<Object>) manifest.get("layers")).forEach(l -> layers.add(blob((Map<String, Object>) l)));
    }
    var container = (Map<String, Object>) config.get("config");
    var user = (String) container.getOrDefault("User", "");
    var entrypoint = (List<Object>) container.getOrDefault("Entrypoint", List.of());

    var paths = new LinkedHashMap<String, Integer>();
    for (var layer : layers) {
      try (var in = new GZIPInputStream(new java.io.ByteArrayInputStream(files.get(layer)))) {
        paths.putAll(modes(in));
      }
    }

    System.out.println("image:       " + tarball.getFileName());
    System.out.println("user:        " + user);
    System.out.println("entrypoint:  " + entrypoint);
    System.out.println("environment: " + container.get("Env"));
    System.out.println("ports:       " + container.get("ExposedPorts"));
    System.out.println("created:     " + config.get("created"));
    System.out.println("layers:      " + layers.size() + ", files: " + paths.size());

    var problems = new ArrayList<String>();
    var uid = user.split(":")[0];
    if (uid.isEmpty() || uid.equals("0") || uid.equals("root")) {
      problems.add("runs as root (User \"" + user + "\")");
    }
    if (entrypoint.isEmpty()) {
      problems.add("has no entrypoint");
    } else {
      var program = ((String) entrypoint.getFirst()).substring(1);
      var mode = paths.get(program);
      if (mode == null || (mode & 0111) == 0) {
        problems.add("entrypoint " + entrypoint.getFirst() + " is not an executable file of the image");
      }
      if (entrypoint.contains("@/app/jib-classpath-file") && !paths.containsKey("app/jib-classpath-file")) {
        problems.add("no /app/jib-classpath-file");
      }
    }
    if (!problems.isEmpty()) {
      System.out.println("REFUSED: the image " + String.join("; ", problems));
      System.exit(1);
    }
  }

  private static String blob(Map<String, Object> descriptor) {
    return "blobs/" + ((String) descriptor.get("digest")).replace(':', '/');
  }

  private static String text(Map<String, byte[]> files, String name) {
    var bytes = files.get(name);
    if (bytes == null) {
      throw new IllegalStateException("not in the tarball: " + name);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Every regular file of a tar stream, by name. */
  private static Map<String, byte[]> untar(InputStream in) throws IOException {
    var files = new LinkedHashMap<String, byte[]>();
    readTar(in, (name, mode, content) -> files.put(name, content));
    return files;
  }

  /** The paths of a layer with their permission bits. */
  private static Map<String, Integer> modes(InputStream in) throws IOException {
    var modes = new LinkedHashMap<String, Integer>();
    readTar(in, (name, mode, content) -> modes.put(name.replaceFirst("^\\./", "").replaceFirst("/$", ""), mode));
    return modes;
  }

  interface Entry {
    void accept(String name, int mode, byte[] content);
  }

  private static void readTar(InputStream in, Entry entry) throws IOException {
    var header = new byte[512];
    String longName = null;
    while (in.readNBytes(header, 0, 512) == 512) {
      if (header[0] == 0) {
        break;
      }
      var name = field(header, 0, 100);
      var prefix = field(header, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
      var mode = (int) octal(header, 100, 8);
      var size = octal(header, 124, 12);
      var type = header[156];
      var content = in.readNBytes((int) size);
      in.skipNBytes((512 - size % 512) % 512);
      if (type == 'L') {
        longName = new String(content, StandardCharsets.UTF_8).replace("\0", "");
        continue;
      }
      if (longName != null) {
        name = longName;
        longName = null;
      }
      if (type == '0' || type == 0 || type == '5') {
        entry.accept(name, mode, type == '5' ? new byte[0] : content);
      }
    }
  }

  private static String field(byte[] header, int offset, int length) {
    var end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] header, int offset, int length) {
    var text = field(header, offset, length).trim();
    return text.isEmpty() ? 0 : Long.parseLong(text, 8);
  }

  /** Just enough JSON for image configs and manifests. */
  static final class Json {
    private final String s;
    private int i;

    private Json(String s) {
      this.s = s;
    }

    static Object parse(String text) {
      return new Json(text).value();
    }

    private Object value() {
      skip();
      var c = s.charAt(i);
      if (c == '{') {
        var map = new LinkedHashMap<String, Object>();
        i++;
        skip();
        if (s.charAt(i) == '}') {
          i++;
          return map;
        }
        while (true) {
          skip();
          var key = string();
          skip();
          i++; // ':'
          map.put(key, value());
          skip();
          if (s.charAt(i++) == '}') {
            return map;
          }
        }
      }
      if (c == '[') {
        var list = new ArrayList<Object>();
        i++;
        skip();
        if (s.charAt(i) == ']') {
          i++;
          return list;
        }
        while (true) {
          list.add(value());
          skip();
          if (s.charAt(i++) == ']') {
            return list;
          }
        }
      }
      if (c == '"') {
        return string();
      }
      var start = i;
      while (i < s.length() && ",}] \n\r\t".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      var literal = s.substring(start, i);
      return switch (literal) {
        case "true" -> true;
        case "false" -> false;
        case "null" -> null;
        default -> Double.parseDouble(literal);
      };
    }

    private String string() {
      var sb = new StringBuilder();
      i++; // opening quote
      while (s.charAt(i) != '"') {
        var c = s.charAt(i++);
        if (c == '\\') {
          var e = s.charAt(i++);
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'u' -> {
              sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
      i++;
      return sb.toString();
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }
  }
}
