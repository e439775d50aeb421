package dcn4j.spi;

import dcn4j.DType;
import dcn4j.Tensor;
import java.util.Arrays;

/**
 * Argument checks shared by every backend, so that all of them reject bad input with the same
 * message: {@code "<argument>: expected <what>, got <actual>"} (DESIGN.md "Errors").
 */
public final class Checks {

    private Checks() {
    }

    /** Fails unless {@code tensor} is non-null, owned by {@code backendName} and of {@code dtype}. */
    public static void owned(String argument, Tensor tensor, String backendName, DType dtype) {
        if (tensor == null) {
            throw new IllegalArgumentException(argument + ": expected a tensor, got null");
        }
        if (!tensor.backendName().equals(backendName)) {
            throw new IllegalArgumentException(argument + ": expected a tensor of backend '" + backendName
                    + "', got one of '" + tensor.backendName() + "'");
        }
        if (tensor.dtype() != dtype) {
            throw new IllegalArgumentException(argument + ": expected dtype " + dtype + " (as input), got "
                    + tensor.dtype());
        }
    }

    /** Fails unless {@code actual} equals {@code expected}; {@code what} describes the expected layout. */
    public static void shape(String argument, int[] actual, int[] expected, String what) {
        if (!Arrays.equals(actual, expected)) {
            throw new IllegalArgumentException(argument + ": expected shape " + Arrays.toString(expected)
                    + " " + what + ", got " + Arrays.toString(actual));
        }
    }

    /** Fails unless {@code shape} has {@code rank} dimensions. */
    public static void rank(String argument, int[] shape, int rank, String layout) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(argument + ": expected rank " + rank + " " + layout + ", got rank "
                    + shape.length + " " + Arrays.toString(shape));
        }
    }

    /**
     * Checks a shape and data length for tensor creation and returns the element count; fails on a
     * negative dimension, a count over {@code Integer.MAX_VALUE - 8} or a length mismatch.
     */
    public static int elementCount(int[] shape, int dataLength) {
        if (shape == null) throw new IllegalArgumentException("shape: expected an array, got null");
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape: expected dimensions >= 0, got " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape: expected at most " + (Integer.MAX_VALUE - 8)
                        + " elements, got more for " + Arrays.toString(shape));
            }
        }
        if (n != dataLength) {
            throw new IllegalArgumentException("data: expected " + n + " elements for shape " + Arrays.toString(shape)
                    + ", got " + dataLength);
        }
        return (int) n;
    }
}
