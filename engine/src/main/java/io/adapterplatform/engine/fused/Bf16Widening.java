package io.adapterplatform.engine.fused;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * fp32 copies of a bf16 pool's weights ({@link PoolStorage#BF16}), made by one kernel task just
 * before it reads them, in buffers of its own thread small enough to stay in L2. Main memory then
 * serves half the bytes of an fp32 pool, and the host kernel's fp32 loops run unchanged on the
 * copies.
 *
 * <p>Why copies, not a widening load inside those loops: that load made C2 stop inlining the
 * kernels' helpers (a compiled helper that returns a vector is too big to inline, and every vector
 * it returns is then boxed), and the fp32 path itself became 1.5 times slower.
 */
final class Bf16Widening {

  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = FLOATS.length();
  private static final VectorSpecies<Short> SHORTS =
      VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ThreadLocal<Bf16Widening> PER_THREAD =
      ThreadLocal.withInitial(Bf16Widening::new);
  private static final int BUFFERS =
      3; // the most one task holds at once: MixLoRA's gate, up and down

  private final MemorySegment[] buffers = new MemorySegment[BUFFERS];
  // what each buffer holds, so that pairs of one slot (plans are sorted by slot) widen it once
  private final long[] heldSource = new long[BUFFERS];
  private final long[] heldBase = new long[BUFFERS];
  private final int[] heldFrom = new int[BUFFERS];
  private final int[] heldTo = new int[BUFFERS];

  private Bf16Widening() {}

  /**
   * This thread's buffers, emptied: call once per kernel task. What they held is not reused across
   * calls, since a reserved pool's weights change in place between steps.
   */
  static Bf16Widening begin() {
    Bf16Widening w = PER_THREAD.get();
    java.util.Arrays.fill(w.heldSource, 0L);
    return w;
  }

  /**
   * Buffer {@code which} holding, as fp32, the bf16 elements {@code base + k·stride + c} of {@code
   * source} (k < rows, c in [from, to)) at index {@code k·stride + c}: the kernel reads it as the
   * pool with base 0.
   */
  MemorySegment rows(
      int which, MemorySegment source, long base, int rows, int stride, int from, int to) {
    if (heldSource[which] == source.address()
        && heldBase[which] == base
        && heldFrom[which] == from
        && heldTo[which] == to) {
      return buffers[which];
    }
    long floats = (long) rows * stride;
    if (buffers[which] == null || buffers[which].byteSize() < floats * Float.BYTES) {
      buffers[which] = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
    }
    MemorySegment buffer = buffers[which];
    for (int k = 0; k < rows; k++) {
      widen(source, base + (long) k * stride + from, buffer, (long) k * stride + from, to - from);
    }
    heldSource[which] = source.address();
    heldBase[which] = base;
    heldFrom[which] = from;
    heldTo[which] = to;
    return buffer;
  }

  // bf16 is the upper half of an fp32's bits: widen to 32-bit lanes, shift into place
  private static void widen(
      MemorySegment source, long from, MemorySegment target, long at, int count) {
    int vecEnd = count - count % LANES;
    int i = 0;
    for (; i < vecEnd; i += LANES) {
      ShortVector bits =
          ShortVector.fromMemorySegment(SHORTS, source, (from + i) * Short.BYTES, ORDER);
      ((IntVector) bits.convertShape(VectorOperators.S2I, INTS, 0))
          .lanewise(VectorOperators.LSHL, 16)
          .reinterpretAsFloats()
          .intoMemorySegment(target, (at + i) * Float.BYTES, ORDER);
    }
    for (; i < count; i++) {
      target.setAtIndex(
          ValueLayout.JAVA_FLOAT_UNALIGNED,
          at + i,
          Float.intBitsToFloat(
              source.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, from + i) << 16));
    }
  }
}
