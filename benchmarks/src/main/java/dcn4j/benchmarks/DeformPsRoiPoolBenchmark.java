package dcn4j.benchmarks;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
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
 * Deformable PS RoI pooling in the R-FCN head configuration of the paper (7x7 position-sensitive grid,
 * 7x7 parts, 4x4 samples per bin, 300 RoIs on a stride-16 feature map of a 600x800 image), forward and
 * backward. Average time per call in milliseconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class DeformPsRoiPoolBenchmark {

    @Param({"vector"})
    public String backend;

    /** Output channels per RoI (classes + 1 in R-FCN's class-aware head; 8 for the box regression head). */
    @Param({"8", "21"})
    public int outputDim;

    @Param({"0"})
    public int threads;

    private Backend b;
    private DeformPsRoiPoolSpec spec;
    private Tensor input, rois, offset, gradOut;

    @Setup(Level.Trial)
    public void setUp() {
        int group = 7, pooled = 7, rCount = 300, h = 38, w = 50;
        spec = new DeformPsRoiPoolSpec(1.0 / 16, outputDim, group, pooled, 7, 4, 0.1);
        b = Backends.open(backend, new BackendOptions(-1, threads));
        Random r = new Random(1);
        int c = spec.inputChannels();
        float[] in = new float[c * h * w];
        for (int i = 0; i < in.length; i++) in[i] = (float) (2 * r.nextDouble() - 1);
        float[] roi = new float[rCount * 5];
        for (int i = 0; i < rCount; i++) {
            float x1 = (float) (r.nextDouble() * 700), y1 = (float) (r.nextDouble() * 500);
            roi[i * 5 + 1] = x1;
            roi[i * 5 + 2] = y1;
            roi[i * 5 + 3] = x1 + 32 + (float) (r.nextDouble() * 300);
            roi[i * 5 + 4] = y1 + 32 + (float) (r.nextDouble() * 300);
        }
        float[] off = new float[rCount * 2 * 7 * 7];
        for (int i = 0; i < off.length; i++) off[i] = (float) (2 * r.nextDouble() - 1);
        float[] go = new float[rCount * outputDim * pooled * pooled];
        for (int i = 0; i < go.length; i++) go[i] = (float) (2 * r.nextDouble() - 1);
        input = b.tensor(new int[] {1, c, h, w}, in);
        rois = b.tensor(new int[] {rCount, 5}, roi);
        offset = b.tensor(new int[] {rCount, 2, 7, 7}, off);
        gradOut = b.tensor(new int[] {rCount, outputDim, pooled, pooled}, go);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        b.close();
    }

    @Benchmark
    public void forward(Blackhole bh) {
        try (Tensor out = b.deformPsRoiPool(spec, input, rois, offset)) {
            bh.consume(out);
        }
    }

    @Benchmark
    public void backward(Blackhole bh) {
        try (DeformPsRoiPoolGradients g = b.deformPsRoiPoolBackward(spec, gradOut, input, rois, offset,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            bh.consume(g);
        }
    }
}
