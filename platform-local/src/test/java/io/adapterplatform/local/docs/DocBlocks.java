package io.adapterplatform.local.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The shell blocks of a Markdown document, and the script that runs them as a reader would. */
final class DocBlocks {

  /**
   * A fenced shell block: its first line in the document, its text, and why it is not run (null: it
   * is).
   */
  record Block(int line, String text, String skipReason) {}

  private static final Pattern FENCE = Pattern.compile("^```(bash|sh|shell|console)?\\s*$");
  private static final Pattern SKIP =
      Pattern.compile("^<!--\\s*docs-test:\\s*skip\\s*\\((.+)\\)\\s*-->$");
  // `bin/platform up`, maybe behind VAR=value assignments; a trailing comment is dropped.
  private static final Pattern UP =
      Pattern.compile("^\\s*((?:[A-Z_][A-Z0-9_]*=\\S+\\s+)*)bin/platform up(?:\\s*(?:#.*)?)$");

  private DocBlocks() {}

  static List<Block> parse(String markdown) {
    var blocks = new ArrayList<Block>();
    var lines = markdown.split("\n", -1);
    String lastNonBlank = "";
    for (int i = 0; i < lines.length; i++) {
      var fence = FENCE.matcher(lines[i].strip());
      if (!lines[i].startsWith("```")) {
        if (!lines[i].isBlank()) {
          lastNonBlank = lines[i].strip();
        }
        continue;
      }
      boolean shell = fence.matches() && fence.group(1) != null;
      int start = i;
      var text = new StringBuilder();
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
        text.append(lines[i]).append('\n');
      }
      if (shell) {
        var skip = SKIP.matcher(lastNonBlank);
        blocks.add(new Block(start + 1, text.toString(), skip.matches() ? skip.group(1) : null));
      }
      lastNonBlank = "";
    }
    return blocks;
  }

  /**
   * One bash script of the blocks to run, in order, after a prelude that stands in for the reader.
   */
  static String script(List<Block> blocks, int port) {
    var script = new StringBuilder(PRELUDE);
    for (var block : blocks) {
      if (block.skipReason() != null) {
        continue;
      }
      script.append("echo '--- docs block at line ").append(block.line()).append("'\n");
      for (String line : block.text().split("\n")) {
        var up = UP.matcher(line);
        script
            .append(
                up.matches()
                    ? "__docs_up " + up.group(1).strip()
                    : line.replace("localhost:8080", "localhost:" + port))
            .append('\n');
      }
    }
    return script.toString();
  }

  private static final String PRELUDE =
      """
      set -euo pipefail
      set -x
      # A reader notices an HTTP error; so does this script.
      curl() { command curl --fail-with-body "$@"; }
      __DOCS_PID=
      __docs_down() {
        if [ -n "$__DOCS_PID" ]; then kill "$__DOCS_PID" 2>/dev/null || true; wait "$__DOCS_PID" || true; fi
        __DOCS_PID=
      }
      trap __docs_down EXIT
      # `bin/platform up` as the document writes it, in the background, until the script ends or the next one.
      __docs_up() {
        __docs_down
        local port=$__DOCS_PORT a
        for a in "$@"; do case "$a" in PLATFORM_PORT=*) port=${a#PLATFORM_PORT=} ;; esac; done
        env PLATFORM_PORT="$__DOCS_PORT" "$@" bin/platform up >"$__DOCS_LOG" 2>&1 &
        __DOCS_PID=$!
        local deadline=$((SECONDS + 240))
        until command curl -fs "http://localhost:$port/actuator/health" 2>/dev/null | grep -q '"status":"UP"'; do
          if ! kill -0 "$__DOCS_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "the platform did not come UP; its log:" >&2; tail -n 80 "$__DOCS_LOG" >&2; return 1
          fi
          sleep 0.2
        done
      }
      """;
}
