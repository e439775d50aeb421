package dcn4j.opencl;

/**
 * Enqueues the single-precision GEMM of {@code gemm.cl} with the kernel that suits the device:
 * {@code gemm} (local-memory tiles of {@code TM x TN}, {@code RM x VN} outputs per work-item) on
 * devices with dedicated local memory (GPUs), {@code gemm_block} (8 x 32 register blocks, the
 * caches as tiles) where local memory is ordinary cached memory (CPU devices such as PoCL), on
 * which copying tiles into "local" memory only costs time. Both sum over {@code k} in ascending
 * order for every output, so either is deterministic; the tests run both on every device.
 *
 * <p>Operands are addressed through {@code int4} layouts {@code (off, rs, cs)}: element
 * {@code (r, c)} at {@code off + r*rs + c*cs}; {@code gemm_block} needs {@code B} row-major
 * ({@code cs = 1}). The result through an {@code int8} {@code (off, rs, split, qs, cs)}: element
 * {@code (r, c)} at {@code off + r*rs + (c / split)*qs + (c % split)*cs}.
 */
final class ClGemm {

    static final String PROGRAM = "gemm.cl";
    /** Disables the column split of a result layout. */
    static final int NO_SPLIT = Integer.MAX_VALUE;
    /** Rows x columns of C per work-item of {@code gemm_block}. */
    private static final int BLOCK_M = 8, BLOCK_N = 32;

    /**
     * The tiled kernel's work-group {@code wgx x wgy} of {@code rm x vn} outputs each (build options,
     * fixed per context), and whether the device runs {@code gemm_block} instead.
     */
    record Tiling(boolean block, int wgx, int wgy, int rm, int vn) {

        static Tiling forDevice(ClDevice d) {
            boolean block = !d.hasDedicatedLocalMemory();
            // 16 x 16 work-items of 4 x 4 (64 x 64 tiles) where work-groups of 256 fit; else 8 x 8 of 8 x 8.
            return d.maxWorkGroupSize() >= 256 ? new Tiling(block, 16, 16, 4, 4) : new Tiling(block, 8, 8, 8, 8);
        }

        int tileM() {
            return wgy * rm;
        }

        int tileN() {
            return wgx * vn;
        }

        String options() {
            return "-DWGX=" + wgx + " -DWGY=" + wgy + " -DRM=" + rm + " -DVN=" + vn;
        }

        Tiling withBlock(boolean b) {
            return new Tiling(b, wgx, wgy, rm, vn);
        }
    }

    private final ClRuntime runtime;
    private volatile Tiling tiling;

    ClGemm(ClRuntime runtime, Tiling tiling) {
        this.runtime = runtime;
        this.tiling = tiling;
    }

    Tiling tiling() {
        return tiling;
    }

    /** Selects the kernel: tests run both on the device at hand. */
    void useBlockKernel(boolean block) {
        tiling = tiling.withBlock(block);
    }

    /**
     * {@code C = [C +] A · B [+ bias]} with {@code A} {@code m x k}, {@code B} {@code k x n}; call
     * inside a runtime operation.
     */
    void run(int m, int n, int k, ClBuffer a, int[] la, ClBuffer b, int[] lb, ClBuffer c, int[] lc,
             ClBuffer bias, int biasOff, boolean accumulate, boolean addBias) {
        Tiling t = tiling;
        int flags = (accumulate ? 1 : 0) | (addBias ? 2 : 0);
        if (t.block()) {
            if (lb[2] != 1) throw new IllegalStateException("gemm_block needs a row-major B, got layout cs=" + lb[2]);
            runtime.call(PROGRAM, "gemm_block").i(m).i(n).i(k).buf(a).vec(la).buf(b).vec(lb).buf(c).vec(lc)
                    .buf(bias).i(biasOff).i(flags)
                    .run(new long[] {ceilDiv(m, BLOCK_M), ceilDiv(n, BLOCK_N)}, new long[] {1, 1});
        } else {
            runtime.call(PROGRAM, "gemm").i(m).i(n).i(k).buf(a).vec(la).buf(b).vec(lb).buf(c).vec(lc)
                    .buf(bias).i(biasOff).i(flags)
                    .run(new long[] {(long) ceilDiv(n, t.tileN()) * t.wgx(), (long) ceilDiv(m, t.tileM()) * t.wgy()},
                            new long[] {t.wgx(), t.wgy()});
        }
    }

    /** An operand layout: element (r, c) at {@code off + r*rs + c*cs}. */
    static int[] matrix(int off, int rs, int cs) {
        return new int[] {off, rs, cs, 0};
    }

    /** A result layout: element (r, c) at {@code off + r*rs + (c / split)*qs + (c % split)*cs}. */
    static int[] result(int off, int rs, int split, int qs, int cs) {
        return new int[] {off, rs, split, qs, cs, 0, 0, 0};
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
