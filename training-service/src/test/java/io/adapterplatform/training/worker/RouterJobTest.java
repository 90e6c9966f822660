package io.adapterplatform.training.worker;

import static io.adapterplatform.training.worker.WorkerFixtures.runToEnd;
import static io.adapterplatform.training.worker.WorkerFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.AdapterKeys;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterJobTest {

  @TempDir Path exports;

  @Test
  void aRouterJobFusedWithALoraChangesOnlyTheRoutersOfItsMixLora() {
    var store = WorkerFixtures.store();
    var heard = new WorkerFixtures.Recorder();

    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 2, store, exports, heard)) {
      runner.admit(WorkerFixtures.mixLora("experts", 4, 100));
      runToEnd(runner, 5);
      AdapterCheckpoint trained =
          AdapterCheckpoint.read(
              heard.finished.get("experts").adapterDir(), TinyModels.config(WorkerFixtures.DIMS));
      runner.admit(
          new WorkerJob(
              "routers",
              new WorkerJob.RouterJob(trained),
              WorkerFixtures.config(44, 4, 6),
              6,
              WorkerFixtures.cycleTask(16, 10, 35),
              List.of(),
              100));
      runner.admit(WorkerFixtures.lora("partner", 6, 100));
      runToEnd(runner, 7);
    }

    assertThat(heard.failed).isEmpty();
    assertThat(heard.of("routers"))
        .allSatisfy(p -> assertThat(p.fusedWith()).containsExactly("partner"));
    assertThat(heard.of("routers").getFirst().step()).isEqualTo(1);
    Map<String, float[]> before = tensors(heard.finished.get("experts").adapterDir());
    Map<String, float[]> after = tensors(heard.finished.get("routers").adapterDir());
    assertThat(after.keySet()).isEqualTo(before.keySet());
    List<String> routers = List.of(AdapterKeys.mixloraRouter(0), AdapterKeys.mixloraRouter(1));
    for (String name : before.keySet()) {
      if (routers.contains(name)) {
        assertThat(after.get(name)).as(name).isNotEqualTo(before.get(name));
      } else {
        assertThat(after.get(name)).as(name).isEqualTo(before.get(name));
      }
    }
  }
}
