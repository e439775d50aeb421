package dcn4j.cli;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.Backends;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.vector.VectorProvider;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dcn4j bench}: times one operator on one backend (DESIGN.md "Command line") and reports the
 * median wall time and GFLOP/s ({@code 2*N*O*(C/groups)*kh*kw*Ho*Wo} per forward; a backward pass
 * that computes the input and weight gradients does two such products, so it is counted as twice that).
 * Offsets are uniform in {@code [-r, r]} (default 2), so samples fall between pixels as in a trained
 * network. With {@code --json} the last line is one JSON object.
 *
 * <p>{@code --op deform_psroi_pool} times deformable PS RoI pooling instead ({@code --shape N,D,H,W,R}: an
 * input of {@code D*groupSize^2} channels, {@code R} random RoIs inside the image) and reports RoIs/s and
 * bilinear samples/s ({@code R*D*pooled^2*samplePerPart^2} samples per forward).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time deform_conv2d (median ms, GFLOP/s) or deform_psroi_pool (RoIs/s, samples/s), forward or backward.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", description = "backend name (default: -Ddcn4j.backend, DCN4J_BACKEND, else the best available)")
    String backend;

    @Option(names = "--op", defaultValue = "deform_conv2d",
            description = "operator: deform_conv2d (default) or deform_psroi_pool")
    String op;

    @Option(names = "--shape", required = true,
            description = "N,C,H,W,O,kh,kw for deform_conv2d; N,D,H,W,R (D output channels, R RoIs) for deform_psroi_pool")
    String shape;

    @Option(names = "--group-size", defaultValue = "7", description = "deform_psroi_pool: position-sensitive grid (default 7)")
    int groupSize;

    @Option(names = "--pooled-size", defaultValue = "7", description = "deform_psroi_pool: output bins per side (default 7)")
    int pooledSize;

    @Option(names = "--part-size", defaultValue = "7", description = "deform_psroi_pool: offset grid per side (default 7)")
    int partSize;

    @Option(names = "--sample-per-part", defaultValue = "4", description = "deform_psroi_pool: samples per bin per side (default 4)")
    int samplePerPart;

    @Option(names = "--spatial-scale", defaultValue = "0.0625", description = "deform_psroi_pool: image-to-map scale (default 1/16)")
    double spatialScale;

    @Option(names = "--trans-std", defaultValue = "0.1", description = "deform_psroi_pool: offset scale (default 0.1)")
    double transStd;

    @Option(names = "--padding", defaultValue = "0,0", description = "ph,pw (default 0,0)")
    String padding;

    @Option(names = "--stride", defaultValue = "1,1", description = "sh,sw (default 1,1)")
    String stride;

    @Option(names = "--dilation", defaultValue = "1,1", description = "dh,dw (default 1,1)")
    String dilation;

    @Option(names = "--groups", defaultValue = "1", description = "groups (default 1)")
    int groups;

    @Option(names = "--offset-groups", defaultValue = "1", description = "offset groups (default 1)")
    int offsetGroups;

    @Option(names = "--mask", description = "modulated (DCNv2): pass a mask")
    boolean mask;

    @Option(names = "--bias", description = "pass a bias")
    boolean bias;

    @Option(names = "--no-offset", description = "no offset: plain convolution on the same operator")
    boolean noOffset;

    @Option(names = "--offset-range", defaultValue = "2", description = "offsets uniform in [-r, r] (default 2)")
    double offsetRange;

    @Option(names = "--backward", description = "time the backward pass (all gradients) instead of the forward")
    boolean backward;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed runs first, at least (default 3)")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "2",
            description = "keep warming up at least this long (default 2): Vector API code is slow until the JIT compiles it")
    double warmupSeconds;

    @Option(names = "--iterations", defaultValue = "10", description = "timed runs (default 10)")
    int iterations;

    @Option(names = "--threads", defaultValue = "0", description = "worker threads for CPU backends (0 = one per core)")
    int threads;

    @Option(names = "--device", defaultValue = "-1", description = "device index for backends with several")
    int device;

    @Option(names = "--seed", defaultValue = "1", description = "random seed of the operands")
    long seed;

    @Option(names = "--dtype", paramLabel = "DTYPE",
            description = "tensor dtype: the backend's native one (default), or F32, F64, F16, BF16")
    String dtype;

    @Option(names = "--json", description = "print one JSON object as the last line")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (op.equals("deform_psroi_pool")) return psRoiPool(out, err);
        if (!op.equals("deform_conv2d")) {
            throw new IllegalArgumentException("--op: expected deform_conv2d or deform_psroi_pool, got '" + op + "'");
        }
        checkTiming();
        int[] s = ints("--shape", shape, 7);
        int[] pad = ints("--padding", padding, 2), str = ints("--stride", stride, 2), dil = ints("--dilation", dilation, 2);
        if (!(offsetRange >= 0) || Double.isInfinite(offsetRange)) {
            throw new IllegalArgumentException("--offset-range: expected finite >= 0, got " + offsetRange);
        }
        DeformConv2dSpec conv = new DeformConv2dSpec(str[0], str[1], pad[0], pad[1], dil[0], dil[1], groups, offsetGroups);
        int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4], kh = s[5], kw = s[6];
        for (int i = 0; i < 7; i++) {
            if (s[i] < 1) throw new IllegalArgumentException("--shape: expected every value >= 1, got " + shape);
        }
        if (c % groups != 0 || o % groups != 0 || c % offsetGroups != 0) {
            throw new IllegalArgumentException("--groups/--offset-groups: expected divisors of C=" + c + " (and O=" + o
                    + " for groups), got groups " + groups + ", offset groups " + offsetGroups);
        }
        int ho = conv.outputHeight(h, kh), wo = conv.outputWidth(w, kw);
        if (ho < 1 || wo < 1) {
            throw new IllegalArgumentException("--shape: output size " + ho + "x" + wo + " is empty for these parameters");
        }
        BackendOptions options = new BackendOptions(device, threads);
        String name = backend != null ? backend : BackendsCommand.defaultBackendName();
        Random rnd = new Random(seed);
        DType requested = parseDType(dtype);
        try (Backend b = Backends.open(name, options)) {
            DType dt = dtypeOn(b, requested);
            Tensor input = b.tensor(dt, new int[] {n, c, h, w}, uniform(rnd, (long) n * c * h * w, 1));
            Tensor weight = b.tensor(dt, new int[] {o, c / groups, kh, kw}, uniform(rnd, (long) o * (c / groups) * kh * kw,
                    1 / Math.sqrt((double) c / groups * kh * kw)));
            Tensor offset = noOffset ? null : b.tensor(dt, new int[] {n, 2 * offsetGroups * kh * kw, ho, wo},
                    uniform(rnd, (long) n * 2 * offsetGroups * kh * kw * ho * wo, offsetRange));
            Tensor maskT = mask ? b.tensor(dt, new int[] {n, offsetGroups * kh * kw, ho, wo},
                    unit(rnd, (long) n * offsetGroups * kh * kw * ho * wo)) : null;
            Tensor biasT = bias ? b.tensor(dt, new int[] {o}, uniform(rnd, o, 1)) : null;
            Tensor gradOut = backward ? b.tensor(dt, new int[] {n, o, ho, wo}, uniform(rnd, (long) n * o * ho * wo, 1))
                    : null;
            Runnable call = backward
                    ? () -> {
                        try (DeformConv2dGradients g = b.deformConv2dBackward(conv, gradOut, input, offset, maskT, weight,
                                biasT, Gradient.all())) {
                            touch(g.input());
                        }
                    }
                    : () -> {
                        try (Tensor t = b.deformConv2d(conv, input, offset, maskT, weight, biasT)) {
                            touch(t);
                        }
                    };
            double[] ms = time(call, err);
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            double flops = 2.0 * n * o * (c / groups) * kh * kw * ho * wo * (backward ? 2 : 1);
            double gflops = flops / (median * 1e-3) / 1e9;
            long workspace = b.name().equals(VectorProvider.NAME) ? VectorProvider.peakWorkspaceBytes(b) : -1;
            String what = (backward ? "backward" : "forward") + (noOffset ? " (no offset: plain convolution)" : "");
            out.printf(Locale.ROOT, "deform_conv2d %s on %s, %s tensors [%s]%n", what, b.name(), dt, b.description());
            out.printf(Locale.ROOT, "  N,C,H,W,O,kh,kw = %s  pad %d,%d stride %d,%d dilation %d,%d groups %d offset groups %d%s%s%n",
                    shape, pad[0], pad[1], str[0], str[1], dil[0], dil[1], groups, offsetGroups, mask ? " mask" : "",
                    bias ? " bias" : "");
            out.printf(Locale.ROOT, "  median %.3f ms  min %.3f ms  max %.3f ms over %d runs  %.1f GFLOP/s%s%n", median,
                    sorted[0], sorted[sorted.length - 1], iterations, gflops,
                    workspace >= 0 ? String.format(Locale.ROOT, "  workspace %.2f MiB", workspace / 1048576.0) : "");
            out.printf(Locale.ROOT, "  process CPU time: median %.3f ms per run (all threads)%n", medianCpuMs());
            if (json) {
                out.println(String.format(Locale.ROOT,
                        "{\"backend\":\"%s\",\"dtype\":\"%s\",\"op\":\"deform_conv2d\",\"pass\":\"%s\",\"shape\":[%s],\"padding\":[%d,%d],"
                                + "\"stride\":[%d,%d],\"dilation\":[%d,%d],\"groups\":%d,\"offset_groups\":%d,"
                                + "\"offset\":%b,\"mask\":%b,\"bias\":%b,\"threads\":%d,\"iterations\":%d,"
                                + "\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"gflops\":%.6g,\"flops\":%.0f,"
                                + "\"workspace_bytes\":%d,\"cpu_median_ms\":%.4f}",
                        b.name(), dt, backward ? "backward" : "forward", shape, pad[0], pad[1], str[0], str[1], dil[0], dil[1],
                        groups, offsetGroups, !noOffset, mask, bias, options.effectiveThreads(), iterations, median,
                        sorted[0], sorted[sorted.length - 1], gflops, flops, workspace, medianCpuMs()));
            }
            out.flush();
        }
        return 0;
    }

    /** {@code null} for the backend's native dtype, else the named one (case-insensitive). */
    private static DType parseDType(String text) {
        if (text == null) return null;
        try {
            return DType.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dtype: expected F32, F64, F16 or BF16, got '" + text + "'");
        }
    }

    /** {@code requested} (or the native dtype) when {@code b} supports it, else the one-line error. */
    private static DType dtypeOn(Backend b, DType requested) {
        DType d = requested != null ? requested : b.nativeDType();
        if (!b.supports(d)) {
            throw new IllegalArgumentException("--dtype: expected a dtype backend '" + b.name() + "' supports, got " + d);
        }
        return d;
    }

    private void checkTiming() {
        if (warmup < 0) throw new IllegalArgumentException("--warmup: expected >= 0, got " + warmup);
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup-seconds: expected >= 0, got " + warmupSeconds);
        }
        if (iterations < 1) throw new IllegalArgumentException("--iterations: expected >= 1, got " + iterations);
    }

    /**
     * {@code --op deform_psroi_pool}: R-FCN's head. RoIs are random boxes inside the image
     * ({@code H/scale x W/scale}), offsets uniform in {@code [-1, 1]} (times {@code --trans-std} inside the
     * operator) unless {@code --no-offset}; one offset class.
     */
    private int psRoiPool(PrintWriter out, PrintWriter err) {
        checkTiming();
        int[] s = ints("--shape", shape, 5);
        for (int i = 0; i < 5; i++) {
            if (s[i] < 1) throw new IllegalArgumentException("--shape: expected every value >= 1, got " + shape);
        }
        int n = s[0], d = s[1], h = s[2], w = s[3], r = s[4];
        DeformPsRoiPoolSpec ps = new DeformPsRoiPoolSpec(spatialScale, d, groupSize, pooledSize, partSize, samplePerPart,
                transStd);
        int c = ps.inputChannels();
        BackendOptions options = new BackendOptions(device, threads);
        String name = backend != null ? backend : BackendsCommand.defaultBackendName();
        Random rnd = new Random(seed);
        double imageH = h / spatialScale, imageW = w / spatialScale;
        double[] roiData = new double[5 * r];
        for (int i = 0; i < r; i++) {
            double x1 = rnd.nextDouble() * imageW * 0.8, y1 = rnd.nextDouble() * imageH * 0.8;
            roiData[5 * i] = rnd.nextInt(n);
            roiData[5 * i + 1] = x1;
            roiData[5 * i + 2] = y1;
            roiData[5 * i + 3] = Math.min(imageW - 1, x1 + 16 + rnd.nextDouble() * imageW * 0.4);
            roiData[5 * i + 4] = Math.min(imageH - 1, y1 + 16 + rnd.nextDouble() * imageH * 0.4);
        }
        DType requested = parseDType(dtype);
        try (Backend b = Backends.open(name, options)) {
            DType dt = dtypeOn(b, requested);
            Tensor input = b.tensor(dt, new int[] {n, c, h, w}, uniform(rnd, (long) n * c * h * w, 1));
            Tensor rois = b.tensor(dt, new int[] {r, 5}, roiData);
            Tensor offset = noOffset ? null : b.tensor(dt, new int[] {r, 2, partSize, partSize},
                    uniform(rnd, (long) r * 2 * partSize * partSize, 1));
            Tensor gradOut = backward ? b.tensor(dt, new int[] {r, d, pooledSize, pooledSize},
                    uniform(rnd, (long) r * d * pooledSize * pooledSize, 1)) : null;
            Runnable call = backward
                    ? () -> {
                        try (DeformPsRoiPoolGradients g = b.deformPsRoiPoolBackward(ps, gradOut, input, rois, offset,
                                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
                            touch(g.input());
                        }
                    }
                    : () -> {
                        try (Tensor t = b.deformPsRoiPool(ps, input, rois, offset)) {
                            touch(t);
                        }
                    };
            double[] ms = time(call, err);
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            double samples = (double) r * d * pooledSize * pooledSize * samplePerPart * samplePerPart;
            double roisPerS = r / (median * 1e-3), samplesPerS = samples / (median * 1e-3);
            String what = (backward ? "backward" : "forward") + (noOffset ? " (no offset)" : "");
            out.printf(Locale.ROOT, "deform_psroi_pool %s on %s, %s tensors [%s]%n", what, b.name(), dt,
                    b.description());
            out.printf(Locale.ROOT, "  N,D,H,W,R = %s  input channels %d  group %d pooled %d part %d sample/part %d"
                    + " scale %s trans std %s%n", shape, c, groupSize, pooledSize, partSize, samplePerPart,
                    spatialScale, transStd);
            out.printf(Locale.ROOT, "  median %.3f ms  min %.3f ms  max %.3f ms over %d runs  %.0f RoIs/s  %.3g samples/s%n",
                    median, sorted[0], sorted[sorted.length - 1], iterations, roisPerS, samplesPerS);
            if (json) {
                out.println(String.format(Locale.ROOT,
                        "{\"backend\":\"%s\",\"dtype\":\"%s\",\"op\":\"deform_psroi_pool\",\"pass\":\"%s\",\"shape\":[%s],"
                                + "\"group_size\":%d,\"pooled_size\":%d,\"part_size\":%d,\"sample_per_part\":%d,"
                                + "\"spatial_scale\":%s,\"trans_std\":%s,\"offset\":%b,\"threads\":%d,\"iterations\":%d,"
                                + "\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"rois_per_s\":%.1f,"
                                + "\"samples_per_s\":%.1f,\"samples\":%.0f}",
                        b.name(), dt, backward ? "backward" : "forward", shape, groupSize, pooledSize, partSize, samplePerPart,
                        spatialScale, transStd, !noOffset, options.effectiveThreads(), iterations, median, sorted[0],
                        sorted[sorted.length - 1], roisPerS, samplesPerS, samples));
            }
            out.flush();
        }
        return 0;
    }

    /** Process CPU time of each timed run (all threads), filled by {@link #time}. */
    private double[] cpuMs = new double[0];

    /**
     * CPU time of the whole process: on a shared machine the wall time includes time the OS gave to others,
     * the CPU time does not (it still includes slowdowns from shared caches and memory bandwidth).
     */
    private static long processCpuNanos() {
        // The sum over live threads: per-thread clocks have nanosecond resolution, the process clock ticks.
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) sum += t;
        }
        return sum;
    }

    private double medianCpuMs() {
        double[] s = cpuMs.clone();
        Arrays.sort(s);
        return s.length == 0 || s[0] < 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Runs warm-up and timed iterations; a progress line on stderr at most once a second when slow. */
    private double[] time(Runnable call, PrintWriter err) {
        long start = System.nanoTime(), lastNote = start;
        long warmupEnd = start + (long) (warmupSeconds * 1e9);
        int warm = 0;
        while (warm < warmup || System.nanoTime() < warmupEnd) {
            long t0 = System.nanoTime();
            call.run();
            warm++;
            long t1 = System.nanoTime();
            if (t1 - lastNote > 1_000_000_000L) {
                err.printf(Locale.ROOT, "bench: warm-up run %d, last %.1f ms%n", warm, (t1 - t0) / 1e6);
                err.flush();
                lastNote = t1;
            }
        }
        double[] ms = new double[iterations];
        cpuMs = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long c0 = processCpuNanos();
            long t0 = System.nanoTime();
            call.run();
            long t1 = System.nanoTime();
            ms[i] = (t1 - t0) / 1e6;
            cpuMs[i] = (processCpuNanos() - c0) / 1e6;
            if (t1 - lastNote > 1_000_000_000L && i + 1 < iterations) {
                err.printf(Locale.ROOT, "bench: run %d/%d, last %.1f ms%n", i + 1, iterations, ms[i]);
                err.flush();
                lastNote = t1;
            }
        }
        return ms;
    }

    /** Reads the result so the call cannot be skipped; a gradient may be absent. */
    private static void touch(Tensor t) {
        if (t != null && t.elementCount() < 0) throw new IllegalStateException("impossible");
    }

    private static int[] ints(String option, String text, int count) {
        String[] parts = text.split(",");
        if (parts.length != count) {
            throw new IllegalArgumentException(option + ": expected " + count + " comma-separated integers, got '" + text + "'");
        }
        int[] v = new int[count];
        for (int i = 0; i < count; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": expected integers, got '" + text + "'");
            }
        }
        return v;
    }

    private static float[] uniform(Random r, long count, double range) {
        float[] a = new float[checked(count)];
        for (int i = 0; i < a.length; i++) a[i] = (float) ((2 * r.nextDouble() - 1) * range);
        return a;
    }

    private static float[] unit(Random r, long count) {
        float[] a = new float[checked(count)];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        return a;
    }

    private static int checked(long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--shape: a tensor of " + count + " elements is too large");
        }
        return (int) count;
    }
}
