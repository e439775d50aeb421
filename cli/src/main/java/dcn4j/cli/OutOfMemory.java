package dcn4j.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One line for an {@link OutOfMemoryError} (DESIGN.md "Command line": never a stack trace): what was too
 * big, and the JVM heap limit it did not fit in, with the way to raise it.
 */
final class OutOfMemory {

    private OutOfMemory() {
    }

    /** The heap limit ({@code -Xmx}) and how to raise it. */
    static String limit() {
        return "the JVM heap limit is " + size(Runtime.getRuntime().maxMemory())
                + " (-Xmx; raise it with DCN4J_JAVA_OPTS=-Xmx<size>)";
    }

    /** For a case directory: its arrays (count, total, largest file) against the heap limit. */
    static String describe(OutOfMemoryError e, Path caseDir) {
        long total = 0, largest = -1;
        int count = 0;
        String largestName = null;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(caseDir, "*.npy")) {
            for (Path p : s) {
                if (!Files.isRegularFile(p)) continue;
                long n = Files.size(p);
                count++;
                total += n;
                if (n > largest) {
                    largest = n;
                    largestName = p.getFileName().toString();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Described without the sizes below.
        }
        String what = largestName == null ? "the case " + caseDir
                : "the case's " + count + " arrays (" + size(total) + " on disk, largest " + largestName + " of "
                        + size(largest) + ")";
        return "out of memory (" + e.getMessage() + "): " + what + " and the results do not fit; " + limit();
    }

    static String size(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return bytes + " bytes";
    }
}
