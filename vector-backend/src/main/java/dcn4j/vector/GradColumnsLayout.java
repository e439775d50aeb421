package dcn4j.vector;

/**
 * Where the backward keeps a block of the column gradient (DESIGN.md "Backward products"): element {@code (q, k)} of
 * group {@code grp} (local pixel {@code q}, {@code k < Kg}) at
 * {@code gcOff + (grp*rowsPerGroup + q)*rowStride + k + (k / rowStride)*kernelJump}.
 * <ul>
 *   <li><b>Row-major</b> ({@code rowStride = Kg}, {@code kernelJump = 0}): {@code [groups][rows][Kg]}, a pixel's row
 *       contiguous. Any geometry.</li>
 *   <li><b>Kernel-point-major</b> ({@code rowStride = C}, {@code kernelJump = (rows - 1)*C}):
 *       {@code [kernel points][rows][C]}, for one group, one offset group and channels a multiple of {@code NR}. A
 *       tile of the column-gradient product ({@code MR} rows of an {@code NR}-wide k panel, which then lies in one
 *       kernel point, all {@code NR} columns present) has its rows {@code C} floats apart instead of {@code Kg} (9x
 *       closer for 3x3; contiguous with {@code C == NR}), and the product writes and sums it there directly
 *       ({@code GemmTile.multiply} with {@code ldc = C}) instead of through a tile buffer and
 *       {@code Sgemm.storeRows}. The consumers ({@link Col2im}'s one-segment loops) read a (pixel, kernel point) as
 *       {@code C} contiguous floats, as row-major, the kernel points {@link #kernelPointStride} apart. (Panels of
 *       {@code NR} one after the other, {@code [Kg/NR][rows][NR]}, also gave contiguous tiles, but a kernel point
 *       over several panels became {@code C/NR} runs far apart: at 256 bits and 256 channels the offset gradients
 *       took 2.9x and the scatter 3.1x the time.)</li>
 * </ul>
 */
record GradColumnsLayout(int rowsPerGroup, int rowStride, int kernelJump) {

    /** Row-major, {@code [groups][rowsPerGroup][Kg]}. */
    static GradColumnsLayout rowMajor(ConvGeometry g, int rowsPerGroup) {
        return new GradColumnsLayout(rowsPerGroup, g.groupK, 0);
    }

    /**
     * Kernel-point-major, {@code [kernel points][rows][C]}; {@code rows} a multiple of {@code MR}; see
     * {@link #kernelPointMajorFits}.
     */
    static GradColumnsLayout kernelPointMajor(ConvGeometry g, int rows) {
        if (!kernelPointMajorFits(g) || rows % Sgemm.MR != 0) {
            throw new IllegalArgumentException("kernel-point-major gradient columns: expected one group, one offset "
                    + "group, channels a multiple of " + Sgemm.NR + " and rows a multiple of " + Sgemm.MR
                    + ", got groups " + g.groups + ", offset groups " + g.offsetGroups + ", channels " + g.channels
                    + ", rows " + rows);
        }
        return new GradColumnsLayout(rows, g.channels, (rows - 1) * g.channels);
    }

    /**
     * Whether {@link #kernelPointMajor} serves geometry {@code g}: one group, one offset group (the one-segment loops
     * read it), channels a multiple of {@code NR} (a k panel of the product lies in one kernel point).
     */
    static boolean kernelPointMajorFits(ConvGeometry g) {
        return g.groups == 1 && g.offsetGroups == 1 && g.channels % Sgemm.NR == 0;
    }

    /** Whether a pixel's row is contiguous (every loop may read it a vector at a time, at any channel). */
    boolean rowMajor() {
        return kernelJump == 0;
    }

    /** The index of element {@code (q, k)} of group {@code grp} in a block at {@code gcOff}. */
    int at(int gcOff, int grp, int q, int k) {
        int index = gcOff + (grp * rowsPerGroup + q) * rowStride + k;
        return kernelJump == 0 ? index : index + k / rowStride * kernelJump;
    }

    /**
     * The index distance between kernel points {@code kpt} and {@code kpt + 1} of one pixel where
     * {@code Kg = kernels*C} (one group): {@code C} row-major, {@code rows*C} kernel-point-major; within a kernel
     * point, channel {@code ch} is {@code ch} further on in both.
     */
    int kernelPointStride(ConvGeometry g) {
        return at(0, 0, 0, g.channels) - at(0, 0, 0, 0);
    }
}
