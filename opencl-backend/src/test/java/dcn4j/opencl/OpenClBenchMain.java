package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A small side-by-side timing of deformable convolution forward on several backends, by name
 * through {@link Backends#open}, for when {@code dcn4j bench} is not at hand. Not a test: run it
 * with {@code java ... dcn4j.opencl.OpenClBenchMain [--backends opencl,vector] [--reps 5]
 * [--warmup 3] [--backward] [N,C,H,W,O ...]}. Shapes use a 3x3 kernel, padding 1, random offsets;
 * the median of the timed calls is printed, and GFLOP/s as 2*N*O*C*9*Ho*Wo per forward (x3 with
 * {@code --backward}, a rough count for input and weight gradients).
 */
public final class OpenClBenchMain {

    private OpenClBenchMain() {
    }

    public static void main(String[] args) {
        List<String> backends = new ArrayList<>(List.of("opencl", "vector"));
        List<int[]> shapes = new ArrayList<>();
        int reps = 5;
        int warmup = 3;
        boolean backward = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backends" -> backends = Arrays.asList(args[++i].split(","));
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--backward" -> backward = true;
                default -> shapes.add(Arrays.stream(args[i].split(",")).mapToInt(Integer::parseInt).toArray());
            }
        }
        if (shapes.isEmpty()) {
            shapes = List.of(new int[] {1, 64, 56, 56, 64}, new int[] {8, 64, 28, 28, 64},
                    new int[] {1, 256, 28, 28, 256}, new int[] {2, 512, 14, 14, 512});
        }
        System.out.printf(Locale.ROOT, "%-18s %-8s %12s %10s%n", "shape N,C,H,W,O", "backend", "median ms", "GFLOP/s");
        for (int[] sh : shapes) {
            for (String name : backends) {
                try (Backend b = Backends.open(name, BackendOptions.defaults())) {
                    double ms = time(b, sh, reps, warmup, backward);
                    double flops = 2.0 * sh[0] * sh[4] * sh[1] * 9 * sh[2] * sh[3] * (backward ? 3 : 1);
                    System.out.printf(Locale.ROOT, "%-18s %-8s %12.2f %10.2f%n", join(sh), name, ms, flops / ms / 1e6);
                } catch (RuntimeException e) {
                    System.out.printf(Locale.ROOT, "%-18s %-8s unavailable: %s%n", join(sh), name, e.getMessage());
                }
            }
        }
    }

    private static double time(Backend b, int[] sh, int reps, int warmup, boolean backward) {
        int n = sh[0], c = sh[1], h = sh[2], w = sh[3], o = sh[4];
        Random r = new Random(42);
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        Tensor in = b.tensor(new int[] {n, c, h, w}, random(r, n * c * h * w, 1));
        Tensor off = b.tensor(new int[] {n, 18, h, w}, random(r, n * 18 * h * w, 2));
        Tensor wt = b.tensor(new int[] {o, c, 3, 3}, random(r, o * c * 9, 0.05f));
        Tensor go = b.tensor(new int[] {n, o, h, w}, random(r, n * o * h * w, 1));
        double[] t = new double[reps];
        for (int i = -warmup; i < reps; i++) { // warm-up: kernel compilation, JIT
            long t0 = System.nanoTime();
            if (backward) {
                b.deformConv2dBackward(spec, go, in, off, null, wt, null, Gradient.all()).close();
            } else {
                b.deformConv2d(spec, in, off, null, wt, null).close();
            }
            if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    private static float[] random(Random r, int count, float scale) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) r.nextGaussian() * scale;
        return f;
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }
}
