package dcn4j.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.BackendOptions;
import dcn4j.conformance.internal.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The suite catches bugs: it runs in full against {@link MutantBackend}s, one per planted bug, and
 * each must fail at least one property; the bug-free independent implementation and the
 * reference's float64 result rounded to float32 must pass every property. The table of which
 * properties caught which bug is printed and written to {@code target/planted-bugs.txt}.
 */
class PlantedBugsTest {

    /** Tries per property: the default of a {@code dcn4j conformance} run. */
    private static final int TRIES = Settings.DEFAULT_TRIES;

    /** Full suite runs allowed to catch the (scheduler-dependent) race; it was caught in the first run 17 times of 17. */
    private static final int RACE_RUNS = 3;

    private static final Map<MutantBackend.Bug, List<String>> CAUGHT_BY = new ConcurrentSkipListMap<>();

    @ParameterizedTest
    @EnumSource(MutantBackend.Bug.class)
    void everyPlantedBugIsCaughtAndNoCorrectBackendIsFlagged(MutantBackend.Bug bug) {
        // A race shows only when threads interleave, which is up to the scheduler: the suite gets up to
        // RACE_RUNS full runs (fresh seeds) to catch it. Every other bug is deterministic: one run.
        int runs = bug == MutantBackend.Bug.RACE_IN_BACKWARD ? RACE_RUNS : 1;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ConformanceRunner.BackendReport report = null;
        List<String> failed = List.of();
        for (int run = 0; run < runs && failed.isEmpty(); run++) {
            ConformanceRunner.Options options = new ConformanceRunner.Options(TRIES, null, null, false, null,
                    new PrintStream(log, true, StandardCharsets.UTF_8));
            report = ConformanceRunner.run(new MutantBackend.Provider(bug), BackendOptions.defaults(), options);
            failed = report.results().stream().filter(ConformanceRunner.PropertyResult::failed)
                    .map(p -> p.op() + " " + p.rule()).toList();
        }
        CAUGHT_BY.put(bug, failed);
        String details = log.toString(StandardCharsets.UTF_8);
        assertTrue(report.results().size() >= 23, "the whole suite ran:\n" + details);
        if (bug.mustPass) {
            assertTrue(failed.isEmpty(), bug + " (" + bug.description + ") must pass every property:\n" + details);
        } else {
            assertTrue(!failed.isEmpty(), bug + " (" + bug.description + ") was not caught:\n" + details);
        }
    }

    @AfterAll
    static void printTable() throws IOException {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-32s %-8s %s%n", "planted bug", "caught",
                "by properties"));
        for (Map.Entry<MutantBackend.Bug, List<String>> e : CAUGHT_BY.entrySet()) {
            b.append(String.format(Locale.ROOT, "%-32s %-8s %s%n", e.getKey(),
                    e.getValue().size() + (e.getKey().mustPass ? " (0 ok)" : ""),
                    e.getValue().stream().collect(Collectors.joining(", "))));
        }
        System.out.print(b);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) Files.writeString(target.resolve("planted-bugs.txt"), b.toString());
    }
}
