package dcn4j.vector;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a call's time goes, by phase and by kind of work item: a diagnostic, off unless the JVM starts with
 * {@code -Ddcn4j.vector.phaseTimes=true} (benchmarks/README.md, section 9; {@code PhaseProfile} prints it).
 *
 * <p>Two measures, both wall-clock nanoseconds: a phase's <em>wall</em> time (from {@link WorkerPool#forEach}
 * call to its return: what the caller waits), and the <em>busy</em> time of each kind of item, summed over the
 * workers. With {@code T} workers, {@code T * wall - busy} of a phase is time its workers spent waiting: for a
 * helper to wake, for the last item (imbalance) or for the barrier. Items are timed where they are handed out
 * ({@link VectorDeformConv2d}), never inside a kernel, so that the kernels C2 compiles are the same with the
 * recording on or off; off, {@link #ENABLED} is a constant {@code false} and the timing code is dead.
 */
final class PhaseTimes {

    /** The system property that turns the recording on. */
    static final String PROPERTY = "dcn4j.vector.phaseTimes";
    static final boolean ENABLED = Boolean.getBoolean(PROPERTY);

    /** Phases (wall time) and kinds of items (busy time), in the order of a call. */
    enum Slot {
        /** Forward: its phases, each padding the next images and computing chunks of the current ones. */
        FORWARD_PHASES("forward phases (wall)", true),
        FORWARD_PAD("  pad input (NCHW -> padded NHWC)", false),
        FORWARD_TABLE("  sample table", false),
        FORWARD_SAMPLE("  bilinear sampling into columns", false),
        FORWARD_GEMM("  product (GEMM)", false),
        FORWARD_STORE("  output store (transposed, + bias)", false),
        BACKWARD_PAD_PHASE("backward: pad input, clear input gradient (wall)", true),
        BACKWARD_PAD("  pad + clear items", false),
        BACKWARD_SAMPLE_PHASE("backward: table, gradOut panels (wall)", true),
        BACKWARD_SAMPLE("  sample table items", false),
        BACKWARD_PACK("  gradOut packing items", false),
        /** Up to {@link VectorDeformConv2d#PIPELINE_MAX_THREADS} workers; otherwise the next two phases. */
        BACKWARD_PIPELINE_PHASE("backward: column gradient + scatter, offsets/mask, weight gradient, pipelined (wall)",
                true),
        BACKWARD_GRAD_COLUMNS_PHASE("backward: column gradient (wall)", true),
        BACKWARD_GRAD_COLUMNS("  column-gradient product items (GEMM)", false),
        BACKWARD_CONSUMERS_PHASE("backward: scatter, offsets/mask, weight gradient (wall)", true),
        BACKWARD_SCATTER("  input-gradient scatter items", false),
        BACKWARD_OFFSET("  offset and mask gradient items", false),
        BACKWARD_WEIGHT("  weight-gradient items (column panels sampled, GEMM)", false),
        BACKWARD_UNPAD_PHASE("backward: input gradient to NCHW (wall)", true),
        BACKWARD_UNPAD("  unpad items", false);

        final String label;
        /** A phase's wall time (the others are items' busy time). */
        final boolean wall;

        Slot(String label, boolean wall) {
            this.label = label;
            this.wall = wall;
        }

        /** The kinds of item a phase runs: its waiting time is threads x wall minus their busy time. */
        List<Slot> items() {
            return switch (this) {
                case FORWARD_PHASES -> List.of(FORWARD_PAD, FORWARD_TABLE, FORWARD_SAMPLE, FORWARD_GEMM, FORWARD_STORE);
                case BACKWARD_PAD_PHASE -> List.of(BACKWARD_PAD);
                case BACKWARD_SAMPLE_PHASE -> List.of(BACKWARD_SAMPLE, BACKWARD_PACK);
                case BACKWARD_PIPELINE_PHASE -> List.of(BACKWARD_GRAD_COLUMNS, BACKWARD_SCATTER, BACKWARD_OFFSET,
                        BACKWARD_WEIGHT);
                case BACKWARD_GRAD_COLUMNS_PHASE -> List.of(BACKWARD_GRAD_COLUMNS);
                case BACKWARD_CONSUMERS_PHASE -> List.of(BACKWARD_SCATTER, BACKWARD_OFFSET, BACKWARD_WEIGHT);
                case BACKWARD_UNPAD_PHASE -> List.of(BACKWARD_UNPAD);
                default -> List.of();
            };
        }
    }

    private static final LongAdder[] NANOS = new LongAdder[Slot.values().length];
    private static final LongAdder[] EVENTS = new LongAdder[Slot.values().length];

    static {
        for (int i = 0; i < NANOS.length; i++) {
            NANOS[i] = new LongAdder();
            EVENTS[i] = new LongAdder();
        }
    }

    private PhaseTimes() {
    }

    /** A start time for {@link #add}, or 0 when the recording is off. */
    static long start() {
        return ENABLED ? System.nanoTime() : 0L;
    }

    /** Adds the time since {@code start} to {@code slot}; returns now (the start of what follows). */
    static long add(Slot slot, long start) {
        if (!ENABLED) return 0L;
        long now = System.nanoTime();
        NANOS[slot.ordinal()].add(now - start);
        EVENTS[slot.ordinal()].increment();
        return now;
    }

    /** Total nanoseconds recorded in {@code slot} since the last {@link #reset}. */
    static long nanos(Slot slot) {
        return NANOS[slot.ordinal()].sum();
    }

    /** Times {@code slot} was recorded since the last {@link #reset}. */
    static long events(Slot slot) {
        return EVENTS[slot.ordinal()].sum();
    }

    /** Forgets everything recorded (call between calls, not during one). */
    static void reset() {
        for (int i = 0; i < NANOS.length; i++) {
            NANOS[i].reset();
            EVENTS[i].reset();
        }
    }
}
