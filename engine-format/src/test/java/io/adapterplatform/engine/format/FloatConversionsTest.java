package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FloatConversionsTest {

  /**
   * Reference narrowing: among all finite non-negative 16-bit patterns (plus infinity standing one
   * ulp past the largest finite value), pick the nearest in exact double arithmetic, ties to the
   * even pattern. Independent of bit tricks.
   */
  private static final class Reference {
    private final TreeMap<Double, Integer> values = new TreeMap<>();
    private final int infBits;

    Reference(java.util.function.IntFunction<Float> widen, int infBits) {
      this.infBits = infBits;
      double maxFinite = 0;
      for (int bits = 0; bits < infBits; bits++) {
        double v = widen.apply(bits);
        values.put(v, bits);
        maxFinite = Math.max(maxFinite, v);
      }
      double ulp = maxFinite - widen.apply(infBits - 1 - 1);
      values.put(maxFinite + ulp, infBits); // the rounding boundary toward infinity
    }

    int narrow(float f) {
      if (Float.isNaN(f)) {
        throw new IllegalArgumentException();
      }
      int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
      double x = Math.abs((double) f);
      if (Double.isInfinite(x)) {
        return sign | infBits;
      }
      var lo = values.floorEntry(x);
      var hi = values.ceilingEntry(x);
      if (hi == null) {
        return sign | infBits;
      }
      int pick;
      if (lo.getKey() == x) {
        pick = lo.getValue();
      } else {
        double dl = x - lo.getKey();
        double dh = hi.getKey() - x;
        if (dl < dh) {
          pick = lo.getValue();
        } else if (dh < dl) {
          pick = hi.getValue();
        } else {
          pick = (lo.getValue() & 1) == 0 ? lo.getValue() : hi.getValue();
        }
      }
      return sign | pick;
    }
  }

  private static final Reference BF16 =
      new Reference(b -> FloatConversions.bf16ToFloat((short) b), 0x7F80);
  private static final Reference F16 = new Reference(b -> Float.float16ToFloat((short) b), 0x7C00);

  @Test
  void widensBf16AsTheUpperHalfOfAnF32() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float f = FloatConversions.bf16ToFloat((short) bits);
      assertThat(Float.floatToRawIntBits(f)).isEqualTo(bits << 16);
    }
  }

  @Test
  void narrowingThenWideningIsIdentityOnEvery16BitValue() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float b = FloatConversions.bf16ToFloat((short) bits);
      float h = FloatConversions.f16ToFloat((short) bits);
      if (!Float.isNaN(b)) {
        assertThat(FloatConversions.floatToBf16(b) & 0xFFFF).isEqualTo(bits);
      }
      if (!Float.isNaN(h)) {
        assertThat(FloatConversions.floatToF16(h) & 0xFFFF).isEqualTo(bits);
      }
    }
  }

  @Test
  void roundsRandomFloatsToNearestEvenLikeTheReference() {
    Random rng = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      float f =
          switch (i % 4) {
            case 0 -> Float.intBitsToFloat(rng.nextInt()); // every exponent, subnormals included
            case 1 -> (float) rng.nextGaussian();
            case 2 -> (float) (rng.nextGaussian() * 1e-6); // F16 subnormal range
            default -> (float) (rng.nextGaussian() * 70000); // around F16 overflow
          };
      if (Float.isNaN(f)) {
        continue;
      }
      assertThat(FloatConversions.floatToBf16(f) & 0xFFFF)
          .as("bf16 of %s", f)
          .isEqualTo(BF16.narrow(f));
      assertThat(FloatConversions.floatToF16(f) & 0xFFFF)
          .as("f16 of %s", f)
          .isEqualTo(F16.narrow(f));
    }
  }

  @Test
  void breaksExactTiesTowardTheEvenPattern() {
    for (int bits = 0; bits < 0x7F7F; bits++) {
      // Exactly halfway between bf16 patterns `bits` and `bits + 1`.
      float tie = Float.intBitsToFloat((bits << 16) | 0x8000);
      int even = (bits & 1) == 0 ? bits : bits + 1;
      assertThat(FloatConversions.floatToBf16(tie) & 0xFFFF).isEqualTo(even);
      assertThat(FloatConversions.floatToBf16(-tie) & 0xFFFF).isEqualTo(0x8000 | even);
      assertThat(BF16.narrow(tie)).isEqualTo(even);
    }
    // F16: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10, and rounds down to the even 1.
    assertThat(FloatConversions.floatToF16(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
    assertThat(FloatConversions.floatToF16(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
  }

  @Test
  void keepsSpecialValues() {
    assertThat(FloatConversions.floatToBf16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
    assertThat(FloatConversions.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
    assertThat(FloatConversions.floatToBf16(-0f)).isEqualTo((short) 0x8000);
    assertThat(FloatConversions.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);
    assertThat(FloatConversions.floatToF16(65520f)).isEqualTo((short) 0x7C00);
    assertThat(FloatConversions.floatToF16(65519.99f)).isEqualTo((short) 0x7BFF);
    assertThat(FloatConversions.floatToF16(0x1p-24f))
        .isEqualTo((short) 0x0001); // smallest subnormal
    assertThat(FloatConversions.floatToF16(0x1p-25f)).isEqualTo((short) 0x0000); // tie to even zero
    assertThat(FloatConversions.floatToBf16(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
    assertThat(FloatConversions.bf16ToFloat((short) 0x0001)).isEqualTo(0x1p-133f);
    // A NaN whose payload is only in the low 16 bits must not become infinity.
    float lowPayloadNaN = Float.intBitsToFloat(0x7F800001);
    assertThat(
            Float.isNaN(FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(lowPayloadNaN))))
        .isTrue();
    float negNaN = Float.intBitsToFloat(0xFFC00000);
    assertThat(FloatConversions.floatToBf16(negNaN) & 0x8000).isEqualTo(0x8000);
    assertThat(Float.isNaN(FloatConversions.f16ToFloat(FloatConversions.floatToF16(Float.NaN))))
        .isTrue();
  }
}
