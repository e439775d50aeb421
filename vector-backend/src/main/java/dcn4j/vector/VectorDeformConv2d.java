package dcn4j.vector;

import static dcn4j.vector.Sgemm.L;
import static dcn4j.vector.Sgemm.MR;
import static dcn4j.vector.Sgemm.NR;
import static dcn4j.vector.Sgemm.SPECIES;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Deformable convolution 2D on the vector backend (DESIGN.md "Deformable convolution"; paper eq. 2,
 * modulated as DCNv2): the memory plan and the phases of a call; the arithmetic is in
 * {@link BilinearIm2col}, {@link Sgemm} and {@link Col2im}.
 *
 * <p>Per group {@code g} the output is a matrix product {@code out_g[p][o] = sum_k cols_g[p][k] * W_g[k][o]}
 * with {@code k = kpt*Cg + cl} (kernel point major, so that a row of {@code cols} for one kernel point is a
 * run of contiguous channels). The columns are never materialised for the whole batch: a call handles one
 * batch item at a time and its pixels in chunks whose size comes from a fixed memory budget, so the
 * workspace does not grow with the batch (the official code's {@code im2col_step}, chosen automatically).
 *
 * <p>Determinism: every output element is computed by one thread in an order fixed by the shape and the
 * constants below (never by the thread count); reductions that cross chunks (weight gradient, input
 * gradient) accumulate chunk after chunk into memory that a single item owns.
 */
final class VectorDeformConv2d {

    /** Largest pixel block of a backward sampling or offset-gradient item. */
    static final int MAX_PIXEL_BLOCK = 8 * MR;
    /** Pixel block of a column-gradient item (its packed gradOut panels, {@code Og x GC_PIXELS}, stay in L2). */
    static final int GC_PIXELS = 32 * MR;
    /**
     * Most workers for which the backward pipelines the column gradient with its consumers (see
     * {@code Backward.pipelinedBlock}): its scatter takes one block at a time, in pixel order, so many workers
     * would wait on it; above this the column gradient goes through memory, chunk-wide, and the scatter is split by
     * channels. Measured on 1 and 2 workers only (benchmarks/RESULTS.md, seventh pass), hence 2.
     */
    static final int PIPELINE_MAX_THREADS = 2;
    /**
     * Default budget of one forward chunk's sample rows, were they held whole: it sizes the chunk (a bigger one means
     * fewer passes over the weights). They are sampled one {@code KC}-deep block at a time, so only {@code rows x KC}
     * floats of them exist (DESIGN.md "Vector width and GEMM tiles").
     */
    static final long FORWARD_CHUNK_BYTES = 2L << 20;
    /**
     * Output pixels a forward phase should have at least: smaller images are grouped (at most 8), so that fewer
     * phases end in a barrier (DESIGN.md "Forward phases"). 8192 rather than 2048 (twelfth pass): 8 images of 28x28
     * in one phase instead of four took 3-4% less time on 2 threads (in one JVM, same bits), for 2.8 MB more of
     * padded images.
     */
    static final int MIN_PHASE_PIXELS = 8192;
    /** Default budget of the backward chunk (columns, their gradient and the sample table), shared by all workers. */
    static final long BACKWARD_CHUNK_BYTES = 8L << 20;

    private VectorDeformConv2d() {
    }

    // ------------------------------------------------------------------------------------------------
    // Plans: chunk sizes and buffer sizes, functions of the shape (and for the forward, of the thread
    // count, which only changes how pixels are split, never an output value).
    // ------------------------------------------------------------------------------------------------

    /**
     * How the forward pass splits the pixels of one batch item, and how many batch items share a phase
     * (small images are grouped so that a phase has enough work to amortise its barrier).
     */
    record ForwardPlan(int chunks, int rowsPerGroup, int oPanels, int imagesPerPhase) {

        static ForwardPlan of(ConvGeometry g, int threads, long budget) {
            int panels = ceilDiv(g.pixels, MR);
            long bytesPerPixel = 4L * g.totalK();
            int byBudget = (int) Math.max(1, Math.min(panels, budget / bytesPerPixel / MR));
            int chunks = ceilDiv(panels, byBudget);
            // Up to four chunks per worker (so that a worker slowed by another process does not hold up
            // the phase), as long as a chunk keeps at least 8 panels to amortise its pass over the weights.
            chunks = Math.max(chunks, Math.min(4 * threads, panels / 24));
            chunks = Math.max(1, Math.min(panels, ceilDiv(chunks, threads) * threads));
            int rows = ceilDiv(panels, chunks) * MR;
            // Independent of the batch size, so that the workspace is too.
            int span = Math.max(1, Math.min(8, MIN_PHASE_PIXELS / g.pixels));
            return new ForwardPlan(chunks, rows, ceilDiv(g.outPerGroup, NR), span);
        }

        int chunkStart(ConvGeometry g, int chunk) {
            int panels = ceilDiv(g.pixels, MR);
            return Math.min(g.pixels, (int) ((long) chunk * panels / chunks) * MR);
        }

        /** One {@code KC}-deep block of a chunk's sample rows ({@link BilinearIm2col#sampleRowsBlock}). */
        long blockSize() {
            return (long) rowsPerGroup * Sgemm.KC;
        }

        /** Bytes of every array a forward call with {@code threads} workers holds. */
        long bytes(ConvGeometry g, int threads) {
            long shared = 2L * imagesPerPhase * g.paddedSize;
            long entries = SampleTable.entries(g, rowsPerGroup);
            long perWorker = blockSize() + (long) oPanels * rowsPerGroup * NR + (1 + 4 + SampleTable.FRAC) * entries;
            return 4 * (shared + threads * perWorker);
        }
    }

    /** How the backward pass splits the pixels of one batch item; independent of the thread count. */
    record BackwardPlan(int chunkPixels, int rowsPerGroup, int kPanels, boolean columns, boolean gradColumns) {

        static BackwardPlan of(ConvGeometry g, boolean columns, boolean gradColumns, long budget) {
            // Columns and their gradient, the sample table, and (with the columns, i.e. for the weight
            // gradient) the packed gradOut of the chunk. The columns are no longer held whole (each weight-gradient
            // item samples its own panels, thirteenth pass), but the chunk keeps the size they gave it: with them
            // left out of this sum, chunks twice as large at 256-512 channels took the same time (in one JVM,
            // 0.99-1.01; DESIGN.md "Weight-gradient columns").
            long perPixel = 4L * ((g.totalK() + NR) * ((columns ? 1 : 0) + (gradColumns ? 1 : 0))
                    + 8L * g.entriesPerPixel()
                    + (columns ? (long) g.groups * ceilDiv(g.outPerGroup, MR) * MR : 0));
            long fit = budget / perPixel / MR * MR;
            // Where the budget allows twice the L2 chunk or more (few channels), the L2 chunk; near it (many
            // channels: 408 against 384 pixels on a 256-channel 28x28 layer) the budget's, which does not leave a
            // small last chunk paying a whole pass over the weights (+4% measured).
            if (columns && 2 * l2Pixels(g) <= fit) fit = l2Pixels(g);
            int chunk = (int) Math.max(MR, Math.min(fit, (long) ceilDiv(g.pixels, MR) * MR));
            chunk = Math.min(chunk, g.pixels);
            int rows = ceilDiv(chunk, MR) * MR;
            return new BackwardPlan(chunk, rows, ceilDiv(g.groupK, NR), columns, gradColumns);
        }

        /**
         * Most pixels of a chunk whose sample columns take half of L2 (at least {@code 2 * GC_PIXELS}): when the
         * columns were sampled whole (until the thirteenth pass), the weight gradient read them back while they were
         * still in L2, instead of a round trip through memory; the sizes stay, measured best. The price is one more
         * pass over the weights per chunk (the column-gradient product's packed
         * weights, the weight gradient's accumulator), small where the columns are short: a 64-channel 3x3 layer's
         * weights are 147 KB, its columns 2.3 KB per pixel. The budget still caps the chunk (large layers keep theirs:
         * a 512-channel layer's 9.4 MB weights are read once per 216 pixels). In-JVM A/B of the backward, 1 and 2
         * threads: 64x56x56 11-14% less time, 8 images of 64x28x28 5-9%, 128x100x168 1% and 10%
         * (benchmarks/RESULTS.md, eighth pass).
         */
        static long l2Pixels(ConvGeometry g) {
            long pixels = VectorWidth.L2_BYTES / (2L * 4 * g.totalK()) / MR * MR;
            return Math.max(2L * GC_PIXELS, pixels);
        }

        int chunks(ConvGeometry g) {
            return ceilDiv(g.pixels, chunkPixels);
        }

        /** Row-major gradient of the columns: {@code [groups][rows][Kg]}. */
        long gradColumnsSize(ConvGeometry g) {
            return (long) g.groups * rowsPerGroup * g.groupK + NR;
        }

        /** Whether a backward with {@code threads} workers pipelines the column gradient ({@code Backward.pipelinedBlock}). */
        static boolean pipelined(int threads) {
            return threads <= PIPELINE_MAX_THREADS;
        }

        /** One pipelined block's column gradient, {@code [groups][GC_PIXELS][Kg]}. */
        static int slotSize(ConvGeometry g) {
            return g.groups * GC_PIXELS * g.groupK;
        }

        /** The pipelined blocks in flight: one slot more than the workers. */
        static long ringSize(ConvGeometry g, int threads) {
            return (long) (threads + 1) * slotSize(g) + NR;
        }

        /**
         * Column panels per weight-gradient item: about 64 channels (4 of the 16-wide panels of the 8-lane tile, 8 at
         * 4 lanes, 1 of the 64-wide panels of AVX-512's tile), so that the sampler's set-up of an entry (its table
         * reads and weights) is shared by several vectors, while the item's panels stay small ({@code rows x 64}
         * floats, 64 KB for a 256-pixel chunk). Items of one 16-wide panel took 1-2% more time at 256-512 channels.
         */
        static final int PANELS_PER_ITEM = Math.max(1, 64 / NR);

        /** Weight-gradient items per group: ranges of {@link #PANELS_PER_ITEM} k panels. */
        int weightItemsPerGroup() {
            return ceilDiv(kPanels, PANELS_PER_ITEM);
        }

        /** One item's k panels of the chunk's sample columns (the weight gradient's B): {@code [panels][rows][NR]}. */
        long columnPanelSize() {
            return (long) PANELS_PER_ITEM * rowsPerGroup * NR;
        }

        /**
         * Per-worker tiles that wait for the last reduction block: a pixel block's column-gradient tiles or a
         * k panel's weight-gradient tiles.
         */
        static long cTilesSize(ConvGeometry g) {
            return Math.max((long) GC_PIXELS, (long) ceilDiv(g.outPerGroup, MR) * MR) * NR;
        }

        /** Per-worker packed A panels: a pixel block's gradOut panels (column gradient). */
        static long aPanelSize(ConvGeometry g) {
            return (long) GC_PIXELS * g.outPerGroup;
        }

        /**
         * The chunk's gradOut as the weight gradient's A operand, packed once per chunk and shared:
         * {@code [groups][ceil(Og/MR)][rows][MR]}.
         */
        long gradOutPanelsSize(ConvGeometry g) {
            return (long) g.groups * ceilDiv(g.outPerGroup, MR) * MR * rowsPerGroup;
        }

        /** Bytes of every array a backward call with {@code threads} workers holds (as {@link Backward} asks for them). */
        long bytes(ConvGeometry g, int threads, boolean wantInput, boolean wantWeight) {
            long shared = g.paddedSize + (wantInput ? g.paddedSize : 0)
                    + (!gradColumns ? 0 : pipelined(threads) ? ringSize(g, threads) : gradColumnsSize(g))
                    + (5L + SampleTable.FRAC) * SampleTable.entries(g, rowsPerGroup)
                    + (wantWeight ? (long) g.outChannels * g.groupK + gradOutPanelsSize(g) : 0);
            long perWorker = cTilesSize(g) + aPanelSize(g) + (columns ? columnPanelSize() : 0);
            return 4 * (shared + threads * perWorker);
        }

    }

    // ------------------------------------------------------------------------------------------------
    // Forward
    // ------------------------------------------------------------------------------------------------

    /**
     * The output of one forward call, in an array from {@code outputs}: every element is written (it may hold
     * a closed output's values before).
     */
    static float[] forward(WorkerPool pool, Workspace ws, ArrayRecycler outputs, long budget, ConvGeometry g,
                           float[] input, float[] offset, float[] mask, float[] packed, float[] bias) {
        int threads = pool.parallelism();
        ForwardPlan plan = ForwardPlan.of(g, threads, budget);
        float[] out = outputs.take(length("output", (long) g.batch * g.outChannels * g.pixels));
        float[][] padded = new float[2 * plan.imagesPerPhase()][];
        for (int i = 0; i < padded.length; i++) padded[i] = ws.floats("padded#" + i, g.paddedSize);
        long entries = SampleTable.entries(g, plan.rowsPerGroup());
        float[][] blocks = ws.perWorker("sampleBlock", threads, plan.blockSize());
        float[][] cbuf = ws.perWorker("cbuf", threads, (long) plan.oPanels() * plan.rowsPerGroup() * NR);
        SampleTable[] tables = new SampleTable[threads];
        for (int w = 0; w < threads; w++) {
            tables[w] = new SampleTable(g, plan.rowsPerGroup(), ws.ints("base#" + w, entries),
                    ws.floats("weight#" + w, 4 * entries), ws.floats("frac#" + w, SampleTable.FRAC * entries), true);
        }
        // finite[slot]: whether the image padded into padded[slot] is finite; written (only ever to false) by
        // the phase that pads it, read by the next one.
        boolean[] finite = new boolean[padded.length];

        int rowBlocks = rowBlocks(g, threads);
        int rows = g.height + 2, span = plan.imagesPerPhase(), phases = ceilDiv(g.batch, span);
        // padsLeft[slot]: row blocks of the image of padded[slot] still being padded in the first phase.
        AtomicIntegerArray padsLeft = new AtomicIntegerArray(padded.length);
        // Phase j computes the chunks of images [j*span, (j+1)*span) and pads the next span of images into the
        // other half of the buffers: one barrier per span of images. Phase 0 also pads its own span, image by image
        // one ahead of the chunks that wait for it, so that no phase pads alone (DESIGN.md "Forward phases").
        for (int j = 0; j < phases; j++) {
            int phase = j;
            int first = j * span, count = Math.min(span, g.batch - first);
            int nextFirst = (j + 1) * span, nextCount = Math.max(0, Math.min(span, g.batch - nextFirst));
            int padItems = nextCount * rowBlocks;
            int ownPads = j == 0 ? count * rowBlocks : 0;
            int workItems = count * plan.chunks();
            Arrays.fill(finite, ((phase + 1) & 1) * span, ((phase + 1) & 1) * span + span, true);
            if (j == 0) {
                Arrays.fill(finite, 0, span, true);
                for (int i = 0; i < count; i++) padsLeft.set(i, rowBlocks);
            }
            long phaseStart = PhaseTimes.start();
            pool.forEach(padItems + ownPads + workItems, (it, w) -> {
                int image, slot, block;
                if (it < padItems) {
                    image = it / rowBlocks;
                    block = it % rowBlocks;
                    slot = ((phase + 1) & 1) * span + image;
                    pad(g, input, nextFirst + image, padded, finite, slot, rows, rowBlocks, block);
                    return;
                }
                int r = it - padItems;
                if (phase == 0) {
                    // Item order: the pads of image 0, then per image i the pads of image i+1 and the chunks of i.
                    if (r < rowBlocks) {
                        padFirst(g, input, padded, finite, padsLeft, 0, rows, rowBlocks, r);
                        return;
                    }
                    r -= rowBlocks;
                    int group = rowBlocks + plan.chunks();
                    image = Math.min(r / group, count - 1);
                    r -= image * group;
                    if (image + 1 < count) {
                        if (r < rowBlocks) {
                            padFirst(g, input, padded, finite, padsLeft, image + 1, rows, rowBlocks, r);
                            return;
                        }
                        r -= rowBlocks;
                    }
                    // The image's pad items come earlier in the order, so each is running or done: wait for them.
                    while (padsLeft.get(image) > 0) Thread.onSpinWait();
                } else {
                    image = r / plan.chunks();
                    r -= image * plan.chunks();
                }
                int chunk = r;
                int p0 = plan.chunkStart(g, chunk), p1 = plan.chunkStart(g, chunk + 1);
                slot = (phase & 1) * span + image;
                if (p1 > p0) {
                    tables[w].setInputFinite(finite[slot]);
                    forwardChunk(g, plan, first + image, p0, p1 - p0, offset, mask, padded[slot], packed, bias,
                            tables[w], blocks[w], cbuf[w], out);
                }
            });
            PhaseTimes.add(PhaseTimes.Slot.FORWARD_PHASES, phaseStart);
        }
        return out;
    }

    /**
     * Row block {@code block} of image {@code n}'s padded copy, into {@code padded[slot]}; clears {@code finite[slot]}
     * when the rows hold a non-finite value.
     */
    private static void pad(ConvGeometry g, float[] input, int n, float[][] padded, boolean[] finite, int slot, int rows,
                            int rowBlocks, int block) {
        long t = PhaseTimes.start();
        if (!BilinearIm2col.padNhwc(g, input, n, padded[slot], blockStart(rows, rowBlocks, block),
                blockStart(rows, rowBlocks, block + 1))) {
            finite[slot] = false;
        }
        PhaseTimes.add(PhaseTimes.Slot.FORWARD_PAD, t);
    }

    /**
     * {@link #pad} of image {@code n} of the first span (slot {@code n}), then one fewer of its row blocks left in
     * {@code padsLeft}: even when the pad failed, so that no chunk waits for ever (the phase fails with its error).
     */
    private static void padFirst(ConvGeometry g, float[] input, float[][] padded, boolean[] finite,
                                 AtomicIntegerArray padsLeft, int n, int rows, int rowBlocks, int block) {
        try {
            pad(g, input, n, padded, finite, n, rows, rowBlocks, block);
        } finally {
            padsLeft.decrementAndGet(n);
        }
    }

    /**
     * One chunk of pixels {@code [p0, p0+count)} of batch item {@code n}: the sample table, then per group and
     * {@code KC}-deep block of the reduction the block's sample rows and their product with every weight panel
     * (GotoBLAS order: the block stays in L2 while the panels pass over it from L1; {@code cbuf[op][q][NR]}
     * accumulates the blocks in ascending k), then the output.
     */
    private static void forwardChunk(ConvGeometry g, ForwardPlan plan, int n, int p0, int count, float[] offset,
                                     float[] mask, float[] padded, float[] packed, float[] bias, SampleTable table,
                                     float[] block, float[] cbuf, float[] out) {
        int rpg = plan.rowsPerGroup(), kg = g.groupK, oPanels = plan.oPanels();
        long t = PhaseTimes.start();
        table.fill(g, offset, mask, n, p0, count, 0, false);
        t = PhaseTimes.add(PhaseTimes.Slot.FORWARD_TABLE, t);
        for (int grp = 0; grp < g.groups; grp++) {
            for (int k0 = 0; k0 < kg; k0 += Sgemm.KC) {
                int kl = Math.min(Sgemm.KC, kg - k0);
                BilinearIm2col.sampleRowsBlock(g, table, padded, count, block, grp, k0, kl);
                t = PhaseTimes.add(PhaseTimes.Slot.FORWARD_SAMPLE, t);
                Sgemm.blocksTimesPanels(Sgemm.TILE, block, 0, rpg, count, kl, packed, (grp * oPanels * kg + k0) * NR, kg,
                        oPanels, cbuf, rpg, k0 > 0);
                t = PhaseTimes.add(PhaseTimes.Slot.FORWARD_GEMM, t);
            }
            storeOutput(g, plan, n, p0, count, bias, cbuf, out, grp);
            t = PhaseTimes.add(PhaseTimes.Slot.FORWARD_STORE, t);
        }
    }

    /** cbuf holds out[p][o] of group {@code grp}; the output is NCHW, so it is written transposed (+ bias). */
    private static void storeOutput(ConvGeometry g, ForwardPlan plan, int n, int p0, int count, float[] bias,
                                    float[] cbuf, float[] out, int grp) {
        int rpg = plan.rowsPerGroup(), og = g.outPerGroup;
        for (int op = 0; op < plan.oPanels(); op++) {
            int width = Math.min(NR, og - op * NR);
            for (int j = 0; j < width; j++) {
                int o = grp * og + op * NR + j;
                float b = bias == null ? 0f : bias[o];
                int dst = (n * g.outChannels + o) * g.pixels + p0;
                int src = op * rpg * NR + j;
                for (int q = 0; q < count; q++) out[dst + q] = cbuf[src + q * NR] + b;
            }
        }
    }

    /** The key of a weight tensor's forward packing ({@link VectorTensor#packed}): groups and tile. */
    private record ForwardPacking(int groups, String tile, int nr) {
    }

    /** The key of a weight tensor's backward packing. */
    private record BackwardPacking(int groups, String tile, int nr) {
    }

    /**
     * The weights in the forward's panel layout, packed once per weight tensor (tensors are immutable) and
     * kept with it; the packing is split over the workers.
     */
    static float[] packedForwardWeights(WorkerPool pool, ConvGeometry g, VectorTensor weight) {
        return weight.packed(new ForwardPacking(g.groups, Sgemm.TILE.name(), NR), data -> {
            int oPanels = ceilDiv(g.outPerGroup, NR);
            float[] packed = new float[length("packed weight", (long) g.groups * oPanels * g.groupK * NR)];
            pool.forEach(g.groups * oPanels, (i, w) -> packForward(g, data, packed, i / oPanels, i % oPanels));
            return packed;
        });
    }

    /** The weights in the backward's (column-gradient) panel layout, packed once per weight tensor. */
    static float[] packedBackwardWeights(WorkerPool pool, ConvGeometry g, VectorTensor weight) {
        return weight.packed(new BackwardPacking(g.groups, Sgemm.TILE.name(), NR), data -> {
            int kp = ceilDiv(g.groupK, NR);
            float[] packed = new float[length("packed weight", (long) g.groups * kp * g.outPerGroup * NR)];
            pool.forEach(g.groups * kp, (item, w) -> packBackward(g, data, packed, item / kp, item % kp));
            return packed;
        });
    }

    /** {@code packed[((grp*oPanels + op)*Kg + k)*NR + j] = weight[grp*Og + op*NR + j][cl][kpt]}, k = kpt*Cg + cl. */
    private static void packForward(ConvGeometry g, float[] weight, float[] packed, int grp, int op) {
        int kg = g.groupK, cg = g.channelsPerGroup, kk = g.kernelSize, oPanels = ceilDiv(g.outPerGroup, NR);
        int base = (grp * oPanels + op) * kg * NR;
        int width = Math.min(NR, g.outPerGroup - op * NR);
        int row0 = (grp * g.outPerGroup + op * NR) * cg * kk;
        // Blocks of 64 k: the written block (64 x NR) stays in L1 while the NR weight rows are read.
        for (int k0 = 0; k0 < kg; k0 += 64) {
            int k1 = Math.min(kg, k0 + 64);
            int kpt0 = k0 / cg, cl0 = k0 - kpt0 * cg;
            for (int j = 0; j < NR; j++) {
                if (j >= width) {
                    for (int k = k0; k < k1; k++) packed[base + k * NR + j] = 0f;
                    continue;
                }
                int src = row0 + j * cg * kk;
                int kpt = kpt0, cl = cl0;
                for (int k = k0; k < k1; k++) {
                    packed[base + k * NR + j] = weight[src + cl * kk + kpt];
                    if (++cl == cg) {
                        cl = 0;
                        kpt++;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Backward
    // ------------------------------------------------------------------------------------------------

    /** Gradients of one backward call; {@code null} where not asked or the argument is absent. */
    record Grads(float[] input, float[] offset, float[] mask, float[] weight, float[] bias) {
    }

    /**
     * The gradients of one backward call, in arrays from {@code outputs}: every element of each is written
     * (they may hold a closed output's values before).
     */
    static Grads backward(WorkerPool pool, Workspace ws, ArrayRecycler outputs, long budget, ConvGeometry g,
                          float[] gradOut, float[] input, float[] offset, float[] mask, VectorTensor weight,
                          boolean wantInput, boolean wantOffset, boolean wantMask, boolean wantWeight,
                          boolean wantBias) {
        int threads = pool.parallelism();
        wantOffset &= g.hasOffset;
        wantMask &= g.hasMask;
        wantBias &= g.hasBias;
        boolean needGradCols = wantInput || wantOffset || wantMask;
        // Gradients have the shapes of validated tensors, so their lengths fit an int.
        float[] gIn = wantInput ? outputs.take(g.batch * g.channels * g.planeSize) : null;
        float[] gOff = wantOffset ? outputs.take(g.batch * 2 * g.entriesPerPixel() * g.pixels) : null;
        float[] gMask = wantMask ? outputs.take(g.batch * g.entriesPerPixel() * g.pixels) : null;
        float[] gW = wantWeight ? outputs.take(g.outChannels * g.groupK) : null;
        float[] gB = wantBias ? outputs.take(g.outChannels) : null;

        if (needGradCols || wantWeight) {
            BackwardPlan plan = BackwardPlan.of(g, wantWeight, needGradCols, budget);
            float[] packedW = needGradCols ? packedBackwardWeights(pool, g, weight) : null;
            new Backward(pool, ws, g, plan, gradOut, input, offset, mask, packedW, gIn, gOff, gMask, gW).run();
        }
        if (gB != null) {
            pool.forEach(blocks(g.outChannels, 4 * threads), (b, w) -> {
                int[] r = blockRange(g.outChannels, blocks(g.outChannels, 4 * threads), b);
                for (int o = r[0]; o < r[1]; o++) gB[o] = biasGradient(g, gradOut, o);
            });
        }
        return new Grads(gIn, gOff, gMask, gW, gB);
    }

    /** {@code sum over n, p of gradOut[n][o][p]} in a fixed order: lane-wise over p, batch after batch, then a fixed lane tree. */
    private static float biasGradient(ConvGeometry g, float[] gradOut, int o) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int n = 0; n < g.batch; n++) {
            int base = (n * g.outChannels + o) * g.pixels;
            for (int p = 0; p < g.pixels; p += L) {
                VectorMask<Float> m = SPECIES.indexInRange(p, g.pixels);
                acc = acc.add(FloatVector.fromArray(SPECIES, gradOut, base + p, m));
            }
        }
        return Col2im.sumLanes(acc);
    }

    /** The state of one backward call over its phases. */
    private static final class Backward {
        final WorkerPool pool;
        final ConvGeometry g;
        final BackwardPlan plan;
        final float[] gradOut, input, offset, mask;
        final float[] gIn, gOff, gMask, gW;
        final float[] padded, gradPadded, gradCols, packedW, gradWeightAcc, gradOutPanels;
        /** Pipelined: the column gradient of the blocks in flight, {@code slots} blocks of {@code slotSize}. */
        final boolean pipelined;
        /** Where a block of the column gradient keeps element (q, k): kernel-point-major where it fits, else row-major. */
        final GradColumnsLayout gcLayout;
        final int slots, slotSize;
        /** Pipelined: a block's k-panel range, every panel. */
        final int[] allKPanels;
        /** Pipelined: blocks of the current chunk scattered (their slots free), in pixel order. */
        final AtomicInteger retired = new AtomicInteger();
        /** Pipelined: an item failed, so that items waiting for its block stop waiting. */
        volatile boolean failed;
        /** Pipelined: blocks of the chunk whose column gradient and offsets are done (1), awaiting the scatter. */
        final AtomicIntegerArray ready;
        /** Pipelined: held by the worker that scatters ready blocks in order. */
        final AtomicBoolean draining = new AtomicBoolean();
        /** Pipelined: blocks in the current chunk. */
        int chunkBlocks;
        final SampleTable table;
        final float[][] cTiles, aPanels;
        /** Per worker: one item's k panels of the chunk's sample columns, sampled by the weight-gradient item. */
        final float[][] columnPanels;
        final int threads, pixelBlock, rowBlocks, channelBlocks, oPanels;

        Backward(WorkerPool pool, Workspace ws, ConvGeometry g, BackwardPlan plan, float[] gradOut, float[] input,
                 float[] offset, float[] mask, float[] packedW, float[] gIn, float[] gOff, float[] gMask, float[] gW) {
            this.pool = pool;
            this.g = g;
            this.plan = plan;
            this.gradOut = gradOut;
            this.input = input;
            this.offset = offset;
            this.mask = mask;
            this.gIn = gIn;
            this.gOff = gOff;
            this.gMask = gMask;
            this.gW = gW;
            threads = pool.parallelism();
            padded = ws.floats("padded", g.paddedSize);
            gradPadded = gIn != null ? ws.floats("gradPadded", g.paddedSize) : null;
            pipelined = plan.gradColumns() && BackwardPlan.pipelined(threads);
            slots = threads + 1;
            slotSize = BackwardPlan.slotSize(g);
            allKPanels = new int[] {0, plan.kPanels()};
            ready = new AtomicIntegerArray(pipelined ? ceilDiv(plan.chunkPixels(), GC_PIXELS) : 0);
            gradCols = !plan.gradColumns() ? null
                    : pipelined ? ws.floats("gradColsRing", BackwardPlan.ringSize(g, threads))
                    : ws.floats("gradCols", plan.gradColumnsSize(g));
            // Kernel-point-major brings the column-gradient product's tile rows together (GradColumnsLayout).
            int gcRows = pipelined ? GC_PIXELS : plan.rowsPerGroup();
            gcLayout = GradColumnsLayout.kernelPointMajorFits(g) ? GradColumnsLayout.kernelPointMajor(g, gcRows)
                    : GradColumnsLayout.rowMajor(g, gcRows);
            this.packedW = plan.gradColumns() ? packedW : null;
            gradWeightAcc = gW != null ? ws.floats("gradWeight", (long) g.outChannels * g.groupK) : null;
            gradOutPanels = gW != null ? ws.floats("gradOutPanels", plan.gradOutPanelsSize(g)) : null;
            long entries = SampleTable.entries(g, plan.rowsPerGroup());
            table = new SampleTable(g, plan.rowsPerGroup(), ws.ints("base", entries),
                    ws.floats("weight", 4 * entries), ws.floats("frac", SampleTable.FRAC * entries), true);
            cTiles = ws.perWorker("cTiles", threads, BackwardPlan.cTilesSize(g));
            columnPanels = plan.columns() ? ws.perWorker("columnPanel", threads, plan.columnPanelSize()) : null;
            aPanels = ws.perWorker("aPanel", threads, BackwardPlan.aPanelSize(g));
            // Work splits below only decide who computes what, never an output value.
            pixelBlock = Math.max(MR, Math.min(MAX_PIXEL_BLOCK,
                    ceilDiv(ceilDiv(plan.chunkPixels(), 4 * threads), MR) * MR));
            rowBlocks = rowBlocks(g, threads);
            // The input-gradient scatter repeats the per-sample set-up in every channel block, so it is
            // split only as far as needed to keep the workers busy next to the weight gradient.
            channelBlocks = blocks(ceilDiv(g.channels, L), Math.max(1, threads / 2));
            oPanels = ceilDiv(g.outPerGroup, MR);
            if (gradWeightAcc != null) Arrays.fill(gradWeightAcc, 0, g.outChannels * g.groupK, 0f);
        }

        void run() {
            int chunks = plan.chunks(g);
            boolean[] finite = new boolean[1];
            for (int n = 0; n < g.batch; n++) {
                int item = n;
                finite[0] = true;
                long phaseStart = PhaseTimes.start();
                pool.forEach(rowBlocks, (b, w) -> {
                    long t = PhaseTimes.start();
                    int r0 = blockStart(g.height + 2, rowBlocks, b), r1 = blockStart(g.height + 2, rowBlocks, b + 1);
                    if (!BilinearIm2col.padNhwc(g, input, item, padded, r0, r1)) finite[0] = false;
                    if (gradPadded != null) Col2im.clearRows(g, gradPadded, r0, r1);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_PAD, t);
                });
                PhaseTimes.add(PhaseTimes.Slot.BACKWARD_PAD_PHASE, phaseStart);
                table.setInputFinite(finite[0]);
                for (int c = 0; c < chunks; c++) {
                    int p0 = c * plan.chunkPixels(), count = Math.min(plan.chunkPixels(), g.pixels - p0);
                    chunk(item, p0, count);
                }
                if (gIn != null) {
                    int blocks = blocks(ceilDiv(g.channels, L), 2 * threads);
                    phaseStart = PhaseTimes.start();
                    pool.forEach(blocks, (b, w) -> {
                        long t = PhaseTimes.start();
                        int[] r = channelRange(blocks, b);
                        Col2im.unpadNhwc(g, gradPadded, item, gIn, r[0], r[1]);
                        PhaseTimes.add(PhaseTimes.Slot.BACKWARD_UNPAD, t);
                    });
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_UNPAD_PHASE, phaseStart);
                }
            }
            if (gW != null) {
                int kk = g.kernelSize, cg = g.channelsPerGroup;
                int blocks = blocks(g.outChannels, 4 * threads);
                pool.forEach(blocks, (b, w) -> {
                    int[] r = blockRange(g.outChannels, blocks, b);
                    for (int o = r[0]; o < r[1]; o++) {
                        for (int cl = 0; cl < cg; cl++) {
                            for (int kpt = 0; kpt < kk; kpt++) {
                                gW[(o * cg + cl) * kk + kpt] = gradWeightAcc[o * g.groupK + kpt * cg + cl];
                            }
                        }
                    }
                });
            }
        }

        private int[] channelRange(int blocks, int block) {
            int[] r = blockRange(ceilDiv(g.channels, L), blocks, block);
            return new int[] {r[0] * L, Math.min(g.channels, r[1] * L)};
        }

        /**
         * Pixels {@code [p0, p0+count)} of batch item {@code n}: the sample table, the gradient of the columns,
         * then the three consumers of those (weight gradient, which samples the column panels it multiplies, input
         * scatter, offset and mask gradients), each phase a barrier.
         */
        private void chunk(int n, int p0, int count) {
            int panels = ceilDiv(count, pixelBlock);
            int packItems = gradOutPanels != null ? g.groups * oPanels : 0;
            long phaseStart = PhaseTimes.start();
            pool.forEach(panels + packItems, (b, w) -> {
                long t = PhaseTimes.start();
                if (b < panels) {
                    int block = threads > 1 ? spreadBlock(b, panels) : b;
                    int q0 = block * pixelBlock, len = Math.min(pixelBlock, count - q0);
                    table.fill(g, offset, mask, n, p0 + q0, len, q0, true);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_SAMPLE, t);
                } else {
                    packGradOut(n, p0, count, (b - panels) / oPanels, (b - panels) % oPanels);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_PACK, t);
                }
            });
            phaseStart = PhaseTimes.add(PhaseTimes.Slot.BACKWARD_SAMPLE_PHASE, phaseStart);
            if (pipelined) {
                int qBlocks = ceilDiv(count, GC_PIXELS);
                int weightItems = gW != null ? g.groups * plan.weightItemsPerGroup() : 0;
                retired.set(0);
                chunkBlocks = qBlocks;
                for (int i = 0; i < qBlocks; i++) ready.set(i, 0);
                // Blocks first, in pixel order (the pool hands items out in ascending order, so the block a
                // worker waits for has been taken by a running worker), then the weight panels.
                pool.forEach(qBlocks + weightItems, (it, w) -> {
                    if (it < qBlocks) {
                        pipelinedBlock(n, p0, count, it, w);
                    } else {
                        long t = PhaseTimes.start();
                        int wi = it - qBlocks;
                        weightGradient(count, wi / plan.weightItemsPerGroup(), wi % plan.weightItemsPerGroup(),
                                cTiles[w], columnPanels[w]);
                        PhaseTimes.add(PhaseTimes.Slot.BACKWARD_WEIGHT, t);
                    }
                });
                if (retired.get() != qBlocks) {
                    // Never seen: the flag protocol of drain() leaves no ready block behind.
                    throw new IllegalStateException("internal: " + retired.get() + " of " + qBlocks
                            + " pipelined blocks scattered at the end of the phase");
                }
                PhaseTimes.add(PhaseTimes.Slot.BACKWARD_PIPELINE_PHASE, phaseStart);
                return;
            }
            if (gradCols != null) {
                // Items: (group, block of GC_PIXELS pixels, range of k panels). A k range keeps its weight
                // panels in cache while every pixel of the block passes over them.
                int qBlocks = ceilDiv(count, GC_PIXELS);
                int kr = blocks(plan.kPanels(), ceilDiv(2 * threads, qBlocks * g.groups));
                pool.forEach(g.groups * qBlocks * kr, (it, w) -> {
                    long t = PhaseTimes.start();
                    int grp = it / (qBlocks * kr), rest = it % (qBlocks * kr);
                    int q0 = (rest / kr) * GC_PIXELS;
                    gradColumns(n, p0, grp, q0, Math.min(GC_PIXELS, count - q0),
                            blockRange(plan.kPanels(), kr, rest % kr), cTiles[w], aPanels[w], 0);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_GRAD_COLUMNS, t);
                });
                phaseStart = PhaseTimes.add(PhaseTimes.Slot.BACKWARD_GRAD_COLUMNS_PHASE, phaseStart);
            }
            int weightItems = gW != null ? g.groups * plan.weightItemsPerGroup() : 0;
            int scatterItems = gIn != null ? channelBlocks : 0;
            int offsetItems = gOff != null || gMask != null ? panels : 0;
            // Largest items first (the scatter blocks, then the offset blocks, then the many small weight
            // panels), so that the phase does not end on one big item.
            pool.forEach(weightItems + scatterItems + offsetItems, (it, w) -> {
                long t = PhaseTimes.start();
                if (it < scatterItems) {
                    int[] r = channelRange(channelBlocks, it);
                    Col2im.scatter(g, table, gradCols, 0, gcLayout, 0, count, r[0], r[1], gradPadded);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_SCATTER, t);
                } else if (it >= scatterItems + offsetItems) {
                    int wi = it - scatterItems - offsetItems;
                    weightGradient(count, wi / plan.weightItemsPerGroup(), wi % plan.weightItemsPerGroup(),
                            cTiles[w], columnPanels[w]);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_WEIGHT, t);
                } else {
                    int q0 = (it - scatterItems) * pixelBlock;
                    Col2im.offsetMaskGrads(g, table, padded, gradCols, 0, gcLayout, n, p0, q0,
                            Math.min(pixelBlock, count - q0), gOff, gMask);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_OFFSET, t);
                }
            });
            PhaseTimes.add(PhaseTimes.Slot.BACKWARD_CONSUMERS_PHASE, phaseStart);
        }

        /**
         * Block {@code b} of {@code GC_PIXELS} pixels of the chunk, pipelined: its column gradient (every group, every
         * k panel) into a ring slot and its offset and mask gradients; then it is ready, and the ready blocks are
         * scattered into the input gradient in pixel order by whichever worker holds {@link #draining} (no worker
         * waits for its turn; runs of blocks are scattered on one core). The column gradient never leaves the
         * caches for memory (chunk-wide it was written once and read twice: a third of the column-gradient
         * product's time, benchmarks/RESULTS.md sixth pass). The same arithmetic as the chunk-wide phases, and the
         * scatter adds to every element in the same order (blocks in pixel order, pixels in order), so the same
         * bits. A block waits only for its slot, i.e. for blocks before it, which running workers took before it
         * and which the waiter scatters itself when they are ready: no deadlock, whatever the pool's other callers
         * do. Every item ends only when nothing ready is left unscattered, or another worker, still in its item,
         * holds the flag and looks again after letting it go; so the phase ends with every block scattered.
         */
        private void pipelinedBlock(int n, int p0, int count, int b, int w) {
            try {
                int q0 = b * GC_PIXELS, len = Math.min(GC_PIXELS, count - q0);
                int slot = b % slots;
                // The slot's previous block (b - slots) must be done; slots exceed the workers, so it is.
                awaitRetired(b - slots + 1, count);
                // Element (q, k) of group grp at gcLayout.at(gcOff, grp, q, k), for local pixels q of the block.
                int gcOff = slot * slotSize - gcLayout.at(0, 0, q0, 0);
                long t = PhaseTimes.start();
                for (int grp = 0; grp < g.groups; grp++) {
                    gradColumns(n, p0, grp, q0, len, allKPanels, cTiles[w], aPanels[w], gcOff);
                }
                t = PhaseTimes.add(PhaseTimes.Slot.BACKWARD_GRAD_COLUMNS, t);
                if (gOff != null || gMask != null) {
                    Col2im.offsetMaskGrads(g, table, padded, gradCols, gcOff, gcLayout, n, p0, q0, len, gOff, gMask);
                    PhaseTimes.add(PhaseTimes.Slot.BACKWARD_OFFSET, t);
                }
                ready.set(b, 1);
                drain(count);
            } catch (Throwable e) {
                failed = true;
                throw e;
            }
        }

        /** Waits until {@code blocks} blocks of the chunk are scattered, scattering ready ones meanwhile. */
        private void awaitRetired(int blocks, int count) {
            for (int spins = 0; retired.get() < blocks; spins++) {
                if (failed) throw new IllegalStateException("internal: a block of this backward call failed");
                drain(count);
                if (spins < 2_000) Thread.onSpinWait();
                else LockSupport.parkNanos(20_000);
            }
        }

        /**
         * Scatters the ready blocks in pixel order, if no other worker is doing so: whoever holds {@link #draining}
         * scatters every block that is ready next, then looks once more after letting go (a block made ready
         * while it held the flag, by a worker that found the flag taken, is then seen).
         */
        private void drain(int count) {
            while (draining.compareAndSet(false, true)) {
                int k = retired.get();
                try {
                    while (k < chunkBlocks && ready.get(k) == 1) {
                        if (gIn != null) scatterBlock(k, count);
                        retired.set(++k);
                    }
                } finally {
                    draining.set(false);
                }
                if (k >= chunkBlocks || ready.get(k) == 0) return;
            }
        }

        private void scatterBlock(int b, int count) {
            long t = PhaseTimes.start();
            int q0 = b * GC_PIXELS, len = Math.min(GC_PIXELS, count - q0);
            int gcOff = (b % slots) * slotSize - gcLayout.at(0, 0, q0, 0);
            Col2im.scatter(g, table, gradCols, gcOff, gcLayout, q0, len, 0, g.channels, gradPadded);
            PhaseTimes.add(PhaseTimes.Slot.BACKWARD_SCATTER, t);
        }

        /**
         * {@code gradCols_g[q][k] = sum_o gradOut[n][g*Og + o][p0+q] * W_g[o][k]} for local pixels
         * {@code [q0, q0+len)} and the k panels {@code [kRange[0], kRange[1])}: the gradient of the sample
         * rows (the transposed forward product), element {@code (q, k)} at {@code gcLayout.at(gcOff, grp, q, k)} of
         * {@code gradCols}. The gradOut panels of the block are packed once, then every k panel of the range
         * passes over them.
         */
        private void gradColumns(int n, int p0, int grp, int q0, int len, int[] kRange, float[] cTiles,
                                 float[] aPanel, int gcOff) {
            int kg = g.groupK, og = g.outPerGroup, kPanels = plan.kPanels();
            int pixels = g.pixels, qPanels = ceilDiv(len, MR);
            for (int qp = 0; qp < qPanels; qp++) {
                int rows = Math.min(MR, len - qp * MR);
                int src = (n * g.outChannels + grp * og) * pixels + p0 + q0 + qp * MR;
                Sgemm.packA(gradOut, src, 1, pixels, rows, og, aPanel, qp * og * MR);
            }
            // The reduction over the output channels in KC-deep blocks: a block of a weight panel (KC x NR,
            // half of L1) stays there while every pixel tile of the item passes over it; the tiles' sums
            // wait in place where the columns are kernel-point-major (a tile's rows C floats apart, all NR
            // columns in one kernel point; rows past len are the block's spare rows), else in cTiles (one MR x NR
            // tile per pixel tile, copied into the rows after the last block: the columns may end mid-panel).
            // Near-equal blocks of at most KC (128 = 64 + 64, not 96 + 32: a short block pays a whole tile's
            // set-up and store for few multiply-adds).
            boolean inPlace = !gcLayout.rowMajor();
            int oBlocks = ceilDiv(og, Sgemm.KC);
            for (int kp = kRange[0]; kp < kRange[1]; kp++) {
                int bo = (grp * kPanels + kp) * og * NR;
                for (int ob = 0; ob < oBlocks; ob++) {
                    int o0 = blockStart(og, oBlocks, ob), ol = blockStart(og, oBlocks, ob + 1) - o0;
                    for (int qp = 0; qp < qPanels; qp++) {
                        int ao = (qp * og + o0) * MR, bko = bo + o0 * NR;
                        if (inPlace) {
                            Sgemm.TILE.multiply(aPanel, ao, packedW, bko, ol, gradCols,
                                    gcLayout.at(gcOff, grp, q0 + qp * MR, kp * NR), gcLayout.rowStride(), o0 > 0);
                        } else {
                            Sgemm.TILE.multiply(aPanel, ao, packedW, bko, ol, cTiles, qp * MR * NR, NR, o0 > 0);
                        }
                    }
                }
                if (inPlace) continue;
                int width = Math.min(NR, kg - kp * NR);
                for (int qp = 0; qp < qPanels; qp++) {
                    int q = q0 + qp * MR;
                    Sgemm.storeRows(cTiles, qp * MR * NR, Math.min(MR, len - qp * MR), width, gradCols,
                            gcLayout.at(gcOff, grp, q, kp * NR), gcLayout.rowStride(), false);
                }
            }
        }

        /**
         * {@code gradOutPanels[grp][op][q][i] = gradOut[n][grp*Og + op*MR + i][p0 + q]} for one panel of MR output
         * channels (rows past Og zero): the weight gradient's A operand for the whole chunk.
         */
        private void packGradOut(int n, int p0, int count, int grp, int op) {
            int og = g.outPerGroup, rows = Math.min(MR, og - op * MR);
            int src = (n * g.outChannels + grp * og + op * MR) * g.pixels + p0;
            Sgemm.packA(gradOut, src, g.pixels, 1, rows, count, gradOutPanels,
                    (grp * oPanels + op) * plan.rowsPerGroup() * MR);
        }

        /**
         * {@code gW_g[o][k] += sum_q gradOut[n][g*Og+o][p0+q] * cols_g[q][k]} for every output channel and the
         * k panels of weight-gradient item {@code item} ({@link BackwardPlan#PANELS_PER_ITEM} of them). The item
         * first samples those column panels into {@code cols} ({@link BilinearIm2col#sampleColumnPanels}: in L1/L2,
         * where a whole chunk's columns, sampled in the phase before, were read back from L3 or memory; same values);
         * then per panel, GotoBLAS order: a KC-deep block of the column panel ({@code KC x NR}, half of L1)
         * stays in L1 while every gradOut panel passes over it, and the panel's tiles ({@code Og x NR}, in L2)
         * accumulate the blocks in ascending q; they are added to the accumulator once per chunk. (Adding each
         * block straight to the accumulator, as before, sent 2.4-9.4 MB of partial sums through memory per
         * 96-pixel block on the ResNet shapes.)
         */
        private void weightGradient(int count, int grp, int item, float[] cTiles, float[] cols) {
            int kg = g.groupK, og = g.outPerGroup, rpg = plan.rowsPerGroup();
            int kp0 = item * BackwardPlan.PANELS_PER_ITEM;
            int kp1 = Math.min(plan.kPanels(), kp0 + BackwardPlan.PANELS_PER_ITEM);
            BilinearIm2col.sampleColumnPanels(g, table, padded, count, cols, grp, kp0, kp1, rpg);
            for (int kp = kp0; kp < kp1; kp++) {
                int width = Math.min(NR, kg - kp * NR);
                int bo = (kp - kp0) * rpg * NR;
                int qBlocks = ceilDiv(count, Sgemm.KC);
                for (int qb = 0; qb < qBlocks; qb++) {
                    int q0 = blockStart(count, qBlocks, qb), ql = blockStart(count, qBlocks, qb + 1) - q0;
                    for (int op = 0; op < oPanels; op++) {
                        Sgemm.TILE.multiply(gradOutPanels, ((grp * oPanels + op) * rpg + q0) * MR, cols, bo + q0 * NR,
                                ql, cTiles, op * MR * NR, NR, q0 > 0);
                    }
                }
                for (int op = 0; op < oPanels; op++) {
                    Sgemm.storeRows(cTiles, op * MR * NR, Math.min(MR, og - op * MR), width, gradWeightAcc,
                            (grp * og + op * MR) * kg + kp * NR, kg, true);
                }
            }
        }
    }

    /** {@code packed[((grp*kPanels + kp)*Og + o)*NR + j] = weight[grp*Og + o][cl][kpt]} for k = kp*NR + j = kpt*Cg + cl. */
    private static void packBackward(ConvGeometry g, float[] weight, float[] packed, int grp, int kp) {
        int kg = g.groupK, cg = g.channelsPerGroup, kk = g.kernelSize, og = g.outPerGroup;
        int kPanels = ceilDiv(kg, NR);
        int base = (grp * kPanels + kp) * og * NR;
        int k0 = kp * NR, width = Math.min(NR, kg - k0);
        int kpt0 = k0 / cg, cl0 = k0 - kpt0 * cg;
        for (int o = 0; o < og; o++) {
            int src = (grp * og + o) * cg * kk;
            int dst = base + o * NR;
            int kpt = kpt0, cl = cl0;
            for (int j = 0; j < width; j++) {
                packed[dst + j] = weight[src + cl * kk + kpt];
                if (++cl == cg) {
                    cl = 0;
                    kpt++;
                }
            }
            for (int j = width; j < NR; j++) packed[dst + j] = 0f;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Splitting helpers
    // ------------------------------------------------------------------------------------------------

    /** {@code n} as an array length; {@link IllegalArgumentException} naming {@code what} when too large. */
    static int length(String what, long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": expected at most " + (Integer.MAX_VALUE - 8)
                    + " elements, got " + n);
        }
        return (int) n;
    }

    /**
     * The pixel block that sampling item {@code item} of {@code blocks} fills: 0, h, 1, h+1, 2, ... with
     * {@code h = ceil(blocks/2)}. The pool hands items out in ascending order, so consecutive items run side by side on
     * different workers; spread apart, they do not write neighbouring blocks of the sample table's planes at the same
     * time (the segments of two neighbouring blocks share a cache line at each of their ~100 plane boundaries). 2
     * threads, 64 channels: 2-5% less backward time at 512 and 256 bits, 256 channels unchanged; on 1 thread the
     * ascending order stays (0.5-2% faster there; benchmarks/RESULTS.md, ninth pass). Who fills what only.
     */
    static int spreadBlock(int item, int blocks) {
        return item % 2 == 0 ? item / 2 : (blocks + 1) / 2 + item / 2;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Blocks to split {@code total} units into: at most {@code wanted}, at least 1. */
    static int blocks(int total, int wanted) {
        return Math.max(1, Math.min(total, wanted));
    }

    /** Start of block {@code b} of {@code blocks} near-equal blocks of {@code total}. */
    static int blockStart(int total, int blocks, int b) {
        return (int) ((long) b * total / blocks);
    }

    static int[] blockRange(int total, int blocks, int b) {
        return new int[] {blockStart(total, blocks, b), blockStart(total, blocks, b + 1)};
    }

    private static int rowBlocks(ConvGeometry g, int threads) {
        return blocks(g.height + 2, 2 * threads);
    }
}
