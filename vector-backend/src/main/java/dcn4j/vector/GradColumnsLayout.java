package dcn4j.vector;

/**
 * Where the backward keeps a block of the column gradient (DESIGN.md "Backward products"): element {@code (q, k)} of
 * group {@code grp} (local pixel {@code q}, {@code k < Kg}) at
 * {@code gcOff + (grp*rowsPerGroup + q)*rowStride + k + (k >>> log2 NR)*panelJump}.
 * <ul>
 *   <li><b>Row-major</b> ({@code rowStride = Kg}, {@code panelJump = 0}): a pixel's row is contiguous. Any
 *       geometry.</li>
 *   <li><b>Panel-major</b> ({@code rowStride = NR}, {@code panelJump = (rows - 1)*NR}): the {@code NR}-wide k panels
 *       one after the other, each {@code rows x NR}, so that a GEMM tile ({@code MR} rows of one panel) is
 *       {@code MR*NR} contiguous floats and the column-gradient product writes its tiles in place, without the copy
 *       into rows {@code Kg} apart ({@code Sgemm.storeRows}; that product alone: 15-20% less time, benchmarks/RESULTS.md
 *       ninth pass). Only for one group, one offset group and {@code C == NR} channels (a 64-channel layer at 512
 *       bits): a kernel point's channels are then exactly one panel, so the consumers ({@link Col2im}'s one-segment
 *       loops) read each (pixel, kernel point) as {@code C} contiguous floats, as row-major. With a kernel point over
 *       several panels they read {@code C/NR} runs {@code rows*NR} floats apart: at 256 bits, 256 channels, the
 *       offset gradients took 2.9x and the scatter 3.1x the time ({@code Col2imThroughput}).</li>
 * </ul>
 * The formula holds for any channel count; {@link #panelMajorFits} is the measured rule.
 */
record GradColumnsLayout(int rowsPerGroup, int rowStride, int panelJump) {

    /** {@code log2(NR)}: NR is a power of two ({@link GemmTile}). */
    static final int PANEL_SHIFT = Integer.numberOfTrailingZeros(Sgemm.NR);

    /** Row-major, {@code [groups][rowsPerGroup][Kg]}. */
    static GradColumnsLayout rowMajor(ConvGeometry g, int rowsPerGroup) {
        return new GradColumnsLayout(rowsPerGroup, g.groupK, 0);
    }

    /** Panel-major, {@code [Kg/NR][rows][NR]}; {@code rows} a multiple of {@code MR}; see {@link #panelMajorFits}. */
    static GradColumnsLayout panelMajor(ConvGeometry g, int rows) {
        if (!panelMajorFits(g) || rows % Sgemm.MR != 0) {
            throw new IllegalArgumentException("panel-major gradient columns: expected one group, one offset group, "
                    + Sgemm.NR + " channels and rows a multiple of " + Sgemm.MR + ", got groups "
                    + g.groups + ", offset groups " + g.offsetGroups + ", channels " + g.channels + ", rows " + rows);
        }
        return new GradColumnsLayout(rows, Sgemm.NR, (rows - 1) * Sgemm.NR);
    }

    /** Whether {@link #panelMajor} serves geometry {@code g}: one group, one offset group, {@code C == NR}. */
    static boolean panelMajorFits(ConvGeometry g) {
        return g.groups == 1 && g.offsetGroups == 1 && g.channels == Sgemm.NR;
    }

    /** Whether a pixel's row is contiguous (every loop may read it a vector at a time, at any channel). */
    boolean rowMajor() {
        return panelJump == 0;
    }

    /** The index of element {@code (q, k)} of group {@code grp} in a block at {@code gcOff}. */
    int at(int gcOff, int grp, int q, int k) {
        return gcOff + (grp * rowsPerGroup + q) * rowStride + k + (k >>> PANEL_SHIFT) * panelJump;
    }

    /**
     * The index distance between kernel points {@code kpt} and {@code kpt + 1} of one pixel where {@code Kg = kernels*C}
     * (one group): {@code C} row-major, {@code rows*NR} panel-major. Within a kernel point channel {@code ch} is
     * {@code ch} further on in both layouts as {@link #panelMajorFits} uses them ({@code C == NR}).
     */
    int kernelPointStride(ConvGeometry g) {
        return at(0, 0, 0, g.channels) - at(0, 0, 0, 0);
    }
}
