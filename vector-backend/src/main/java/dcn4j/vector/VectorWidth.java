package dcn4j.vector;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the vector backend knows about the host, fixed when the class loads (DESIGN.md "Vector width and
 * GEMM tiles"): the float species (the JVM's preferred one, or a narrower one forced with
 * {@code -Ddcn4j.vector.bits=128|256|512}, as Lucene's {@code tests.vectorsize}), the number of vector
 * registers the JIT can allocate, whether the JVM has a hardware fused multiply-add, and the L1/L2 data
 * cache sizes. Every value is a {@code static final}, so C2 folds them into the kernels.
 */
final class VectorWidth {

    /** System property forcing a narrower vector width in bits (128, 256 or 512, at most the preferred one). */
    static final String BITS_PROPERTY = "dcn4j.vector.bits";
    /** System property forcing ({@code true}) or refusing ({@code false}) the fused multiply-add. */
    static final String FMA_PROPERTY = "dcn4j.vector.fma";

    static final VectorSpecies<Float> SPECIES = speciesOrPreferred(System.getProperty(BITS_PROPERTY));
    /** Float lanes per vector. */
    static final int L = SPECIES.length();
    /**
     * Whether {@link #fma} is a fused multiply-add. Without hardware FMA (x86 without FMA3, or
     * {@code -XX:UseAVX=0}) {@code FloatVector.fma} is computed lane by lane in {@code BigDecimal}, about
     * 10,000x slower; then {@link #fma} is a multiply and an add (two roundings instead of one).
     */
    static final boolean FMA = fmaOrDetected(System.getProperty(FMA_PROPERTY));
    /** Vector registers C2 allocates: 32 with AVX-512 (EVEX, also for narrower species) and on AArch64, else 16 (AVX2, SSE). */
    static final int REGISTERS = registers();
    /** L1 data cache and L2 cache of one core, in bytes (from sysfs on Linux; 32 KiB and 1 MiB elsewhere). */
    static final int L1_BYTES = cacheBytes(1, 32 << 10), L2_BYTES = cacheBytes(2, 1 << 20);

    private VectorWidth() {
    }

    /** {@code a*b + c}: fused when the hardware has it, else a multiply then an add (see {@link #FMA}). */
    static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    /** {@code a*b + c} on scalars, with the same rule as {@link #fma(FloatVector, FloatVector, FloatVector)}. */
    static float fma(float a, float b, float c) {
        return FMA ? Math.fma(a, b, c) : a * b + c;
    }

    /**
     * Why the backend cannot use the forced width, FMA or tile, or {@code null} when it can (for the
     * provider's availability: a bad property makes the backend unavailable with this reason, while the
     * static fields above fall back to the defaults so that loading this class never fails).
     */
    static String problem() {
        try {
            species(System.getProperty(BITS_PROPERTY));
            hardwareFma(System.getProperty(FMA_PROPERTY));
            String tile = System.getProperty(GemmTile.TILE_PROPERTY);
            if (tile != null && !tile.isBlank()) GemmTile.named(tile.trim());
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static VectorSpecies<Float> speciesOrPreferred(String forced) {
        try {
            return species(forced);
        } catch (IllegalArgumentException e) {
            return FloatVector.SPECIES_PREFERRED;
        }
    }

    private static boolean fmaOrDetected(String forced) {
        try {
            return hardwareFma(forced);
        } catch (IllegalArgumentException e) {
            return hardwareFma(null);
        }
    }

    /** One line for {@code dcn4j backends} and the bench header. */
    static String describe() {
        return "Vector API " + SPECIES.vectorBitSize() + "-bit float32 (" + L + " lanes"
                + (SPECIES.vectorBitSize() < FloatVector.SPECIES_PREFERRED.vectorBitSize()
                        ? ", forced by -D" + BITS_PROPERTY : "")
                + "), " + REGISTERS + " vector registers, " + (FMA ? "FMA" : "no hardware FMA: multiply+add");
    }

    static VectorSpecies<Float> species(String forced) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (forced == null || forced.isBlank()) return preferred;
        int bits;
        try {
            bits = Integer.parseInt(forced.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits > preferred.vectorBitSize()) {
            throw new IllegalArgumentException("-D" + BITS_PROPERTY + ": expected at most the JVM's preferred width "
                    + preferred.vectorBitSize() + ", got " + forced.trim());
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("-D" + BITS_PROPERTY + ": expected 128, 256 or 512, got '" + forced + "'");
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    static boolean hardwareFma(String forced) {
        if (forced != null && !forced.isBlank()) {
            String f = forced.trim().toLowerCase(Locale.ROOT);
            if (f.equals("true")) return true;
            if (f.equals("false")) return false;
            throw new IllegalArgumentException("-D" + FMA_PROPERTY + ": expected true or false, got '" + forced + "'");
        }
        // HotSpot sets UseFMA from the CPU (and clears it with -XX:UseAVX=0); other VMs: assume FMA.
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null || !"false".equals(bean.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }

    private static int registers() {
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64") || arch.equals("arm64")) return 32;
        // x86: AVX-512 (HotSpot's UseAVX=3) encodes 32 registers at every width, also under
        // -XX:MaxVectorSize=16 or a forced narrower species; AVX2 and SSE have 16.
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean != null) return Integer.parseInt(bean.getVMOption("UseAVX").getValue()) >= 3 ? 32 : 16;
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or no such flag: judge by the preferred width
        }
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? 32 : 16;
    }

    /** The size of the level-{@code level} data (or unified) cache of CPU 0, from sysfs; {@code fallback} otherwise. */
    private static int cacheBytes(int level, int fallback) {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path index = dir.resolve("index" + i);
            try {
                if (!Files.isDirectory(index)) break;
                if (Integer.parseInt(Files.readString(index.resolve("level")).trim()) != level) continue;
                if (Files.readString(index.resolve("type")).trim().equals("Instruction")) continue;
                String size = Files.readString(index.resolve("size")).trim().toUpperCase(Locale.ROOT);
                int mult = size.endsWith("K") ? 1 << 10 : size.endsWith("M") ? 1 << 20 : 1;
                String digits = size.replaceAll("[^0-9]", "");
                long bytes = Long.parseLong(digits) * mult;
                if (bytes > 0 && bytes < (1L << 30)) return (int) bytes;
            } catch (IOException | RuntimeException e) {
                return fallback;
            }
        }
        return fallback;
    }
}
