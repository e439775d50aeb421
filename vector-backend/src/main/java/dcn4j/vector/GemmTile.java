package dcn4j.vector;

import static dcn4j.vector.VectorWidth.L;

/**
 * One register tile of the matrix product: {@code MR} rows of a packed A panel times {@code NR = NV * L}
 * columns of a packed B panel, {@code MR * NV} vector accumulators (DESIGN.md "Vector width and GEMM
 * tiles"). The kernels are in {@link GemmTiles}.
 */
abstract class GemmTile {

    /** System property forcing a tile by name (e.g. {@code 6x4}), for measurements. */
    static final String TILE_PROPERTY = "dcn4j.vector.tile";

    /** Rows (broadcast operand). */
    final int mr;
    /** Vectors per row. */
    final int nv;
    /** Columns: {@code nv * L}, a power of two (the panel-major columns rely on it). */
    final int nr;

    GemmTile(int mr, int nv) {
        this.mr = mr;
        this.nv = nv;
        this.nr = nv * L;
    }

    /**
     * {@code t[to + i*ldc + j] (+)= sum_{k < kLen} a[ao + k*MR + i] * b[bo + k*NR + j]} (the sum from zero, k
     * ascending, then stored, or added when {@code accumulate}): A from a packed panel; {@code ldc = NR} for a
     * contiguous tile, {@code C} for the rows of a kernel-point-major column gradient ({@link GradColumnsLayout}).
     */
    abstract void multiply(float[] a, int ao, float[] b, int bo, int kLen, float[] t, int to, int ldc,
                           boolean accumulate);

    /**
     * {@code t[to + i*NR + j] (+)= sum_{k < kLen} a[ao + i*KC + k] * b[bo + k*NR + j]}: A from {@code MR} rows of
     * stride {@link Sgemm#KC}, a constant to C2, so that the broadcasts share one index register (the per-row
     * address arithmetic of a variable stride competed with the FMAs for ports: 10-25% slower, RESULTS.md).
     */
    abstract void multiplyBlock(float[] a, int ao, float[] b, int bo, int kLen, float[] t, int to, boolean accumulate);

    /** Registers live in the loop: the accumulators, the B vectors and one broadcast. */
    int registersUsed() {
        return mr * nv + nv + 1;
    }

    String name() {
        return mr + "x" + nv;
    }

    @Override
    public String toString() {
        return name() + " (" + mr + "x" + nr + ")";
    }

    /**
     * The tile for this host: with 32 registers {@code 6x4} (24 accumulators, 29 registers: 4 B loads and 6
     * broadcasts feed 24 FMAs; in the forward's product it measured 5-30% faster than {@code 12x2} and
     * {@code 8x2}, see benchmarks/RESULTS.md), with 16 {@code 4x2} (8 accumulators, 11 registers). {@code 6x2}
     * (15 registers, BLIS's Haswell tile) was the 16-register choice until the broadcasts read block-major
     * rows with constant displacements: C2 then loads several broadcasts ahead of their FMAs, runs out of
     * the 16 registers and spills two accumulators to the stack in the loop (seen in the disassembly; 40-43
     * GFLOP/s against 52-59 for {@code 4x2} at AVX2).
     * {@code -Ddcn4j.vector.tile=MRxNV} forces one of {@link GemmTiles#ALL}.
     */
    static GemmTile forHost() {
        String forced = System.getProperty(TILE_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            try {
                return named(forced.trim());
            } catch (IllegalArgumentException e) {
                // VectorWidth.problem() makes the provider unavailable with this reason; never fail class loading.
            }
        }
        return named(VectorWidth.REGISTERS >= 32 ? "6x4" : "4x2");
    }

    static GemmTile named(String name) {
        for (GemmTile t : GemmTiles.ALL) if (t.name().equals(name)) return t;
        StringBuilder known = new StringBuilder();
        for (GemmTile t : GemmTiles.ALL) known.append(known.isEmpty() ? "" : ", ").append(t.name());
        throw new IllegalArgumentException("-D" + TILE_PROPERTY + ": expected one of " + known + ", got '" + name + "'");
    }
}
