package io.adapterplatform.engine.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Conversions between F32 and the 16-bit float formats safetensors stores, and bulk (little-endian)
 * decoding and encoding of tensor bytes.
 *
 * <p>Widening is exact. Narrowing rounds to nearest, ties to even; values beyond the largest finite
 * number become infinity, NaN stays NaN (quiet) with its sign, signed zeros and subnormals are
 * kept.
 */
public final class FloatConversions {

  private FloatConversions() {}

  /** BF16 bits are the upper 16 bits of an F32. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** F32 → BF16, round to nearest even. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      // Truncating could turn a NaN whose payload sits in the low bits into infinity: force quiet.
      return (short) ((bits >>> 16) | 0x0040);
    }
    int lsb = (bits >>> 16) & 1;
    bits += 0x7FFF + lsb; // carries into the exponent on overflow, which correctly yields infinity
    return (short) (bits >>> 16);
  }

  /** IEEE binary16 → F32. */
  public static float f16ToFloat(short bits) {
    return Float.float16ToFloat(bits);
  }

  /** F32 → IEEE binary16, round to nearest even (the JDK's conversion). */
  public static short floatToF16(float f) {
    return Float.floatToFloat16(f);
  }

  /**
   * Decodes {@code count} little-endian elements of {@code dtype} from {@code src} (from its
   * position).
   */
  public static float[] decode(ByteBuffer src, DType dtype, int count) {
    ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[count];
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < count; i++) {
          out[i] = Float.float16ToFloat(b.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          out[i] = bf16ToFloat(b.getShort());
        }
      }
    }
    return out;
  }

  /** Encodes {@code values} as little-endian {@code dtype} into a new array. */
  public static byte[] encode(float[] values, DType dtype) {
    ByteBuffer b =
        ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize()))
            .order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32 -> b.asFloatBuffer().put(values);
      case F16 -> {
        for (float v : values) {
          b.putShort(Float.floatToFloat16(v));
        }
      }
      case BF16 -> {
        for (float v : values) {
          b.putShort(floatToBf16(v));
        }
      }
    }
    return b.array();
  }
}
