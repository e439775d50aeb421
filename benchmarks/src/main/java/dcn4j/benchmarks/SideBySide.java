package dcn4j.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DeformConv2dGradients;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.onnxruntime.DeformConvModel;
import dcn4j.spi.DeformConv2dShape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The side-by-side table of issue 10 in one JVM: for each shape {@code N,C,H,W,O} (3x3, padding 1,
 * stride 1, offsets uniform in [-2, 2]), with and without mask, the dcn4j {@code vector} forward and
 * backward (all gradients) and ONNX Runtime Java's {@code DeformConv} forward (opset 19, CPU, intra-op
 * threads as dcn4j's, spinning off) on the same operands, and PyTorch's dense conv2d forward and backward
 * (a {@link DenseConvServer} child process), interleaved repetition by repetition; joined with torchvision's
 * deform_conv2d times that {@code side_by_side_torch.py} wrote as JSON lines. Run through
 * {@code benchmarks/side-by-side.sh}.
 *
 * <p>Arguments: {@code --torch FILE} (JSON lines, optional; its dense times are used only without a server),
 * {@code --dense-server "COMMAND ARGS"} (the child's command line, split at spaces; optional),
 * {@code --reps R} (default 5), {@code --threads T} (default 2), {@code --shapes N,C,H,W,O;...} (default: the
 * seven of issue 10), {@code --calls warm|cold} (default warm, see {@link #warmCalls}), {@code --label TEXT}.
 */
public final class SideBySide {

    /**
     * Idle time before each call that follows another process's call: a process that has just finished may
     * still spin its threads (dcn4j's helpers for 50 us, OpenMP's for up to milliseconds), which would steal
     * a core from the next call.
     */
    static final long SWITCH_PAUSE_MS = 20;

    /**
     * Whether each timed call (dcn4j's, ONNX Runtime's, PyTorch's) comes right after an untimed call of the same
     * library and operation, so that its threads are awake, as in a network's back-to-back layers ({@code --calls
     * warm}, the default), or after the idle pause alone ({@code --calls cold}, the protocol until the twelfth pass of
     * issue 10). On the 2-vCPU VM of the benchmarks a parked thread's vCPU took milliseconds to wake: dcn4j's
     * 1,64,56,56,64 forward took 8.6 ms after 20 ms of idle and 4.5 ms back to back, and the cold protocol favoured
     * whichever call came right after another one (ORT's forward followed dcn4j's; PyTorch's backward followed its
     * own untimed forward).
     */
    static boolean warmCalls = true;

    static final String[] DEFAULT_SHAPES = {"1,64,56,56,64", "8,64,28,28,64", "1,256,28,28,256", "2,512,14,14,512",
            "1,128,100,168,128", "1,256,50,84,256", "1,512,25,42,512"};

    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opt.put(args[i], args[i + 1]);
        int reps = Integer.parseInt(opt.getOrDefault("--reps", "5"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        String calls = opt.getOrDefault("--calls", "warm");
        if (!calls.equals("warm") && !calls.equals("cold")) {
            throw new IllegalArgumentException("--calls: expected warm or cold, got " + calls);
        }
        warmCalls = calls.equals("warm");
        String[] shapes = opt.containsKey("--shapes") ? opt.get("--shapes").split(";") : DEFAULT_SHAPES;
        Map<String, Map<String, Double>> torch = opt.containsKey("--torch") ? readTorch(Path.of(opt.get("--torch")))
                : Map.of();
        List<String> rows = new ArrayList<>();
        List<Ratios> measured = new ArrayList<>();
        boolean[] boxed = {false};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String description;
        String denseDescription = "from " + opt.getOrDefault("--torch", "nowhere") + ", measured before this JVM started";
        try (Backend vector = Backends.open("vector", new BackendOptions(-1, threads));
             DenseConvServer dense = opt.containsKey("--dense-server")
                     ? new DenseConvServer(List.of(opt.get("--dense-server").trim().split(" +"))) : null) {
            description = vector.description();
            if (dense != null) denseDescription = dense.description + ", interleaved with dcn4j's repetitions";
            System.err.println("side-by-side: " + description + "; ONNX Runtime " + env.getVersion()
                    + "; dense conv2d: " + denseDescription);
            // JIT warm-up of every code path (with and without mask) before the first measured row: the
            // backward's many methods take several seconds to reach C2 (the first row used to include it).
            long warmEnd = System.nanoTime() + (long) (Double.parseDouble(opt.getOrDefault("--jit-warmup-seconds", "8")) * 1e9);
            while (System.nanoTime() < warmEnd) {
                for (boolean mask : new boolean[] {false, true}) {
                    measure(env, vector, null, threads, new int[] {1, 64, 28, 28, 64}, mask, 1, 0.2);
                }
            }
            for (String shape : shapes) {
                for (boolean mask : new boolean[] {false, true}) {
                    int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
                    Row r = measure(env, vector, dense, threads, s, mask, reps, 1);
                    boxed[0] |= r.boxed();
                    Map<String, Double> t = torch.getOrDefault(shape + (mask ? "+mask" : ""), Map.of());
                    measured.add(Ratios.of(r, t));
                    rows.add(format(shape, mask, r, t));
                    System.err.println("side-by-side: " + rows.get(rows.size() - 1)
                            + (dense != null ? " (dense calls repeated so far because this JVM was busy: " + dense.disturbed + ")" : "")
                            + " (dcn4j and ONNX Runtime calls repeated so far because the JIT compiled during them: " + jitRepeats + ")");
                }
            }
        }
        System.out.println();
        System.out.println("### " + opt.getOrDefault("--label", "side by side") + " (" + threads + " threads, medians of "
                + reps + " interleaved repetitions of " + (warmCalls ? "warm" : "cold") + " calls; "
                + (denseDescription.startsWith("from ")
                ? "ORT ratio: median of the repetitions' ratios, dense ratios: ratios of medians)"
                : "ratios: medians of the repetitions' ratios)"));
        System.out.println();
        System.out.println("dcn4j: " + description + "; ONNX Runtime Java " + env.getVersion()
                + " DeformConv (opset 19, CPU, intra-op spinning off); PyTorch dense conv2d: " + denseDescription);
        System.out.println();
        System.out.println("| shape N,C,H,W,O | mask | dcn4j fwd ms | ORT fwd ms | ORT/dcn4j fwd (goal >= 1.1) "
                + "| dense conv2d fwd ms | dcn4j vs dense fwd speed (goal >= 0.75; 0.7 AVX2) | dcn4j bwd ms "
                + "| dense bwd ms | dcn4j/dense bwd time (goal <= 1.6) | torchvision fwd ms | torchvision bwd ms | ORT max abs diff "
                + "| dcn4j heap KB per fwd+bwd |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println(goals(measured));
        if (boxed[0]) {
            System.out.println();
            System.out.println("**Boxed kernels:** the rows marked (boxed) allocated more than 256 KB + 64 bytes per sample"
                    + " per dcn4j forward + backward: in this JVM C2 compiled a kernel with its vectors on the heap"
                    + " (DESIGN.md \"Vector boxing in some JVMs\"); their dcn4j times are not representative.");
        }
    }

    /**
     * Medians, and the heap bytes of all threads per dcn4j forward + backward during the measured repetitions:
     * about 3 bytes per sample (pixel and kernel point) when C2 compiled every kernel with its vectors in
     * registers (the per-call bookkeeping and the special samples' small arrays); megabytes more when a kernel
     * boxes them, which makes that row 1.3-12x slower (DESIGN.md "Vector boxing in some JVMs").
     */
    record Row(double fwd, double ort, double bwd, double denseFwd, double denseBwd, double ortRatio,
               double denseFwdRatio, double denseBwdRatio, double maxDiff, long heapBytesPerCall, boolean boxed) {
    }

    /** Heap bytes per dcn4j forward + backward above which a row is reported as run with boxed kernels. */
    static long boxingBytes(int[] s) {
        return (256L << 10) + 64L * s[0] * s[2] * s[3] * 9;
    }

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * Medians of {@code reps} interleaved calls, after about {@code warmScale} x 3.5 s of warm-up calls; the dense
     * ones NaN without a {@code dense} server.
     */
    static Row measure(OrtEnvironment env, Backend b, DenseConvServer dense, int threads, int[] s, boolean withMask,
                       int reps, double warmScale) throws OrtException, IOException, InterruptedException {
        int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4], k = 3;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = uniform(r, (long) n * c * h * w, 1);
        float[] wt = uniform(r, (long) o * c * k * k, 1 / Math.sqrt(9.0 * c));
        float[] off = uniform(r, (long) n * 18 * h * w, 2);
        float[] m = withMask ? positive(r, (long) n * 9 * h * w) : null;
        float[] go = uniform(r, (long) n * o * h * w, 1);
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        try (Tensor tx = b.tensor(new int[] {n, c, h, w}, x); Tensor tw = b.tensor(new int[] {o, c, k, k}, wt);
             Tensor toff = b.tensor(new int[] {n, 18, h, w}, off);
             Tensor tm = withMask ? b.tensor(new int[] {n, 9, h, w}, m) : null;
             Tensor tgo = b.tensor(new int[] {n, o, h, w}, go);
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // The model the onnxruntime backend runs (3x3, pad 1, stride 1: output H x W; no bias).
            byte[] model = DeformConvModel.of(new DeformConv2dShape(spec, DType.F32, n, c, h, w, o, k, k, h, w, true,
                    withMask, false));
            Map<String, OnnxTensor> inputs = new HashMap<>();
            try (OrtSession session = env.createSession(model, so)) {
                inputs.put(DeformConvModel.X, OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, c, h, w}));
                inputs.put(DeformConvModel.W, OnnxTensor.createTensor(env, FloatBuffer.wrap(wt), new long[] {o, c, k, k}));
                inputs.put(DeformConvModel.OFFSET, OnnxTensor.createTensor(env, FloatBuffer.wrap(off), new long[] {n, 18, h, w}));
                if (withMask) inputs.put(DeformConvModel.MASK, OnnxTensor.createTensor(env, FloatBuffer.wrap(m), new long[] {n, 9, h, w}));
                Timed fwd = () -> {
                    try (Tensor out = b.deformConv2d(spec, tx, toff, tm, tw, null)) {
                        return out;
                    }
                };
                Timed bwd = () -> {
                    try (DeformConv2dGradients g = b.deformConv2dBackward(spec, tgo, tx, toff, tm, tw, null, Gradient.all())) {
                        return g;
                    }
                };
                Timed ort = () -> {
                    try (OrtSession.Result res = session.run(inputs)) {
                        return res;
                    }
                };
                // Agreement of the two forwards on these operands (a sanity check of the model bytes).
                float[] ours;
                try (Tensor out = b.deformConv2d(spec, tx, toff, tm, tw, null)) {
                    ours = out.toFloatArray();
                }
                float[] theirs;
                try (OrtSession.Result res = session.run(inputs)) {
                    FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
                    theirs = new float[fb.remaining()];
                    fb.get(theirs);
                }
                double maxDiff = theirs.length == ours.length ? 0 : Double.NaN;
                for (int i = 0; i < ours.length && i < theirs.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                }
                warm(fwd, 3, 1.5 * warmScale);
                warm(ort, 2, 0.5 * warmScale);
                warm(bwd, 2, 1.5 * warmScale);
                if (dense != null) dense.prepare(String.join(",", Arrays.stream(s).mapToObj(String::valueOf).toList()), warmScale);
                double[] tf = new double[reps], to = new double[reps], tb = new double[reps];
                double[] df = new double[reps], db = new double[reps];
                long[] heap = {0};
                waitForQuietJit();
                for (int i = 0; i < reps; i++) {
                    Thread.sleep(SWITCH_PAUSE_MS);
                    tf[i] = timedCall(fwd, heap);
                    to[i] = timedCall(ort, null);
                    if (dense != null) {
                        Thread.sleep(SWITCH_PAUSE_MS);
                        df[i] = dense.forwardMs(warmCalls);
                        Thread.sleep(SWITCH_PAUSE_MS);
                    }
                    tb[i] = timedCall(bwd, heap);
                    if (dense != null) {
                        Thread.sleep(SWITCH_PAUSE_MS);
                        db[i] = dense.backwardMs(warmCalls);
                    }
                }
                // The goal columns are medians of each repetition's own ratio: the calls of one repetition ran
                // within a second of each other, so a change in the machine's speed between repetitions cancels.
                double[] ortRatio = new double[reps], fwdRatio = new double[reps], bwdRatio = new double[reps];
                for (int i = 0; i < reps; i++) {
                    ortRatio[i] = to[i] / tf[i];
                    fwdRatio[i] = df[i] / tf[i];
                    bwdRatio[i] = tb[i] / db[i];
                }
                boolean d = dense != null;
                return new Row(median(tf), median(to), median(tb), d ? median(df) : Double.NaN, d ? median(db) : Double.NaN,
                        median(ortRatio), d ? median(fwdRatio) : Double.NaN, d ? median(bwdRatio) : Double.NaN, maxDiff,
                        heap[0] / reps, heap[0] / reps > boxingBytes(s));
            } finally {
                for (OnnxTensor t : inputs.values()) t.close();
            }
        }
    }

    /** One call whose result is closed by the call itself; {@link #ms} times it. */
    @FunctionalInterface
    interface Timed {
        Object call() throws OrtException;

        default double ms() throws OrtException {
            long t0 = System.nanoTime();
            if (call() == null) throw new IllegalStateException("no result");
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** The JVM's JIT compilers: compilation time that grows during a timed call means a compiler thread ran. */
    static final java.lang.management.CompilationMXBean JIT = java.lang.management.ManagementFactory.getCompilationMXBean();
    /** Timed calls repeated because a JIT compilation finished while they ran ({@link #timedCall}). */
    static int jitRepeats;
    /** Most seconds {@link #waitForQuietJit} waits. */
    static final double JIT_QUIET_MAX_SECONDS = 20;

    /**
     * Waits until no JIT compilation has finished for 1 s (at most {@link #JIT_QUIET_MAX_SECONDS}). On a 2-core host a
     * C2 thread still compiling after the warm-up takes a core from the 2-thread calls: the first row of a run took
     * twice its time in the same JVM's later rows (1,64,56,56,64 forward: 8.6-10.1 ms first, 5.5 ms when measured
     * again as the third row; benchmarks/RESULTS.md, twelfth pass).
     */
    static void waitForQuietJit() throws InterruptedException {
        long end = System.nanoTime() + (long) (JIT_QUIET_MAX_SECONDS * 1e9);
        long last = JIT.getTotalCompilationTime();
        int quietSteps = 0;
        while (quietSteps < 10 && System.nanoTime() < end) {
            Thread.sleep(100);
            long now = JIT.getTotalCompilationTime();
            quietSteps = now == last ? quietSteps + 1 : 0;
            last = now;
        }
    }

    /**
     * One timed call of {@code t} (right after an untimed one with {@link #warmCalls}), repeated (after a pause, at
     * most {@link DenseConvServer#ATTEMPTS} times) while a JIT compilation finished during it: the dense calls of
     * the child get the same treatment when this JVM uses CPU time ({@link DenseConvServer}). Counts the repeats in
     * {@link #jitRepeats}; adds the heap bytes (every thread's) of the call whose time it returns to {@code heap[0]}
     * unless {@code heap} is null.
     */
    static double timedCall(Timed t, long[] heap) throws OrtException, InterruptedException {
        double ms = Double.NaN;
        long bytes = 0;
        for (int attempt = 0; attempt < DenseConvServer.ATTEMPTS; attempt++) {
            if (warmCalls) t.call();
            long before = JIT.getTotalCompilationTime(), allocated = THREADS.getTotalThreadAllocatedBytes();
            ms = t.ms();
            bytes = THREADS.getTotalThreadAllocatedBytes() - allocated;
            if (JIT.getTotalCompilationTime() == before) break;
            jitRepeats++;
            Thread.sleep(200);
        }
        if (heap != null) heap[0] += bytes;
        return ms;
    }

    static void warm(Timed t, int calls, double seconds) throws OrtException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; i < calls || System.nanoTime() < end; i++) t.ms();
    }

    /**
     * The goal ratios of one row: ORT time / dcn4j time, dense time / dcn4j time (forward) and dcn4j time / dense time
     * (backward). With the dense server each is the median of the repetitions' ratios; with dense figures from a file,
     * a ratio of medians; NaN where there are no dense figures.
     */
    record Ratios(double ort, double denseFwd, double denseBwd) {
        static Ratios of(Row r, Map<String, Double> t) {
            if (!Double.isNaN(r.denseFwd)) return new Ratios(r.ortRatio, r.denseFwdRatio, r.denseBwdRatio);
            Double dense = t.get("dense_fwd_ms"), denseB = t.get("dense_bwd_ms");
            return new Ratios(r.ortRatio, dense == null ? Double.NaN : dense / r.fwd,
                    denseB == null ? Double.NaN : r.bwd / denseB);
        }
    }

    static String format(String shape, boolean mask, Row r, Map<String, Double> t) {
        boolean server = !Double.isNaN(r.denseFwd);
        Double dense = server ? Double.valueOf(r.denseFwd) : t.get("dense_fwd_ms");
        Double denseB = server ? Double.valueOf(r.denseBwd) : t.get("dense_bwd_ms");
        Ratios q = Ratios.of(r, t);
        Double tvF = t.get("tv_fwd_ms"),
                tvB = t.get("tv_bwd_ms");
        return String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.3f | %s | %s | %.2f | %s | %s | %s | %s | %.1e | %d%s |",
                shape, mask ? "yes" : "no", r.fwd, r.ort, q.ort(), num(dense), dense == null ? "-" : ratio(q.denseFwd()),
                r.bwd, num(denseB), denseB == null ? "-" : ratio(q.denseBwd()), num(tvF), num(tvB), r.maxDiff,
                r.heapBytesPerCall / 1024, r.boxed ? " (boxed)" : "");
    }

    /**
     * The issue-10 goals over {@code rows}, counted on the unrounded ratios (the table prints three decimals, so a
     * ratio printed 1.100 may still be 1.0996): forward >= 1.1x ORT, forward >= 0.75x dense (and >= 0.7, the goal at
     * AVX2), backward <= 1.6x dense; each with the worst row's ratio. Rows without dense figures count only for ORT.
     */
    static String goals(List<Ratios> rows) {
        int ort = 0, fwd75 = 0, fwd70 = 0, bwd = 0, dense = 0;
        double ortMin = Double.POSITIVE_INFINITY, fwdMin = Double.POSITIVE_INFINITY, bwdMax = Double.NEGATIVE_INFINITY;
        for (Ratios r : rows) {
            if (r.ort() >= 1.1) ort++;
            ortMin = Math.min(ortMin, r.ort());
            if (Double.isNaN(r.denseFwd()) || Double.isNaN(r.denseBwd())) continue;
            dense++;
            if (r.denseFwd() >= 0.75) fwd75++;
            if (r.denseFwd() >= 0.7) fwd70++;
            if (r.denseBwd() <= 1.6) bwd++;
            fwdMin = Math.min(fwdMin, r.denseFwd());
            bwdMax = Math.max(bwdMax, r.denseBwd());
        }
        String text = String.format(Locale.ROOT, "Goals (unrounded ratios): forward >= 1.1x ORT on %d of %d rows (lowest %.3f)",
                ort, rows.size(), ortMin);
        if (dense == 0) return text + "; no dense conv2d figures measured in this run.";
        return text + String.format(Locale.ROOT, "; forward >= 0.75x dense on %d of %d (>= 0.7: %d; lowest %.3f);"
                + " backward <= 1.6x dense on %d of %d (highest %.3f).", fwd75, dense, fwd70, fwdMin, bwd, dense, bwdMax);
    }

    static String num(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }

    static String ratio(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** {@code {"shape":"1,64,56,56,64","mask":false,"dense_fwd_ms":1.2,...}} per line, keyed "shape[+mask]". */
    static Map<String, Map<String, Double>> readTorch(Path file) throws IOException {
        Map<String, Map<String, Double>> all = new HashMap<>();
        Pattern num = Pattern.compile("\"([a-z_]+)\":\\s*(-?[0-9.eE+-]+)");
        for (String line : Files.readAllLines(file)) {
            if (!line.startsWith("{")) continue;
            Matcher sm = Pattern.compile("\"shape\":\\s*\"([0-9,]+)\"").matcher(line);
            if (!sm.find()) continue;
            boolean mask = line.contains("\"mask\": true") || line.contains("\"mask\":true");
            Map<String, Double> values = new HashMap<>();
            Matcher m = num.matcher(line);
            while (m.find()) values.put(m.group(1), Double.parseDouble(m.group(2)));
            all.put(sm.group(1) + (mask ? "+mask" : ""), values);
        }
        return all;
    }

    static float[] uniform(SplittableRandom r, long count, double range) {
        float[] a = new float[Math.toIntExact(count)];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-range, range);
        return a;
    }

    static float[] positive(SplittableRandom r, long count) {
        float[] a = new float[Math.toIntExact(count)];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
        return a;
    }
}
