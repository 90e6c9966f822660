package io.adapterplatform.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one option parser of the benches, and the three benches' options read through it. */
class BenchCommandLineTest {

  private static BenchCommandLine parse(String... args) {
    return BenchCommandLine.parse(args, Set.of("size", "list", "name"), Set.of("quick"));
  }

  @Test
  void readsBothFormsFlagsAndDefaults() {
    var line = parse("--size", "3", "--name=a=b", "--quick", "--list", "1, 2,8");

    assertThat(line.positive("size", 9)).isEqualTo(3);
    assertThat(line.text("name")).contains("a=b");
    assertThat(line.flag("quick")).isTrue();
    assertThat(line.positives("list", List.of(5))).containsExactly(1, 2, 8);

    var empty = parse();
    assertThat(empty.positive("size", 9)).isEqualTo(9);
    assertThat(empty.text("name")).isEmpty();
    assertThat(empty.text("name", "x")).isEqualTo("x");
    assertThat(empty.flag("quick")).isFalse();
    assertThat(empty.positives("list", List.of(5))).containsExactly(5);
  }

  @Test
  void refusesWhatItDoesNotKnow() {
    assertThatThrownBy(() -> parse("size")).hasMessage("unexpected argument 'size'");
    assertThatThrownBy(() -> parse("--colour", "red")).hasMessage("unknown option --colour");
    assertThatThrownBy(() -> parse("--size")).hasMessage("--size needs a value");
    assertThatThrownBy(() -> parse("--quick=yes")).hasMessage("--quick takes no value");
  }

  @Test
  void numbersMustBePositive() {
    assertThatThrownBy(() -> parse("--size", "0").positive("size", 1))
        .hasMessage("--size must be positive, was 0");
    assertThatThrownBy(() -> parse("--size=x").positive("size", 1))
        .hasMessage("--size must be a number, was 'x'");
    assertThatThrownBy(() -> parse("--list", "1,-2").positives("list", List.of()))
        .hasMessage("--list must be positive, was -2");
    assertThatThrownBy(() -> parse("--list", "1,,2").positives("list", List.of()))
        .hasMessage("--list must be comma-separated numbers, was '1,,2'");
  }

  @Test
  void registryBenchKeepsItsOptionsAndDefaults() {
    var defaults = BenchArgs.parse(new String[0]);
    assertThat(defaults)
        .isEqualTo(
            new BenchArgs(
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                "us-east-1",
                256,
                3,
                32,
                15));

    var given =
        BenchArgs.parse(
            new String[] {
              "--url",
              "http://h",
              "--token=t",
              "--size-mib",
              "8",
              "--rounds",
              "2",
              "--clients=4",
              "--seconds",
              "5",
              "--s3-endpoint",
              "http://s3",
              "--s3-access-key",
              "k",
              "--s3-secret-key",
              "s",
              "--s3-region",
              "eu"
            });
    assertThat(given.url()).contains("http://h");
    assertThat(given.token()).contains("t");
    assertThat(given.s3Region()).isEqualTo("eu");
    assertThat(List.of(given.sizeMib(), given.rounds(), given.clients(), given.seconds()))
        .containsExactly(8, 2, 4, 5);
    assertThatThrownBy(() -> BenchArgs.parse(new String[] {"--url", "http://h"}))
        .hasMessage("--url and --token go together");
    assertThatThrownBy(() -> BenchArgs.parse(new String[] {"--quick"}))
        .hasMessage("unknown option --quick");
  }

  @Test
  void servingBenchKeepsItsOptionsAndDefaults() {
    var defaults = ServingBenchOptions.parse(new String[0]);
    assertThat(defaults)
        .isEqualTo(
            new ServingBenchOptions(
                ServingBenchOptions.DEFAULT_SHAPE,
                16,
                64,
                List.of(1, 8, 64),
                32,
                16,
                4,
                5,
                1000,
                128,
                1000,
                2));

    // options apply before and after --quick
    var quick =
        ServingBenchOptions.parse(new String[] {"--layers", "3", "--quick", "--distinct=1,2"});
    assertThat(quick.shape().layers()).isEqualTo(3);
    assertThat(quick.shape().hidden()).isEqualTo(ServingBenchOptions.QUICK_SHAPE.hidden());
    assertThat(quick.distinct()).containsExactly(1, 2);
    assertThat(quick.streams()).isEqualTo(8);
    assertThatThrownBy(() -> ServingBenchOptions.parse(new String[] {"--tokens", "1"}))
        .hasMessageContaining("at least 2");
  }

  @Test
  void trainingBenchKeepsItsOptionsAndDefaults() {
    var defaults = TrainingBenchArgs.parse(new String[0]);
    assertThat(defaults)
        .isEqualTo(
            new TrainingBenchArgs(
                List.of(1, 2, 4, 8), 10, 1, 32, 16, 5, TrainingBenchArgs.DEFAULT_DIMS));

    var quick =
        TrainingBenchArgs.parse(
            new String[] {
              "--quick",
              "--jobs",
              "1,3",
              "--steps",
              "4",
              "--sequences",
              "2",
              "--sequence-length",
              "8",
              "--rank",
              "2",
              "--checkpoint-every",
              "3"
            });
    assertThat(quick.jobCounts()).containsExactly(1, 3);
    assertThat(List.of(quick.steps(), quick.sequences(), quick.sequenceLength(), quick.rank()))
        .containsExactly(4, 2, 8, 2);
    assertThat(quick.checkpointEvery()).isEqualTo(3);
    assertThat(quick.maxJobs()).isEqualTo(3);
    assertThatThrownBy(() -> TrainingBenchArgs.parse(new String[] {"--sequence-length", "1"}))
        .hasMessage("--sequence-length must be at least 2");
    assertThatThrownBy(() -> TrainingBenchArgs.parse(new String[] {"--steps", "0"}))
        .hasMessage("--steps must be positive, was 0");
  }
}
