package dcn4j.io;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A case directory (CASE_FORMAT.md): one operator call as {@code case.json} plus {@code .npy}
 * arrays, optionally with {@code grad_output.npy} (run backward too) and {@code expected/} (what a
 * checker compares with). {@link #load} validates everything that does not need a backend; shape
 * errors are the backend's (the SPI checks them identically everywhere) and surface from
 * {@link #run}.
 *
 * <pre>{@code
 * CaseDirectory c = CaseDirectory.load(Path.of("cases/torchvision/v1-3x3-pad1-bias"));
 * try (Backend b = Backends.open("reference")) {
 *     Map<String, NpyArray> results = c.run(b);          // output, grad_input, ...
 *     CaseDirectory.writeOutputs(Path.of("out"), results);
 * }
 * }</pre>
 *
 * <p>{@code case.json} is strict: {@code op} is {@value #DEFORM_CONV2D} or {@value #DEFORM_PSROI_POOL};
 * every parameter of the op is required and an unknown key (in {@code params}, {@code inputs} or at
 * the top level) is an error naming it, so a typo never silently falls back to a default.
 * {@code deform_conv2d} takes {@code stride}, {@code padding}, {@code dilation} (each an integer or
 * an {@code [h, w]} pair; {@code padding} also ONNX's {@code [top, left, bottom, right]}), {@code groups},
 * {@code offset_groups} and optionally {@code border} ({@code "torchvision"}, the default, or
 * {@code "dcnv1"}); its inputs are {@code input},
 * {@code offset}, {@code weight} and optionally {@code mask}, {@code bias}. {@code deform_psroi_pool}
 * takes {@code spatial_scale}, {@code output_dim}, {@code group_size}, {@code pooled_size},
 * {@code part_size}, {@code sample_per_part}, {@code trans_std}; its inputs are {@code input},
 * {@code rois} and optionally {@code offset}. Errors are {@link IllegalArgumentException}s whose
 * message starts with the offending file.
 */
public final class CaseDirectory {

    /** The {@code op} of a deformable convolution case. */
    public static final String DEFORM_CONV2D = "deform_conv2d";
    /** The {@code op} of a deformable PS RoI pooling case. */
    public static final String DEFORM_PSROI_POOL = "deform_psroi_pool";

    private static final String CASE_JSON = "case.json";
    private static final String EXPECTED = "expected";
    private static final String GRAD_OUTPUT = "grad_output";
    private static final String OUTPUT = "output";
    private static final int MAX_CASE_JSON_BYTES = 1 << 20;
    /** The optional parameter that makes a case 16-bit (CASE_FORMAT.md "16-bit cases"). */
    private static final String DTYPE = "dtype";

    /** What an op accepts: its inputs (differentiable ones with their gradient) and its parameters. */
    private enum Op {
        CONV(DEFORM_CONV2D, List.of("input", "offset", "weight"), List.of("mask", "bias"),
                List.of("stride", "padding", "dilation", "groups", "offset_groups")),
        PSROI(DEFORM_PSROI_POOL, List.of("input", "rois"), List.of("offset"),
                List.of("spatial_scale", "output_dim", "group_size", "pooled_size", "part_size", "sample_per_part",
                        "trans_std"));

        final String name;
        final List<String> required;
        final List<String> optional;
        final List<String> params;

        Op(String name, List<String> required, List<String> optional, List<String> params) {
            this.name = name;
            this.required = required;
            this.optional = optional;
            this.params = params;
        }

        /** Every input name this op knows, in the canonical order. */
        List<String> inputNames() {
            return this == CONV ? List.of("input", "offset", "mask", "weight", "bias")
                    : List.of("input", "rois", "offset");
        }

        /** The gradient of input {@code name}, or {@code null} when it gets none (RoIs). */
        Gradient gradientOf(String name) {
            return switch (name) {
                case "input" -> Gradient.INPUT;
                case "offset" -> Gradient.OFFSET;
                case "mask" -> Gradient.MASK;
                case "weight" -> Gradient.WEIGHT;
                case "bias" -> Gradient.BIAS;
                default -> null;
            };
        }

        static Op named(Object op, String where) {
            for (Op o : values()) {
                if (o.name.equals(op)) return o;
            }
            throw new IllegalArgumentException(where + ": expected \"" + DEFORM_CONV2D + "\" or \""
                    + DEFORM_PSROI_POOL + "\", got " + show(op));
        }
    }

    private final Path dir;
    private final Op op;
    private final DeformConv2dSpec convSpec;
    private final DeformPsRoiPoolSpec poolSpec;
    private final Map<String, NpyArray> inputs;
    private final NpyArray gradOutput;
    private final Map<String, NpyArray> expected;
    /** F16 or BF16 for a 16-bit case, {@code null} when the case runs in the backend's native dtype. */
    private final DType dtype;

    private CaseDirectory(Path dir, Op op, DeformConv2dSpec convSpec, DeformPsRoiPoolSpec poolSpec,
                          Map<String, NpyArray> inputs, NpyArray gradOutput, Map<String, NpyArray> expected,
                          DType dtype) {
        this.dtype = dtype;
        this.dir = dir;
        this.op = op;
        this.convSpec = convSpec;
        this.poolSpec = poolSpec;
        this.inputs = Collections.unmodifiableMap(inputs);
        this.gradOutput = gradOutput;
        this.expected = Collections.unmodifiableMap(expected);
    }

    /**
     * Reads and validates the case in {@code dir}: {@code case.json}, every array it names, and
     * {@code expected/} when present ({@code output.npy} and {@code grad_<input>.npy}; any other
     * {@code .npy} there is an error, other files are ignored).
     *
     * @throws IllegalArgumentException naming the file and key for a malformed case
     * @throws IOException              when a file exists but cannot be read
     */
    public static CaseDirectory load(Path dir) throws IOException {
        if (dir == null) throw new IllegalArgumentException("case directory: expected a path, got null");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": expected a case directory, got "
                    + (Files.exists(dir) ? "a file" : "nothing (no such directory)"));
        }
        Path json = dir.resolve(CASE_JSON);
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(json + ": expected the case description, got " + kindOf(json));
        }
        Object root = Json.parse(readUtf8(json), json.toString());
        String where = json.toString();
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(where + ": expected a JSON object at the top, got " + show(root));
        }
        checkKeys(top, List.of("op", "params", "inputs"), List.of(GRAD_OUTPUT), where, "");
        Op op = Op.named(top.get("op"), where + ": op");
        Object params = top.get("params");
        DType declared = declaredDType(params, where);
        params = withoutDType(params);
        DeformConv2dSpec convSpec = null;
        DeformPsRoiPoolSpec poolSpec = null;
        if (op == Op.CONV) convSpec = convSpec(params, where);
        else poolSpec = poolSpec(params, where);

        Object inputsValue = top.get("inputs");
        if (!(inputsValue instanceof Map<?, ?> inputFiles)) {
            throw new IllegalArgumentException(where + ": inputs: expected an object of name: file, got "
                    + show(inputsValue));
        }
        checkKeys(inputFiles, op.required, op.optional, where, "inputs.");
        Map<String, NpyArray> inputs = new LinkedHashMap<>();
        for (String name : op.inputNames()) {
            if (inputFiles.containsKey(name)) {
                inputs.put(name, readArray(dir, inputFiles.get(name), where + ": inputs." + name));
            }
        }
        NpyArray gradOutput = top.containsKey(GRAD_OUTPUT)
                ? readArray(dir, top.get(GRAD_OUTPUT), where + ": " + GRAD_OUTPUT) : null;
        Map<String, NpyArray> expected = readExpected(dir, op, inputs.keySet(), gradOutput != null);
        DType dtype = caseDType(declared, inputs, gradOutput, expected, where);
        return new CaseDirectory(dir, op, convSpec, poolSpec, inputs, gradOutput, expected, dtype);
    }

    /** The {@code params.dtype} value, parsed: {@code null} when absent. */
    private static DType declaredDType(Object params, String where) {
        if (!(params instanceof Map<?, ?> p) || !p.containsKey(DTYPE)) return null;
        Object v = p.get(DTYPE);
        if ("f16".equals(v)) return DType.F16;
        if ("bf16".equals(v)) return DType.BF16;
        throw new IllegalArgumentException(where + ": params.dtype: expected \"f16\" or \"bf16\", got " + show(v));
    }

    /** {@code params} without the {@code dtype} key, which the spec parsers do not know. */
    private static Object withoutDType(Object params) {
        if (!(params instanceof Map<?, ?> p) || !p.containsKey(DTYPE)) return params;
        Map<Object, Object> m = new LinkedHashMap<>(p);
        m.remove(DTYPE);
        return m;
    }

    /**
     * The dtype a case runs in (CASE_FORMAT.md "16-bit cases"): BF16 when {@code params.dtype} says
     * {@code "bf16"} (arrays {@code <u2}); F16 when it says {@code "f16"} or when the input arrays are
     * {@code <f2}; otherwise {@code null}, the backend's native dtype. A 16-bit case's inputs and
     * {@code grad_output} are all of its dtype; {@code expected/} may hold any float dtype.
     */
    private static DType caseDType(DType declared, Map<String, NpyArray> inputs, NpyArray gradOutput,
                                   Map<String, NpyArray> expected, String where) {
        DType dtype = declared;
        if (dtype == null) {
            for (NpyArray a : inputs.values()) {
                if (a.dtype() == DType.F16) dtype = DType.F16;
            }
        }
        Map<String, NpyArray> all = new LinkedHashMap<>();
        for (Map.Entry<String, NpyArray> e : inputs.entrySet()) all.put("inputs." + e.getKey(), e.getValue());
        if (gradOutput != null) all.put(GRAD_OUTPUT, gradOutput);
        for (Map.Entry<String, NpyArray> e : all.entrySet()) {
            DType d = e.getValue().dtype();
            if (dtype == null && d == DType.BF16) {
                throw new IllegalArgumentException(where + ": " + e.getKey() + ": a '<u2' array holds bfloat16 bits "
                        + "only in a case with params.dtype \"bf16\", got no params.dtype");
            }
            if (dtype != null && d != dtype) {
                throw new IllegalArgumentException(where + ": " + e.getKey() + ": expected dtype " + descr(dtype)
                        + " as every array of this " + dtype + " case, got " + descr(d));
            }
        }
        for (Map.Entry<String, NpyArray> e : expected.entrySet()) {
            if (e.getValue().dtype() == DType.BF16 && dtype != DType.BF16) {
                throw new IllegalArgumentException(where + ": expected/" + e.getKey() + ".npy: a '<u2' array holds "
                        + "bfloat16 bits only in a case with params.dtype \"bf16\"");
            }
        }
        return dtype;
    }

    private static String descr(DType d) {
        return switch (d) {
            case F32 -> "'<f4'";
            case F64 -> "'<f8'";
            case F16 -> "'<f2'";
            case BF16 -> "'<u2' (bfloat16 bits)";
        };
    }

    /**
     * The dtype this case runs in: F16 or BF16 for a 16-bit case, {@code null} when it runs in the
     * backend's {@link Backend#nativeDType()}.
     */
    public DType dtype() {
        return dtype;
    }

    /** {@value #DEFORM_CONV2D} or {@value #DEFORM_PSROI_POOL}. */
    public String op() {
        return op.name;
    }

    /** The directory this case was loaded from. */
    public Path dir() {
        return dir;
    }

    /** The convolution parameters; {@link IllegalStateException} for a pooling case. */
    public DeformConv2dSpec deformConv2dSpec() {
        if (op != Op.CONV) throw new IllegalStateException(dir + ": a " + op.name + " case has no DeformConv2dSpec");
        return convSpec;
    }

    /** The pooling parameters; {@link IllegalStateException} for a convolution case. */
    public DeformPsRoiPoolSpec deformPsRoiPoolSpec() {
        if (op != Op.PSROI) {
            throw new IllegalStateException(dir + ": a " + op.name + " case has no DeformPsRoiPoolSpec");
        }
        return poolSpec;
    }

    /** The inputs by name ({@code input}, {@code offset}, ...), in the op's canonical order. */
    public Map<String, NpyArray> inputs() {
        return inputs;
    }

    /** The gradient of the output, or {@code null} when the case is forward only. */
    public NpyArray gradOutput() {
        return gradOutput;
    }

    /** {@code expected/} arrays by name ({@code output}, {@code grad_input}, ...); empty without {@code expected/}. */
    public Map<String, NpyArray> expected() {
        return expected;
    }

    /**
     * Runs the case on {@code backend}: the arrays become tensors in {@link #dtype()} for a 16-bit
     * case, else in {@link Backend#nativeDType()}, each made straight from the file's elements
     * ({@link NpyArray#toTensor}, no {@code double[]} for float32 or 16-bit files); the forward runs, and when {@link #gradOutput()} is present the backward runs for every
     * differentiable input present (never {@code rois}).
     *
     * @return {@code output} then {@code grad_<input>} per gradient, as arrays of the backend's dtype
     * @throws IllegalArgumentException the backend's argument error (wrong shapes, bad groups, RoI batch
     *                                  index), its message prefixed with the case directory
     */
    public Map<String, NpyArray> run(Backend backend) {
        return run(backend, true);
    }

    /**
     * {@link #run(Backend)}, with the backward only when {@code backward} is {@code true}: a
     * forward-only backend (see {@code dcn4j.spi.Capabilities}) runs {@code run(backend, false)}.
     */
    public Map<String, NpyArray> run(Backend backend, boolean backward) {
        if (backend == null) throw new IllegalArgumentException("backend: expected a Backend, got null");
        DType dtype = this.dtype != null ? this.dtype : backend.nativeDType();
        if (!backend.supports(dtype)) {
            throw new IllegalArgumentException(dir + ": expected a backend that supports " + dtype + " (a " + dtype
                    + " case), got '" + backend.name() + "', which does not");
        }
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Map<String, Tensor> t = new LinkedHashMap<>();
            for (Map.Entry<String, NpyArray> e : inputs.entrySet()) {
                t.put(e.getKey(), track(made, e.getValue().toTensor(backend, dtype)));
            }
            Tensor gradOut = gradOutput == null || !backward ? null
                    : track(made, gradOutput.toTensor(backend, dtype));
            Set<Gradient> wanted = EnumSet.noneOf(Gradient.class);
            for (String name : inputs.keySet()) {
                if (op.gradientOf(name) != null) wanted.add(op.gradientOf(name));
            }
            Map<String, NpyArray> results = new LinkedHashMap<>();
            if (op == Op.CONV) {
                Tensor out = track(made, backend.deformConv2d(convSpec, t.get("input"), t.get("offset"),
                        t.get("mask"), t.get("weight"), t.get("bias")));
                results.put(OUTPUT, toArray(out));
                if (gradOut != null) {
                    DeformConv2dGradients g = track(made, backend.deformConv2dBackward(convSpec, gradOut,
                            t.get("input"), t.get("offset"), t.get("mask"), t.get("weight"), t.get("bias"), wanted));
                    for (String name : op.inputNames()) {
                        Gradient which = op.gradientOf(name);
                        if (t.containsKey(name)) results.put(which.fileStem(), gradient(g.get(which), which));
                    }
                }
            } else {
                Tensor out = track(made, backend.deformPsRoiPool(poolSpec, t.get("input"), t.get("rois"),
                        t.get("offset")));
                results.put(OUTPUT, toArray(out));
                if (gradOut != null) {
                    DeformPsRoiPoolGradients g = track(made, backend.deformPsRoiPoolBackward(poolSpec, gradOut,
                            t.get("input"), t.get("rois"), t.get("offset"), wanted));
                    for (String name : op.inputNames()) {
                        Gradient which = op.gradientOf(name);
                        if (which != null && t.containsKey(name)) {
                            results.put(which.fileStem(), gradient(g.get(which), which));
                        }
                    }
                }
            }
            return results;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        } finally {
            for (AutoCloseable c : made) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // Releasing a tensor must not hide the result or the original error.
                }
            }
        }
    }

    /**
     * Writes {@code <name>.npy} into {@code outDir} (created if needed) for each entry. All files are
     * staged first and renamed into place only when every one was written, so a failure leaves none of
     * them behind.
     *
     * @throws IllegalArgumentException for a name that is not a plain file stem ({@code output}, {@code grad_input})
     */
    public static void writeOutputs(Path outDir, Map<String, NpyArray> results) throws IOException {
        if (outDir == null) throw new IllegalArgumentException("outDir: expected a path, got null");
        if (results == null) throw new IllegalArgumentException("results: expected a map, got null");
        for (Map.Entry<String, NpyArray> e : results.entrySet()) {
            checkStem(e.getKey());
            if (e.getValue() == null) {
                throw new IllegalArgumentException("results." + e.getKey() + ": expected an array, got null");
            }
        }
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw AtomicFiles.describe("cannot create output directory " + outDir, e);
        }
        try (AtomicFiles.Batch batch = new AtomicFiles.Batch()) {
            for (Map.Entry<String, NpyArray> e : results.entrySet()) {
                NpyArray a = e.getValue();
                batch.stage(outDir.resolve(e.getKey() + ".npy"), out -> Npy.writeTo(out, a));
            }
            batch.commit();
        }
    }

    /**
     * Writes a case directory that {@link #load} reads back: {@code case.json} (parameters in the
     * canonical form of {@link #params(DeformConv2dSpec)}), {@code <name>.npy} per input,
     * {@code grad_output.npy} and {@code expected/<name>.npy}. Everything is validated as {@link #load}
     * would before anything is written, then written into a hidden folder beside {@code dir} and
     * renamed to {@code dir}, which must not exist or be empty.
     *
     * @param params     parameter name to value: {@link Number}s, {@code int[]} or lists of numbers,
     *                   e.g. from {@link #params(DeformConv2dSpec)}
     * @param gradOutput {@code null} for a forward-only case
     * @param expected   {@code output}, {@code grad_<input>} ...; {@code null} or empty for none
     */
    public static void write(Path dir, String op, Map<String, Object> params, Map<String, NpyArray> inputs,
                             NpyArray gradOutput, Map<String, NpyArray> expected) throws IOException {
        if (dir == null) throw new IllegalArgumentException("dir: expected a path, got null");
        Op o = Op.named(op, "op");
        if (params == null) throw new IllegalArgumentException("params: expected a map, got null");
        if (inputs == null) throw new IllegalArgumentException("inputs: expected a map, got null");
        Map<String, NpyArray> exp = expected == null ? Map.of() : expected;
        // Same validation path as load: parameters through their JSON form.
        Object paramsJson = Json.parse(Json.write(params), "params");
        String where = "case " + dir;
        DType declared = declaredDType(paramsJson, where);
        paramsJson = withoutDType(paramsJson);
        Map<String, Object> canonical = o == Op.CONV ? params(convSpec(paramsJson, where))
                : params(poolSpec(paramsJson, where));
        if (declared != null) canonical.put(DTYPE, declared == DType.F16 ? "f16" : "bf16");
        checkKeys(inputs, o.required, o.optional, where, "inputs.");
        for (Map.Entry<String, NpyArray> e : inputs.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException(where + ": inputs." + e.getKey() + ": expected an array, got null");
            }
        }
        Set<String> allowed = expectedNames(o, inputs.keySet(), gradOutput != null);
        for (Map.Entry<String, NpyArray> e : exp.entrySet()) {
            checkExpectedName(e.getKey(), allowed, o, inputs.keySet(), gradOutput != null,
                    where + ": expected." + e.getKey());
            if (e.getValue() == null) {
                throw new IllegalArgumentException(where + ": expected." + e.getKey() + ": expected an array, got null");
            }
        }
        caseDType(declared, inputs, gradOutput, exp, where);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("op", o.name);
        json.put("params", canonical);
        Map<String, Object> files = new LinkedHashMap<>();
        for (String name : o.inputNames()) {
            if (inputs.containsKey(name)) files.put(name, name + ".npy");
        }
        json.put("inputs", files);
        if (gradOutput != null) json.put(GRAD_OUTPUT, GRAD_OUTPUT + ".npy");

        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) throw new IOException("cannot write case " + dir + ": it is a file");
            try (DirectoryStream<Path> s = Files.newDirectoryStream(target)) {
                if (s.iterator().hasNext()) {
                    throw new IOException("cannot write case " + dir + ": expected a new or empty directory, got "
                            + "one holding files");
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path temp = parent.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.createDirectory(temp);
            Files.writeString(temp.resolve(CASE_JSON), Json.write(json), StandardCharsets.UTF_8);
            for (Map.Entry<String, NpyArray> e : inputs.entrySet()) {
                Npy.write(temp.resolve(e.getKey() + ".npy"), e.getValue());
            }
            if (gradOutput != null) Npy.write(temp.resolve(GRAD_OUTPUT + ".npy"), gradOutput);
            if (!exp.isEmpty()) {
                Files.createDirectory(temp.resolve(EXPECTED));
                for (Map.Entry<String, NpyArray> e : exp.entrySet()) {
                    Npy.write(temp.resolve(EXPECTED).resolve(e.getKey() + ".npy"), e.getValue());
                }
            }
            if (Files.isDirectory(target)) Files.delete(target);  // empty, checked above
            Files.move(temp, target);
        } catch (IOException e) {
            deleteTree(temp);
            throw e.getMessage() != null && e.getMessage().startsWith("cannot ") ? e
                    : AtomicFiles.describe("cannot write case " + dir, e);
        }
    }

    /** The {@code params} object of a {@value #DEFORM_CONV2D} case for {@code spec}, in canonical form. */
    public static Map<String, Object> params(DeformConv2dSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stride", List.of(spec.strideH(), spec.strideW()));
        m.put("padding", spec.symmetricPadding() ? List.of(spec.padTop(), spec.padLeft())
                : List.of(spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight()));
        m.put("dilation", List.of(spec.dilationH(), spec.dilationW()));
        m.put("groups", spec.groups());
        m.put("offset_groups", spec.offsetGroups());
        if (spec.border() != DeformConv2dSpec.Border.TORCHVISION) m.put("border", borderName(spec.border()));
        return m;
    }

    /** The {@code params} object of a {@value #DEFORM_PSROI_POOL} case for {@code spec}. */
    public static Map<String, Object> params(DeformPsRoiPoolSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spatial_scale", spec.spatialScale());
        m.put("output_dim", spec.outputDim());
        m.put("group_size", spec.groupSize());
        m.put("pooled_size", spec.pooledSize());
        m.put("part_size", spec.partSize());
        m.put("sample_per_part", spec.samplePerPart());
        m.put("trans_std", spec.transStd());
        return m;
    }

    @Override
    public String toString() {
        return "CaseDirectory[" + dir + ", " + op.name + ", inputs " + inputs.keySet()
                + (gradOutput != null ? ", backward" : "") + (expected.isEmpty() ? "" : ", expected " + expected.keySet())
                + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters

    private static DeformConv2dSpec convSpec(Object params, String where) {
        Map<?, ?> p = paramsObject(params, where);
        checkKeys(p, Op.CONV.params, List.of("border"), where, "params.");
        int[] stride = pair(p.get("stride"), where + ": params.stride");
        int[] padding = padding(p.get("padding"), where + ": params.padding");
        int[] dilation = pair(p.get("dilation"), where + ": params.dilation");
        int groups = integer(p.get("groups"), where + ": params.groups");
        int offsetGroups = integer(p.get("offset_groups"), where + ": params.offset_groups");
        DeformConv2dSpec.Border border = border(p.get("border"), where + ": params.border");
        try {
            return new DeformConv2dSpec(stride[0], stride[1], padding[0], padding[1], padding[2], padding[3],
                    dilation[0], dilation[1], groups, offsetGroups, border);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": params: " + e.getMessage(), e);
        }
    }

    private static DeformPsRoiPoolSpec poolSpec(Object params, String where) {
        Map<?, ?> p = paramsObject(params, where);
        checkKeys(p, Op.PSROI.params, List.of(), where, "params.");
        double spatialScale = number(p.get("spatial_scale"), where + ": params.spatial_scale");
        int outputDim = integer(p.get("output_dim"), where + ": params.output_dim");
        int groupSize = integer(p.get("group_size"), where + ": params.group_size");
        int pooledSize = integer(p.get("pooled_size"), where + ": params.pooled_size");
        int partSize = integer(p.get("part_size"), where + ": params.part_size");
        int samplePerPart = integer(p.get("sample_per_part"), where + ": params.sample_per_part");
        double transStd = number(p.get("trans_std"), where + ": params.trans_std");
        try {
            return new DeformPsRoiPoolSpec(spatialScale, outputDim, groupSize, pooledSize, partSize, samplePerPart,
                    transStd);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": params: " + e.getMessage(), e);
        }
    }

    private static Map<?, ?> paramsObject(Object params, String where) {
        if (!(params instanceof Map<?, ?> p)) {
            throw new IllegalArgumentException(where + ": params: expected an object, got " + show(params));
        }
        return p;
    }

    /** {@code "torchvision"} (also when absent) or {@code "dcnv1"}. */
    private static DeformConv2dSpec.Border border(Object v, String where) {
        if (v == null) return DeformConv2dSpec.Border.TORCHVISION;
        for (DeformConv2dSpec.Border b : DeformConv2dSpec.Border.values()) {
            if (v instanceof String name && name.equals(borderName(b))) return b;
        }
        throw new IllegalArgumentException(where + ": expected \"torchvision\" or \"dcnv1\", got " + show(v));
    }

    /** The case.json name of a border rule: the enum constant in lower case. */
    private static String borderName(DeformConv2dSpec.Border b) {
        return b.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * {@code [top, left, bottom, right]} from an integer, an {@code [h, w]} pair (symmetric, as torchvision)
     * or ONNX's {@code pads = [top, left, bottom, right]}.
     */
    private static int[] padding(Object v, String where) {
        if (v instanceof List<?> l && l.size() == 4) {
            int[] pads = new int[4];
            for (int i = 0; i < 4; i++) pads[i] = integer(l.get(i), where + "[" + i + "]");
            return pads;
        }
        if (v instanceof Json.Num || v instanceof List<?> l && l.size() == 2) {
            int[] hw = pair(v, where);
            return new int[] {hw[0], hw[1], hw[0], hw[1]};
        }
        throw new IllegalArgumentException(where + ": expected an integer, an [h, w] pair or [top, left, bottom, "
                + "right] of integers, got " + show(v));
    }

    /** An integer, or an {@code [h, w]} pair of integers (torchvision accepts both). */
    private static int[] pair(Object v, String where) {
        if (v instanceof Json.Num) {
            int x = integer(v, where);
            return new int[] {x, x};
        }
        if (v instanceof List<?> l && l.size() == 2) {
            return new int[] {integer(l.get(0), where + "[0]"), integer(l.get(1), where + "[1]")};
        }
        throw new IllegalArgumentException(where + ": expected an integer or an [h, w] pair of integers, got "
                + show(v));
    }

    private static int integer(Object v, String where) {
        if (v instanceof Json.Num n && n.isInteger()) {
            try {
                return Integer.parseInt(n.text());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": expected an integer in 32-bit range, got " + n.text());
            }
        }
        throw new IllegalArgumentException(where + ": expected an integer, got " + show(v));
    }

    private static double number(Object v, String where) {
        if (v instanceof Json.Num n) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException(where + ": expected a finite number, got " + n);
            return d;
        }
        throw new IllegalArgumentException(where + ": expected a number, got " + show(v));
    }

    /** Fails on a missing required key or any key outside {@code required} and {@code optional}. */
    private static void checkKeys(Map<?, ?> m, List<String> required, List<String> optional, String where,
                                  String prefix) {
        for (Object k : m.keySet()) {
            if (!required.contains(k) && !optional.contains(k)) {
                List<String> known = new ArrayList<>(required);
                known.addAll(optional);
                throw new IllegalArgumentException(where + ": unknown key \"" + prefix + k + "\", expected one of "
                        + known);
            }
        }
        for (String k : required) {
            if (!m.containsKey(k)) {
                throw new IllegalArgumentException(where + ": missing required key \"" + prefix + k + "\"");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Arrays

    /**
     * What stands at {@code path} when it is not a regular file, for error messages: a directory, a
     * FIFO or other special file (reading one could block forever), or nothing.
     */
    static String kindOf(Path path) {
        try {
            java.nio.file.attribute.BasicFileAttributes a =
                    Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
            if (a.isDirectory()) return "a directory";
            if (a.isOther()) return "a FIFO or other special file, not a regular file";
            return a.isRegularFile() ? "a regular file" : "not a regular file";
        } catch (java.nio.file.NoSuchFileException e) {
            return "no such file";
        } catch (IOException e) {
            return "an unreadable path (" + e.getMessage() + ")";
        }
    }

    private static NpyArray readArray(Path dir, Object fileValue, String where) throws IOException {
        if (!(fileValue instanceof String name) || name.isEmpty()) {
            throw new IllegalArgumentException(where + ": expected a file name (string), got " + show(fileValue));
        }
        Path rel;
        try {
            rel = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(where + ": expected a file name, got \"" + name + "\"");
        }
        Path file = dir.resolve(rel).normalize();
        // A case is self-contained: its files live inside its directory.
        if (rel.isAbsolute() || !file.startsWith(dir.normalize())) {
            throw new IllegalArgumentException(where + ": expected a file inside the case directory, got \"" + name
                    + "\"");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(where + ": expected an existing .npy file, got " + kindOf(file) + ": "
                    + file);
        }
        return Npy.read(file);
    }

    private static Map<String, NpyArray> readExpected(Path dir, Op op, Set<String> present, boolean backward)
            throws IOException {
        Path folder = dir.resolve(EXPECTED);
        Map<String, NpyArray> found = new LinkedHashMap<>();
        if (!Files.exists(folder)) return found;
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": expected a folder of .npy files, got a file");
        }
        Set<String> allowed = expectedNames(op, present, backward);
        Set<String> stems = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder, "*.npy")) {
            for (Path f : s) {
                String fn = f.getFileName().toString();
                stems.add(fn.substring(0, fn.length() - 4));
            }
        }
        for (String stem : stems) {
            checkExpectedName(stem, allowed, op, present, backward, folder.resolve(stem + ".npy").toString());
        }
        // Canonical order: output, then the gradients in the op's input order.
        for (String name : allowed) {
            if (!stems.contains(name)) continue;
            Path file = folder.resolve(name + ".npy");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": expected a .npy file, got " + kindOf(file));
            }
            found.put(name, Npy.read(file));
        }
        return found;
    }

    /** {@code output}, plus {@code grad_<x>} for each differentiable input present when running backward. */
    private static Set<String> expectedNames(Op op, Set<String> present, boolean backward) {
        Set<String> names = new java.util.LinkedHashSet<>();
        names.add(OUTPUT);
        if (backward) {
            for (String name : op.inputNames()) {
                if (present.contains(name) && op.gradientOf(name) != null) names.add(op.gradientOf(name).fileStem());
            }
        }
        return names;
    }

    private static void checkExpectedName(String stem, Set<String> allowed, Op op, Set<String> present,
                                          boolean backward, String where) {
        if (allowed.contains(stem)) return;
        String why;
        if (stem.startsWith("grad_") && op.inputNames().contains(stem.substring(5))
                && op.gradientOf(stem.substring(5)) != null) {
            why = !present.contains(stem.substring(5)) ? "the case has no input \"" + stem.substring(5) + "\""
                    : "the case has no grad_output, so no backward runs";
        } else {
            why = "it is neither the output nor the gradient of an input of " + op.name;
        }
        throw new IllegalArgumentException(where + ": expected one of " + allowed + ", got \"" + stem + "\": " + why);
    }

    private static void checkStem(String name) {
        if (name == null || name.isEmpty() || name.startsWith(".") || name.contains("/") || name.contains("\\")
                || name.contains("\0")) {
            throw new IllegalArgumentException("results: expected plain names like \"output\" or \"grad_input\", got "
                    + (name == null ? "null" : "\"" + name + "\""));
        }
    }

    /** The tensor's values in its own dtype: {@code <f4}, {@code <f8}, {@code <f2} or {@code <u2} (bfloat16). */
    private static NpyArray toArray(Tensor t) {
        int[] shape = t.shape();
        if (t.dtype() == DType.F32) return NpyArray.ofFloats(shape, t.toFloatArray());
        if (t.dtype().isSixteenBit()) {
            short[] bits = new short[(int) t.elementCount()];
            t.copyTo(java.nio.ShortBuffer.wrap(bits));
            return NpyArray.ofBits(shape, t.dtype(), bits);
        }
        return new NpyArray(shape, t.dtype(), t.toDoubleArray());
    }

    private static NpyArray gradient(Tensor t, Gradient which) {
        if (t == null) {
            // The backend skipped a gradient that was asked for: a backend bug, not a bad case.
            throw new IllegalStateException("backend returned no " + which.fileStem() + " although it was requested");
        }
        return toArray(t);
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> made, T t) {
        if (t != null) made.add(t);
        return t;
    }

    private static String readUtf8(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_CASE_JSON_BYTES) {
            throw new IllegalArgumentException(file + ": expected at most " + MAX_CASE_JSON_BYTES + " bytes, got "
                    + size);
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": expected UTF-8 JSON text, got invalid UTF-8 bytes");
        }
    }

    /** A JSON value as a message shows it: strings quoted, containers named. */
    private static String show(Object v) {
        if (v == null) return "nothing (missing)";
        if (v instanceof String s) return "\"" + s + "\"";
        if (v instanceof Map<?, ?>) return "an object";
        if (v instanceof List<?> l) {
            String text = Json.write(l).strip();
            return text.length() <= 60 && !text.contains("\n") ? text : "an array of " + l.size() + " values";
        }
        return String.valueOf(v);
    }

    private static void deleteTree(Path p) {
        try {
            if (Files.isDirectory(p)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
                    for (Path c : s) deleteTree(c);
                }
            }
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort cleanup of our own hidden temporary folder.
        }
    }
}
