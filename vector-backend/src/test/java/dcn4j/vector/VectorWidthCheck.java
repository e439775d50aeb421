package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.Gradient;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.Tolerances;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Named;

/**
 * Run in a child JVM by {@link VectorWidthTest} with a forced width or without FMA: every tile
 * ({@link GemmTileChecks}), the edge cases and six random cases of {@link VectorDeformConv2dTest}, forward
 * and backward against the reference with the suite's measure and tolerances, and bit-identical results for 1 and 3
 * threads. Prints the width line, then {@code PASS} or the failures, and exits 0 or 1.
 */
final class VectorWidthCheck {

    private VectorWidthCheck() {
    }

    public static void main(String[] args) {
        System.out.println(VectorBackend.describeHost(1));
        List<String> failures = new ArrayList<>(GemmTileChecks.run());
        double worstF = 0, worstB = 0;
        try (Backend vector = new VectorBackend(2); Backend one = new VectorBackend(1);
             Backend three = new VectorBackend(3)) {
            // The edge cases and the first random ones: enough for every path, few enough for seven child JVMs.
            List<ConvCase> cases = new ArrayList<>(VectorDeformConv2dTest.edgeCases().map(Named::getPayload).toList());
            cases.addAll(VectorDeformConv2dTest.randomCases().limit(6).map(Named::getPayload).toList());
            for (ConvCase c : cases) {
                try {
                    double ef = ReferenceErrors.forward(c, c.forward(vector));
                    worstF = Math.max(worstF, ef);
                    if (!(ef <= Tolerances.FORWARD)) failures.add(c + ": forward error " + ef);
                    for (Map.Entry<Gradient, Double> e
                            : ReferenceErrors.backward(c, VectorDeformConv2dTest.gradients(vector, c)).entrySet()) {
                        worstB = Math.max(worstB, e.getValue());
                        if (!(e.getValue() <= Tolerances.BACKWARD)) {
                            failures.add(c + ": " + e.getKey().fileStem() + " error " + e.getValue());
                        }
                    }
                } catch (AssertionError | RuntimeException e) {
                    failures.add(c + ": " + e);
                }
            }
            ConvCase c = VectorDeterminismTest.CASE;
            double[][] r1 = VectorDeterminismTest.results(one, c), r3 = VectorDeterminismTest.results(three, c);
            for (int i = 0; i < r1.length; i++) {
                if (!Arrays.equals(r1[i], r3[i])) failures.add("result #" + i + " differs for 1 and 3 threads");
            }
        }
        System.out.printf("worst forward error %.3g, worst backward error %.3g%n", worstF, worstB);
        if (failures.isEmpty()) {
            System.out.println("PASS");
            System.exit(0);
        }
        failures.stream().limit(20).forEach(System.out::println);
        System.out.println("FAIL: " + failures.size() + " failures");
        System.exit(1);
    }
}
