package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link PhaseTimes} records nothing unless asked, and what {@link PhaseProfile} prints from it obeys the laws of
 * wall-clock time: busy time of a phase's items never exceeds threads x the phase's wall time, the phases lie
 * inside their calls, and every phase and kind of item of a call with all gradients is seen (the backward's
 * pipelined phase on 2 workers, its two chunk-wide phases instead on 4).
 */
class PhaseTimesTest {

    @Test
    void recordsNothingWhenOff() {
        assertFalse(PhaseTimes.ENABLED, "the test JVM runs without -D" + PhaseTimes.PROPERTY);
        SplittableRandom r = new SplittableRandom(3);
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        try (VectorBackend b = new VectorBackend(2);
             Tensor x = b.tensor(new int[] {1, 8, 6, 7}, AllocationCheck.random(r, 8 * 42, 1));
             Tensor w = b.tensor(new int[] {4, 8, 3, 3}, AllocationCheck.random(r, 4 * 72, 1));
             Tensor off = b.tensor(new int[] {1, 18, 6, 7}, AllocationCheck.random(r, 18 * 42, 2));
             Tensor go = b.tensor(new int[] {1, 4, 6, 7}, AllocationCheck.random(r, 4 * 42, 1));
             Tensor y = b.deformConv2d(spec, x, off, null, w, null);
             DeformConv2dGradients g = b.deformConv2dBackward(spec, go, x, off, null, w, null, Gradient.all())) {
            assertTrue(y.shape()[1] == 4 && g != null);
        }
        for (PhaseTimes.Slot slot : PhaseTimes.Slot.values()) {
            assertEquals(0, PhaseTimes.events(slot), slot.name());
            assertEquals(0, PhaseTimes.nanos(slot), slot.name());
        }
    }

    @Test
    void profileObeysWallClockLaws() throws Exception {
        // 2 workers pipeline the backward's column gradient, more than PIPELINE_MAX_THREADS do not.
        int[] threads = {2, VectorDeformConv2d.PIPELINE_MAX_THREADS + 2};
        VectorWidthTest.Result r = VectorWidthTest.runChild(PhaseProfile.class,
                List.of("-Ddcn4j.phaseProfile.warmUp=0.5"), List.of("20", threads[0] + "," + threads[1], "1,16,12,12,8"));
        assertEquals(0, r.exit(), r.output());
        // Rows: | label | ms on 1 thread | per call | ms on 2 threads | per call |
        Map<String, double[]> rows = new HashMap<>();
        for (String line : r.output().split("\n")) {
            String[] cells = line.split("\\|");
            if (cells.length != 6 || !cells[2].trim().matches("-?[0-9.]+")) continue;
            String label = cells[1].strip();
            double[] v = {Double.parseDouble(cells[2].trim()), Double.parseDouble(cells[4].trim()),
                    cells[3].isBlank() ? -1 : Double.parseDouble(cells[3].trim()),
                    cells[5].isBlank() ? -1 : Double.parseDouble(cells[5].trim())};
            // "waiting" repeats under every phase: keep each under its own key.
            rows.put(label.startsWith("waiting") ? "waiting after " + rows.size() : label, v);
        }
        for (PhaseTimes.Slot slot : PhaseTimes.Slot.values()) {
            double[] v = rows.get(slot.label.strip());
            assertTrue(v != null, "no row for " + slot.label + " in:\n" + r.output());
            for (int t = 0; t < 2; t++) {
                boolean pipelined = threads[t] <= VectorDeformConv2d.PIPELINE_MAX_THREADS;
                boolean runs = switch (slot) {
                    case BACKWARD_PIPELINE_PHASE -> pipelined;
                    case BACKWARD_GRAD_COLUMNS_PHASE, BACKWARD_CONSUMERS_PHASE -> !pipelined;
                    default -> true;
                };
                assertTrue(runs == v[2 + t] > 0, slot.label + (runs ? " recorded nothing" : " recorded, but this path")
                        + " on " + threads[t] + " threads:\n" + r.output());
                assertTrue(v[t] >= 0, slot.label + ": negative time:\n" + r.output());
            }
        }
        for (Map.Entry<String, double[]> e : rows.entrySet()) {
            // 20 us of slack per call for the clock reads themselves.
            if (e.getKey().startsWith("waiting")) {
                for (int t = 0; t < 2; t++) assertTrue(e.getValue()[t] > -0.02, e.getKey() + ": busy > threads x wall:\n" + r.output());
            }
        }
        double[] forward = rows.get("forward call (wall)"), phases = rows.get(PhaseTimes.Slot.FORWARD_PHASES.label);
        double[] backward = rows.get("backward call (wall)");
        double backwardPhases = 0;
        for (PhaseTimes.Slot slot : PhaseTimes.Slot.values()) {
            if (slot.wall && slot != PhaseTimes.Slot.FORWARD_PHASES) backwardPhases += rows.get(slot.label.strip())[0];
        }
        assertTrue(phases[0] <= forward[0] + 0.02 && phases[1] <= forward[1] + 0.02, r.output());
        assertTrue(backwardPhases <= backward[0] + 0.02, r.output());
    }
}
