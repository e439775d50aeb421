package dcn4j.benchmarks;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Deformable convolution, 3x3 with padding 1, on the shapes of the speed table (issue 5):
 * {@code NxCxHxWxO} (JMH splits parameter values at commas). Forward and backward (all gradients), deformable (offsets uniform in [-2, 2]) or
 * plain (no offset), on any backend by name. Average time per call in milliseconds.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "benchmarks/target/classes:benchmarks/target/lib/*" \
 *      org.openjdk.jmh.Main DeformConv2dBenchmark -p shape=1x64x56x56x64 -p backend=vector
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class DeformConv2dBenchmark {

    @Param({"1x64x56x56x64", "8x64x28x28x64", "1x256x28x28x256", "2x512x14x14x512"})
    public String shape;

    @Param({"vector"})
    public String backend;

    /** {@code true}: offsets uniform in [-2, 2]; {@code false}: no offset (plain convolution, same operator). */
    @Param({"true", "false"})
    public boolean deformable;

    /** Worker threads for CPU backends; 0 = one per core. */
    @Param({"0"})
    public int threads;

    private Backend b;
    private DeformConv2dSpec spec;
    private Tensor input, offset, weight, gradOut;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int n = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]), h = Integer.parseInt(p[2]);
        int w = Integer.parseInt(p[3]), o = Integer.parseInt(p[4]);
        b = Backends.open(backend, new BackendOptions(-1, threads));
        spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        Random r = new Random(1);
        input = b.tensor(new int[] {n, c, h, w}, uniform(r, n * c * h * w, 1));
        weight = b.tensor(new int[] {o, c, 3, 3}, uniform(r, o * c * 9, 1 / Math.sqrt(9.0 * c)));
        offset = deformable ? b.tensor(new int[] {n, 18, h, w}, uniform(r, n * 18 * h * w, 2)) : null;
        gradOut = b.tensor(new int[] {n, o, h, w}, uniform(r, n * o * h * w, 1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        b.close();
    }

    @Benchmark
    public void forward(Blackhole bh) {
        try (Tensor out = b.deformConv2d(spec, input, offset, null, weight, null)) {
            bh.consume(out);
        }
    }

    @Benchmark
    public void backward(Blackhole bh) {
        try (DeformConv2dGradients g = b.deformConv2dBackward(spec, gradOut, input, offset, null, weight, null,
                Gradient.all())) {
            bh.consume(g);
        }
    }

    private static float[] uniform(Random r, int count, double range) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float) ((2 * r.nextDouble() - 1) * range);
        return a;
    }
}
