package dcn4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The goal line of {@link SideBySide}: counted on the unrounded ratios, so that a ratio just under a threshold
 * (printed 1.100 at three decimals) is a miss; the dense ratios taken from the server's medians of ratios or, with
 * dense figures from a file, as ratios of medians.
 */
class SideBySideTest {

    private static SideBySide.Row row(double fwd, double ort, double bwd, double denseFwd, double denseBwd,
                                      double ortRatio, double fwdRatio, double bwdRatio) {
        return new SideBySide.Row(fwd, ort, bwd, denseFwd, denseBwd, ortRatio, fwdRatio, bwdRatio, 0, 0, false);
    }

    @Test
    void goalsCountUnroundedRatiosAgainstEachThreshold() {
        List<SideBySide.Ratios> rows = List.of(
                new SideBySide.Ratios(1.0996, 0.7499, 1.6001),
                new SideBySide.Ratios(1.1, 0.75, 1.6),
                new SideBySide.Ratios(1.3, 0.71, 1.2),
                new SideBySide.Ratios(1.2, 0.69, 1.0));
        assertEquals("Goals (unrounded ratios): forward >= 1.1x ORT on 3 of 4 rows (lowest 1.100); forward >= 0.75x"
                + " dense on 1 of 4 (>= 0.7: 3; lowest 0.690); backward <= 1.6x dense on 3 of 4 (highest 1.600).",
                SideBySide.goals(rows));
    }

    @Test
    void rowsWithoutDenseFiguresCountOnlyForOrt() {
        List<SideBySide.Ratios> rows = List.of(new SideBySide.Ratios(1.2, Double.NaN, Double.NaN));
        assertEquals("Goals (unrounded ratios): forward >= 1.1x ORT on 1 of 1 rows (lowest 1.200); no dense conv2d"
                + " figures measured in this run.", SideBySide.goals(rows));
    }

    @Test
    void ratiosComeFromTheServersMediansOrFromTheFilesMedians() {
        SideBySide.Row served = row(10, 12, 20, 8, 15, 1.25, 0.85, 1.3);
        assertEquals(new SideBySide.Ratios(1.25, 0.85, 1.3), SideBySide.Ratios.of(served, Map.of("dense_fwd_ms", 1.0)));
        SideBySide.Row fromFile = row(10, 12, 20, Double.NaN, Double.NaN, 1.25, Double.NaN, Double.NaN);
        assertEquals(new SideBySide.Ratios(1.25, 0.8, 1.25),
                SideBySide.Ratios.of(fromFile, Map.of("dense_fwd_ms", 8.0, "dense_bwd_ms", 16.0)));
        SideBySide.Ratios none = SideBySide.Ratios.of(fromFile, Map.of());
        assertEquals(1.25, none.ort());
        assertEquals(Double.NaN, none.denseFwd());
    }
}
