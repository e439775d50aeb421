package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a child JVM by {@link VectorWidthTest} with a forced width or without FMA: every tile
 * ({@link GemmTileChecks}), the edge cases and six random cases of {@link VectorDeformConv2dTest}, forward
 * and backward against the reference within that test's tolerances, and bit-identical results for 1 and 3
 * threads. Prints the width line, then {@code PASS} or the failures, and exits 0 or 1.
 */
final class VectorWidthCheck {

    private VectorWidthCheck() {
    }

    public static void main(String[] args) {
        System.out.println(VectorBackend.describeHost(1));
        List<String> failures = new ArrayList<>(GemmTileChecks.run());
        double worstF = 0, worstB = 0;
        try (Backend reference = Backends.open("reference"); Backend vector = new VectorBackend(2);
             Backend one = new VectorBackend(1); Backend three = new VectorBackend(3)) {
            // The edge cases and the first random ones: enough for every path, few enough for five child JVMs.
            List<ConvCase> cases = new ArrayList<>(VectorDeformConv2dTest.edgeCases().toList());
            cases.addAll(VectorDeformConv2dTest.randomCases().limit(6).toList());
            for (ConvCase c : cases) {
                double ef = ConvCase.relativeError(c.forward(vector), c.forward(reference));
                worstF = Math.max(worstF, ef);
                if (!(ef <= VectorDeformConv2dTest.FORWARD_TOLERANCE)) failures.add(c + ": forward error " + ef);
                double[][] ref = c.backward(reference), got = c.backward(vector);
                for (int i = 0; i < ref.length; i++) {
                    if (ref[i] == null) continue;
                    double eb = ConvCase.relativeError(got[i], ref[i]);
                    worstB = Math.max(worstB, eb);
                    if (!(eb <= VectorDeformConv2dTest.BACKWARD_TOLERANCE)) {
                        failures.add(c + ": grad_" + ConvCase.GRAD_NAMES[i] + " error " + eb);
                    }
                }
            }
            ConvCase c = VectorDeterminismTest.CASE;
            if (!Arrays.equals(c.forward(one), c.forward(three))) failures.add("forward differs for 1 and 3 threads");
            double[][] g1 = c.backward(one), g3 = c.backward(three);
            for (int i = 0; i < g1.length; i++) {
                if (!Arrays.equals(g1[i], g3[i])) failures.add("grad_" + ConvCase.GRAD_NAMES[i] + " differs for 1 and 3 threads");
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
