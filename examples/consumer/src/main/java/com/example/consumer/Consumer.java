package com.example.consumer;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.Random;

/**
 * Runs one deformable convolution forward and backward on the default backend and checks it against the
 * reference backend. Usage: {@code Consumer EXPECTED_BACKEND classpath|modulepath}; exit status 0 only
 * if the default backend is the expected one, the program runs where it was told (a named module or
 * the class path), and every result agrees with the reference.
 */
public final class Consumer {

    private Consumer() {
    }

    public static void main(String[] args) {
        if (args.length != 2 || !(args[1].equals("classpath") || args[1].equals("modulepath"))) {
            System.err.println("usage: Consumer EXPECTED_BACKEND classpath|modulepath");
            System.exit(2);
        }
        String expectedBackend = args[0];
        boolean modulePath = args[1].equals("modulepath");

        Module api = Backends.class.getModule();
        String where = modulePath ? "module path" : "class path";
        check(Consumer.class.getModule().isNamed() == modulePath, "the consumer runs on the " + where);
        check(api.isNamed() == modulePath && (!modulePath || api.getName().equals("dcn4j")),
                "dcn4j's API is " + (modulePath ? "module 'dcn4j'" : "in the unnamed module") + ", got " + api);

        int n = 2, c = 4, h = 7, w = 6, o = 3, k = 3;
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        int ho = spec.outputHeight(h, k), wo = spec.outputWidth(w, k);
        Random random = new Random(12);
        double[] input = values(random, n * c * h * w, 1.0);
        double[] offset = values(random, n * 2 * k * k * ho * wo, 1.5);  // (dy, dx) between pixels
        double[] weight = values(random, o * c * k * k, 0.5);
        double[] gradOut = values(random, n * o * ho * wo, 1.0);
        int[] inputShape = {n, c, h, w}, offsetShape = {n, 2 * k * k, ho, wo}, weightShape = {o, c, k, k};
        int[] outShape = {n, o, ho, wo};

        try (Backend backend = Backends.open(); Backend reference = Backends.open("reference")) {
            check(backend.name().equals(expectedBackend),
                    "the default backend is '" + expectedBackend + "', got '" + backend.name() + "'");
            double[][] fast = run(backend, spec, inputShape, input, offsetShape, offset, weightShape, weight,
                    outShape, gradOut);
            double[][] exact = run(reference, spec, inputShape, input, offsetShape, offset, weightShape, weight,
                    outShape, gradOut);
            String[] names = {"output", "grad input", "grad offset", "grad weight"};
            double[] tolerance = {1e-5, 1e-4, 1e-4, 1e-4};  // float32 against float64 (README "How conformance is judged")
            for (int i = 0; i < names.length; i++) {
                double error = relativeError(fast[i], exact[i]);
                System.out.printf("%s on the %s: %-11s relative error vs reference %.2e%n",
                        backend.name(), where, names[i], error);
                check(error <= tolerance[i], names[i] + " within " + tolerance[i] + " of the reference");
            }
        }
        System.out.println("consumer OK on the " + where + " (module of dcn4j: " + api + ")");
    }

    /** Output, then the gradients of input, offset and weight. */
    private static double[][] run(Backend backend, DeformConv2dSpec spec, int[] inputShape, double[] input,
                                  int[] offsetShape, double[] offset, int[] weightShape, double[] weight,
                                  int[] outShape, double[] gradOut) {
        try (Tensor x = backend.tensor(inputShape, input);
             Tensor off = backend.tensor(offsetShape, offset);
             Tensor wt = backend.tensor(weightShape, weight);
             Tensor out = backend.deformConv2d(spec, x, off, null, wt, null);
             Tensor g = backend.tensor(outShape, gradOut);
             DeformConv2dGradients grads = backend.deformConv2dBackward(spec, g, x, off, null, wt, null,
                     EnumSet.of(Gradient.INPUT, Gradient.OFFSET, Gradient.WEIGHT))) {
            return new double[][] {out.toDoubleArray(), grads.input().toDoubleArray(),
                    grads.offset().toDoubleArray(), grads.weight().toDoubleArray()};
        }
    }

    private static double[] values(Random random, int count, double scale) {
        double[] v = new double[count];
        // Float-representable values: the float32 backend and the float64 reference see the same numbers.
        for (int i = 0; i < count; i++) v[i] = (float) (scale * (2 * random.nextDouble() - 1));
        return v;
    }

    private static double relativeError(double[] got, double[] want) {
        double diff = 0, norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (got[i] - want[i]) * (got[i] - want[i]);
            norm += want[i] * want[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer FAILED: expected " + what);
            System.exit(1);
        }
    }
}
