package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScratchMixProfile {
    @Test
    void run() {
        ModelDims dims = new ModelDims(1024, 2816, 1, 16, 8, 64, 1e-5, 10000, false, 2048);
        var weights = TinyModels.randomWeights(dims, 1);
        try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> weights.get(n), ai.djl.Device.cpu());
             AdapterPool pool = AdapterPool.of(model, List.of(TinyModels.randomMixLora(dims, 16, 32, 8, 2,
                     EnumSet.noneOf(io.adapterplatform.engine.format.Projection.class), null, 3)))) {
            for (int n : new int[] {32, 512}) {
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray x = m.randomNormal(new Shape(n, 1024));
                    double dense = 0, fused = 0;
                    
                    int reps = 20;
                    for (int rep = 0; rep < reps * 2; rep++) {
                        if (rep == reps) {  dense = 0; fused = 0; }
                        try (NDManager s = m.newSubManager()) {
                            long t0 = System.nanoTime();
                            AdapterHook.NONE.ffn(0, x, model.layer(0)).getFloat(0, 0);
                            long t1 = System.nanoTime();
                            pool.bind(s, new int[n], GroupedLora.Strategy.AUTO).ffn(0, x, model.layer(0)).getFloat(0, 0);
                            long t2 = System.nanoTime();
                            dense += (t1 - t0) / 1e6; fused += (t2 - t1) / 1e6;
                        }
                    }
                    StringBuilder sb = new StringBuilder();
                    
                    System.out.printf("rows %d dense %.2f fused %.2f ratio %.2f | route %s%n", n, dense / reps, fused / reps, fused / dense, sb);
                }
            }
        }
    }
}
