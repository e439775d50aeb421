package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backends;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dcn4j conformance --backend-jar PATH --backend NAME} on provider jars dcn4j did not build:
 * the test compiles two small providers with {@code javax.tools} into jars outside the reactor (and
 * outside the class path): one that wraps the reference correctly, one that drops the modulation
 * mask. The correct one must pass (exit 0), the broken one must fail (exit 1).
 */
class BackendJarTest {

    private static final String TRIES = "4";

    @TempDir
    static Path work;
    static Path correctJar, brokenJar;

    @BeforeAll
    static void buildProviderJars() throws IOException {
        correctJar = providerJar("thirdparty.ok", "thirdparty-ok", false);
        brokenJar = providerJar("thirdparty.maskless", "thirdparty-maskless", true);
    }

    @Test
    void theProvidersAreNotOnTheClassPath() {
        List<String> builtIn = Backends.providers().stream().map(p -> p.name()).toList();
        assertTrue(!builtIn.contains("thirdparty-ok") && !builtIn.contains("thirdparty-maskless"), builtIn.toString());
    }

    @Test
    void aCorrectThirdPartyProviderIsFoundInItsJarAndPasses() {
        CliRun r = CliRun.of("conformance", "--backend-jar", correctJar.toString(), "--backend", "thirdparty-ok",
                "--tries", TRIES, "--seed", "12");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("provider 'thirdparty-ok' (thirdparty.ok.WrappingProvider) from "), r.out());
        assertTrue(r.out().contains(correctJar.getFileName().toString()), r.out());
        assertTrue(r.out().contains("thirdparty-ok PASS: 24 properties, 0 failed"), r.out());
        assertTrue(r.out().contains("conformance: PASS"), r.out());
    }

    @Test
    void aBrokenThirdPartyProviderFails() {
        CliRun r = CliRun.of("conformance", "--backend-jar", brokenJar.toString(), "--backend", "thirdparty-maskless",
                "--tries", TRIES, "--seed", "12");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("thirdparty-maskless FAIL"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("conv01_forwardMatchesReference") && l.contains("FAIL")),
                r.out());
        assertTrue(r.out().contains("conformance: FAIL"), r.out());
    }

    @Test
    void aFolderOfJarsIsSearchedToo() throws IOException {
        Path folder = Files.createDirectories(work.resolve("folder"));
        Files.copy(correctJar, folder.resolve("provider.jar"));
        CliRun r = CliRun.of("conformance", "--backend-jar", folder.toString(), "--backend", "thirdparty-ok",
                "--tries", "1", "--seed", "3");
        assertEquals(0, r.exitCode(), r.out() + r.err());
    }

    @Test
    void aJarWithoutTheNamedProviderOrWithoutBackendIsOneLineOfError() {
        CliRun none = CliRun.of("conformance", "--backend-jar", correctJar.toString(), "--backend", "absent");
        assertNotEquals(0, none.exitCode());
        assertEquals(1, none.errLines().size(), none.err());
        assertTrue(none.err().contains("thirdparty-ok") && none.err().contains("'absent'"), none.err());
        CliRun unnamed = CliRun.of("conformance", "--backend-jar", correctJar.toString());
        assertNotEquals(0, unnamed.exitCode());
        assertEquals(1, unnamed.errLines().size(), unnamed.err());
        assertTrue(unnamed.err().contains("--backend"), unnamed.err());
        CliRun missing = CliRun.of("conformance", "--backend-jar", work.resolve("nothing.jar").toString(), "--backend",
                "x");
        assertNotEquals(0, missing.exitCode());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }

    /**
     * Compiles a provider named {@code name} in package {@code pkg} against dcn4j (the test's class
     * path) and packs it with its service file into a jar of its own.
     */
    private static Path providerJar(String pkg, String name, boolean dropsTheMask) throws IOException {
        Path src = Files.createDirectories(work.resolve(name + "-src").resolve(pkg.replace('.', '/')));
        Path classes = Files.createDirectories(work.resolve(name + "-classes"));
        Files.writeString(src.resolve("WrappingProvider.java"), PROVIDER.replace("PKG", pkg).replace("NAME", name));
        Files.writeString(src.resolve("WrappingBackend.java"), BACKEND.replace("PKG", pkg)
                .replace("DROPS_THE_MASK", Boolean.toString(dropsTheMask)));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("--release", "21", "-classpath",
                System.getProperty("java.class.path"), "-d", classes.toString()));
        try (Stream<Path> s = Files.list(src)) {
            s.forEach(p -> args.add(p.toString()));
        }
        int rc = javac.run(null, null, null, args.toArray(String[]::new));
        assertEquals(0, rc, "javac of the " + name + " provider");
        Path jar = work.resolve(name + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/dcn4j.spi.BackendProvider"));
            write(out, pkg + ".WrappingProvider\n");
            out.closeEntry();
        }
        return jar;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private static final String PROVIDER = """
            package PKG;

            import dcn4j.Backend;
            import dcn4j.BackendOptions;
            import dcn4j.reference.ReferenceProvider;
            import dcn4j.spi.BackendProvider;

            public final class WrappingProvider implements BackendProvider {
                public String name() { return "NAME"; }
                public int priority() { return -100; }
                public Availability availability() { return Availability.yes(); }
                public Backend open(BackendOptions options) {
                    return new WrappingBackend(name(), new ReferenceProvider().open(options));
                }
            }
            """;

    /** A backend of its own tensors around the reference; with the bug, it drops the mask (DCNv2 becomes v1). */
    private static final String BACKEND = """
            package PKG;

            import dcn4j.*;
            import java.util.Set;

            final class WrappingBackend implements Backend {
                private final String name;
                private final Backend inner;

                WrappingBackend(String name, Backend inner) { this.name = name; this.inner = inner; }

                final class Wrapped implements Tensor {
                    final Tensor t;
                    final WrappingBackend owner = WrappingBackend.this;
                    Wrapped(Tensor t) { this.t = t; }
                    public int[] shape() { return t.shape(); }
                    public DType dtype() { return t.dtype(); }
                    public String backendName() { return name; }
                    public double[] toDoubleArray() { return t.toDoubleArray(); }
                    public float[] toFloatArray() { return t.toFloatArray(); }
                    public void close() { t.close(); }
                }

                private Tensor wrap(Tensor t) { return t == null ? null : new Wrapped(t); }

                private Tensor unwrap(Tensor t, String argument) {
                    if (t == null) return null;
                    if (t instanceof Wrapped w && w.owner == this) return w.t;
                    throw new IllegalArgumentException(argument + ": expected a tensor of backend '" + name
                            + "', got one of '" + t.backendName() + "'");
                }

                public String name() { return name; }
                public String description() { return "third-party wrapper of " + inner.description(); }
                public DType nativeDType() { return inner.nativeDType(); }
                public boolean supports(DType d) { return inner.supports(d); }
                public Tensor tensor(DType d, int[] shape, double[] data) { return wrap(inner.tensor(d, shape, data)); }
                public Tensor tensor(DType d, int[] shape, float[] data) { return wrap(inner.tensor(d, shape, data)); }

                public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask,
                                           Tensor weight, Tensor bias) {
                    Tensor m = DROPS_THE_MASK ? null : unwrap(mask, "mask");
                    return wrap(inner.deformConv2d(spec, unwrap(input, "input"), unwrap(offset, "offset"), m,
                            unwrap(weight, "weight"), unwrap(bias, "bias")));
                }

                public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput,
                        Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias, Set<Gradient> wanted) {
                    DeformConv2dGradients g = inner.deformConv2dBackward(spec, unwrap(gradOutput, "gradOutput"),
                            unwrap(input, "input"), unwrap(offset, "offset"), unwrap(mask, "mask"),
                            unwrap(weight, "weight"), unwrap(bias, "bias"), wanted);
                    return new DeformConv2dGradients(wrap(g.input()), wrap(g.offset()), wrap(g.mask()),
                            wrap(g.weight()), wrap(g.bias()));
                }

                public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
                    return wrap(inner.deformPsRoiPool(spec, unwrap(input, "input"), unwrap(rois, "rois"),
                            unwrap(offset, "offset")));
                }

                public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                        Tensor input, Tensor rois, Tensor offset, Set<Gradient> wanted) {
                    DeformPsRoiPoolGradients g = inner.deformPsRoiPoolBackward(spec, unwrap(gradOutput, "gradOutput"),
                            unwrap(input, "input"), unwrap(rois, "rois"), unwrap(offset, "offset"), wanted);
                    return new DeformPsRoiPoolGradients(wrap(g.input()), wrap(g.offset()));
                }

                public void close() { inner.close(); }
            }
            """;
}
