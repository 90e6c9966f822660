package io.adapterplatform.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The parsed command line: a command, its options and at most one positional argument. */
record CliArgs(String command, Map<String, String> options, String positional) {

  static final String USAGE =
      "engine score|generate --model DIR [--adapter DIR] --tokens 1,2,3|--text \"...\" "
          + "[--max-tokens N] [--stop-at-eos] [--device cpu|gpu:N] [--debug] | engine inspect DIR | engine tiny --out DIR [--seed N]";

  private static final Set<String> VALUED =
      Set.of(
          "--model",
          "--adapter",
          "--tokens",
          "--text",
          "--max-tokens",
          "--device",
          "--out",
          "--seed");
  private static final Set<String> FLAGS = Set.of("--stop-at-eos", "--debug");
  private static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "score", Set.of("--model", "--adapter", "--tokens", "--text", "--device", "--debug"),
          "generate",
              Set.of(
                  "--model",
                  "--adapter",
                  "--tokens",
                  "--text",
                  "--max-tokens",
                  "--stop-at-eos",
                  "--device",
                  "--debug"),
          "inspect", Set.of("--debug"),
          "tiny", Set.of("--out", "--seed", "--debug"));

  static CliArgs parse(String[] args) {
    if (args.length == 0) {
      throw new UsageException("no command given");
    }
    String command = args[0];
    Set<String> allowed = ALLOWED.get(command);
    if (allowed == null) {
      throw new UsageException("unknown command '" + command + "'");
    }
    Map<String, String> options = new HashMap<>();
    String positional = null;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("--")) {
        if (!allowed.contains(arg)) {
          throw new UsageException("'" + command + "' does not take option " + arg);
        }
        if (options.containsKey(arg)) {
          throw new UsageException("option " + arg + " given twice");
        }
        if (FLAGS.contains(arg)) {
          options.put(arg, "true");
        } else if (VALUED.contains(arg)) {
          if (i + 1 >= args.length) {
            throw new UsageException("option " + arg + " needs a value");
          }
          options.put(arg, args[++i]);
        }
      } else if (positional == null && command.equals("inspect")) {
        positional = arg;
      } else {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
    }
    if (command.equals("inspect") && positional == null) {
      throw new UsageException("inspect needs a directory");
    }
    return new CliArgs(command, Map.copyOf(options), positional);
  }

  boolean has(String option) {
    return options.containsKey(option);
  }

  boolean flag(String option) {
    return options.containsKey(option);
  }

  String value(String option) {
    String v = options.get(option);
    if (v == null) {
      throw new UsageException("missing option " + option);
    }
    return v;
  }

  int requireInt(String option) {
    String v = value(option);
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + " must be an integer, got '" + v + "'");
    }
  }

  Path requireDir(String option) {
    return dir(option, value(option));
  }

  Path optionalDir(String option) {
    return has(option) ? dir(option, value(option)) : null;
  }

  private static Path dir(String option, String value) {
    Path p = Path.of(value);
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException(option + " " + value + ": not a directory");
    }
    return p;
  }

  static List<String> commands() {
    return List.copyOf(ALLOWED.keySet());
  }
}
