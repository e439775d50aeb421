package dcn4j.cli;

import dcn4j.io.CaseDirectory;
import dcn4j.io.NpyArray;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code --out} folder of {@code dcn4j eval} (DESIGN.md "Command line"): it holds the files of one
 * run, all of them, and nothing else. A run writes into a fresh sibling folder and then swaps it for
 * {@code --out} by two renames (the old folder aside, the new one in place, the old one deleted), so
 * the results of a run appear together or not at all and files of an earlier run never stay beside
 * them; a failure before the swap leaves {@code --out} as it was. A folder that holds anything but
 * results ({@code output.npy}, {@code grad_*.npy}) is refused, never replaced: it is not ours.
 */
final class ResultDirectory {

    private static final Pattern RESULT = Pattern.compile("output\\.npy|grad_[a-z]+\\.npy");

    private ResultDirectory() {
    }

    /**
     * Fails with an {@link IllegalArgumentException} naming {@code --out} unless {@code out} can take the
     * results: a path (not empty, not the current directory) to a missing folder, or to one holding only
     * files of an earlier run.
     */
    static Path check(String given) throws IOException {
        if (given == null || given.isBlank()) {
            throw new IllegalArgumentException("--out: expected a folder, got an empty path");
        }
        Path out = Path.of(given).toAbsolutePath().normalize();
        if (out.getParent() == null || out.equals(Path.of("").toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out: expected a folder of its own for the results, got " + given
                    + " (" + (out.getParent() == null ? "the root" : "the current directory") + ")");
        }
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) return out;
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("--out: expected a directory, got "
                    + (Files.isSymbolicLink(out) ? "a symbolic link" : "a file") + ": " + given);
        }
        List<String> foreign = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(out)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (!RESULT.matcher(name).matches() || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    foreign.add(name);
                }
            }
        }
        if (!foreign.isEmpty()) {
            foreign.sort(null);
            throw new IllegalArgumentException("--out: expected a new folder or one holding only results of "
                    + "dcn4j eval (output.npy, grad_*.npy), got " + given + " holding " + foreign.size()
                    + " other entr" + (foreign.size() == 1 ? "y" : "ies") + " ("
                    + String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
                    + (foreign.size() > 3 ? ", ..." : "") + "); it is left untouched");
        }
        return out;
    }

    /** Writes {@code results} as the whole content of {@code out} (see the class comment). */
    static void replace(Path out, Map<String, NpyArray> results) throws IOException {
        Path parent = out.getParent();
        Files.createDirectories(parent);
        String name = out.getFileName().toString();
        Path fresh = Files.createTempDirectory(parent, "." + name + ".new-");
        Path old = null;
        try {
            try {
                // createTempDirectory makes it owner-only; results are ordinary files.
                Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: keep its default.
            }
            CaseDirectory.writeOutputs(fresh, results);
            check(out.toString());  // again: the folder may have changed during the run
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                old = parent.resolve("." + name + ".old-" + fresh.getFileName().toString().substring(name.length() + 6));
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(fresh, out, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
                    old = null;
                    throw e;
                }
            } else {
                Files.move(fresh, out, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            deleteQuietly(fresh);
            if (old != null) deleteQuietly(old);
        }
    }

    /** Deletes a folder we created and everything in it; what cannot be deleted stays (never an error). */
    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Left behind as a hidden .new-/.old- sibling; the results themselves are complete.
        }
    }
}
