package dcn4j.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * Builds the self-contained kit of {@code dcn4j kit} (DESIGN.md "The kit"): a folder holding a Java
 * runtime made with {@code jlink} (only the JDK modules dcn4j needs, the Vector API included), the jars
 * of the running CLI, the case directories the suite replays, and {@code bin/dcn4j}, a launcher that
 * uses that runtime and nothing else on the machine.
 *
 * <p>The kit is assembled in a sibling folder and moved to its final name only when complete, so a
 * failed or interrupted build never leaves a half-written kit under the requested name.
 */
final class Kit {

    /** Folder names inside a kit. */
    static final String RUNTIME = "runtime", LIB = "lib", CASES = "cases", BIN = "bin";

    /**
     * JDK modules every kit holds, whatever jdeps finds: the Vector API is reached only through the
     * vector backend (and must be there for it), logging is used by JUnit and jqwik reflectively.
     */
    static final List<String> BASE_MODULES = List.of("java.base", "java.logging", "jdk.incubator.vector");

    /**
     * JDK modules left out although a jar uses them: {@code java.desktop} (with the modules only it needs,
     * about 19 MiB of the runtime) serves only the pictures of {@code dcn4j train --out}, which the kit
     * refuses with one line; with it the kit would not fit in 64 MiB.
     */
    static final List<String> EXCLUDED_MODULES = List.of("java.desktop");

    /** jlink options: no debug attributes, man pages or headers, zip-compressed resources (size, not speed). */
    static final List<String> JLINK_OPTIONS = List.of("--strip-debug", "--no-man-pages", "--no-header-files",
            "--compress=zip-6");

    /**
     * The JVM options of the kit's launcher: the same as the {@code ./dcn4j} launcher's (the Vector API
     * module, native access for JOCL, the parallel collector).
     */
    static final List<String> JVM_OPTIONS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC");

    private Kit() {
    }

    /**
     * Whether the jar called {@code fileName} goes into a kit: every jar except ONNX Runtime's and dcn4j's
     * backend on it (native code for a handful of platforms, larger than the rest of the kit together,
     * and not needed to check new hardware).
     */
    static boolean belongsInKit(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        return name.endsWith(".jar") && !name.startsWith("onnxruntime") && !name.startsWith("dcn4j-onnxruntime");
    }

    /**
     * The jars of a class path that go into a kit, in class-path order. Every entry must be a jar file:
     * a folder of classes (a build tree, an IDE) cannot be shipped as it is.
     *
     * @throws IllegalStateException naming the first entry that is not a jar file
     */
    static List<Path> jarsOf(String classPath) {
        List<Path> jars = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isBlank()) continue;
            Path p = Path.of(entry);
            if (!Files.isRegularFile(p) || !p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar")) {
                throw new IllegalStateException("the class path entry " + p + " is not a jar file; build the jars first"
                        + " (./dcn4j kit runs from them)");
            }
            if (belongsInKit(p.getFileName().toString())) jars.add(p);
        }
        if (jars.isEmpty()) throw new IllegalStateException("no jar to put in the kit on the class path '" + classPath + "'");
        return jars;
    }

    /**
     * The text of {@code bin/dcn4j}. It finds the kit from its own location (symbolic links resolved), runs
     * the kit's {@code runtime/bin/java} only (never {@code JAVA_HOME} or {@code PATH}'s java), and drops
     * the JVM's one-line notice that an incubator module is in use, as {@code ./dcn4j} does.
     */
    static String launcher() {
        return """
                #!/bin/bash
                # dcn4j kit launcher: runs dcn4j on the Java runtime inside this kit; no JDK, Maven or network is
                # needed (the opencl backend needs an OpenCL driver). Usage: bin/dcn4j --help
                # Extra JVM options: DCN4J_JAVA_OPTS="-Xmx8g -Ddcn4j.threads=4" bin/dcn4j ...
                set -u
                PATH="${PATH:-/usr/bin:/bin}"
                self="${BASH_SOURCE[0]}"
                while [ -L "$self" ]; do
                  target="$(readlink "$self")"
                  case "$target" in /*) self="$target" ;; *) self="$(dirname "$self")/$target" ;; esac
                done
                kit="$(cd "$(dirname "$self")/.." && pwd -P)"
                java="$kit/%1$s/bin/java"
                [ -x "$java" ] || { echo "dcn4j: this kit's runtime is missing ($java)" >&2; exit 1; }
                # Signal chaining, as ./dcn4j: the JVM's SIGSEGV at safepoints must not reach the handler with
                # which the LLVM inside PoCL and Mesa deletes its temporary files (docs/DESIGN.md "OpenCL runtime").
                preload="${LD_PRELOAD:-}"
                [ ! -f "$kit/%1$s/lib/libjsig.so" ] || preload="$kit/%1$s/lib/libjsig.so${preload:+:$preload}"
                # stdout goes straight to fd 3 (our stdout); only stderr passes the filter.
                {
                  LD_PRELOAD="$preload" "$java" %2$s -Ddcn4j.home="$kit" ${DCN4J_JAVA_OPTS:-} \\
                    -cp "$kit/%3$s/*" dcn4j.cli.Main "$@" 2>&1 1>&3 3>&- \\
                    | grep --line-buffered -v -x -F 'WARNING: Using incubator modules: jdk.incubator.vector' >&2
                } 3>&1
                exit "${PIPESTATUS[0]}"
                """.formatted(RUNTIME, String.join(" ", JVM_OPTIONS), LIB);
    }

    /** What {@link #build} made. */
    record Result(Path folder, long bytes, List<String> modules, int jars, int cases) {
    }

    /**
     * Builds a kit at {@code out}, which must not exist or be an empty folder.
     *
     * @param out      the kit folder
     * @param jars     the jars to ship ({@link #jarsOf})
     * @param mainJar  the jar holding {@code dcn4j.cli.Main}, from which jdeps follows what the kit needs
     * @param cases    the folder of case directories the suite replays
     * @param license  the LICENSE file to include, or {@code null}
     * @param progress one line per step
     */
    static Result build(Path out, List<Path> jars, Path mainJar, Path cases, Path license, PrintWriter progress)
            throws IOException {
        requireNewOrEmpty(out);
        if (!Files.isDirectory(cases)) {
            throw new IllegalArgumentException("--cases: expected a folder of case directories, got " + cases
                    + (Files.exists(cases) ? " (a file)" : " (no such folder)"));
        }
        ToolProvider jlink = tool("jlink");
        ToolProvider jdeps = tool("jdeps");

        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, "." + out.getFileName() + ".partial-");
        Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            progress.println("kit: finding the JDK modules dcn4j needs (jdeps)");
            progress.flush();
            List<String> modules = modulesNeeded(jdeps, jars, mainJar);

            progress.println("kit: making the runtime with " + String.join(",", modules) + " (jlink)");
            progress.flush();
            List<String> args = new ArrayList<>(List.of("--add-modules", String.join(",", modules)));
            args.addAll(JLINK_OPTIONS);
            args.addAll(List.of("--output", staging.resolve(RUNTIME).toString()));
            run(jlink, args);

            Path lib = Files.createDirectories(staging.resolve(LIB));
            for (Path jar : jars) Files.copy(jar, lib.resolve(jar.getFileName().toString()));
            int caseCount = copyTree(cases, staging.resolve(CASES));
            if (license != null && Files.isRegularFile(license)) Files.copy(license, staging.resolve("LICENSE"));

            Path launcher = Files.createDirectories(staging.resolve(BIN)).resolve("dcn4j");
            Files.writeString(launcher, launcher(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(staging.resolve("README.txt"), readme(modules), StandardCharsets.UTF_8);

            if (Files.isDirectory(out)) Files.delete(out); // empty, checked above
            Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
            return new Result(out, sizeOf(out), modules, jars.size(), caseCount);
        } finally {
            if (Files.exists(staging)) deleteTree(staging);
        }
    }

    /**
     * The JDK modules the jars use (jdeps from {@code mainJar}, following the class path), plus
     * {@link #BASE_MODULES}, less {@link #EXCLUDED_MODULES}.
     */
    static List<String> modulesNeeded(ToolProvider jdeps, List<Path> jars, Path mainJar) {
        String classPath = String.join(File.pathSeparator, jars.stream().map(Path::toString).toList());
        String found = run(jdeps, List.of("--print-module-deps", "--ignore-missing-deps", "--multi-release",
                Integer.toString(Runtime.version().feature()), "--class-path", classPath, mainJar.toString()));
        TreeSet<String> modules = new TreeSet<>(BASE_MODULES);
        for (String m : found.strip().split(",")) {
            if (!m.isBlank()) modules.add(m.strip());
        }
        modules.removeAll(EXCLUDED_MODULES);
        return List.copyOf(modules);
    }

    private static ToolProvider tool(String name) {
        return ToolProvider.findFirst(name).orElseThrow(() -> new IllegalStateException("making a kit needs a JDK with "
                + name + "; the Java runtime at " + System.getProperty("java.home") + " has none"));
    }

    /** Runs a JDK tool; its output, or {@link IllegalStateException} with its last line if it fails. */
    private static String run(ToolProvider tool, List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = tool.run(o, e, args.toArray(String[]::new));
        }
        if (code != 0) {
            String text = (err + "\n" + out).strip();
            String[] lines = text.split("\n");
            throw new IllegalStateException(tool.name() + " failed (exit " + code + "): "
                    + (lines.length == 0 ? "" : lines[lines.length - 1]));
        }
        return out.toString();
    }

    private static void requireNewOrEmpty(Path out) throws IOException {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new IllegalArgumentException("--out: expected a new folder, got " + out + " (a file)");
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException("--out: expected a new or empty folder, got " + out + " (not empty)");
            }
        }
    }

    private static String readme(List<String> modules) {
        return """
                dcn4j kit: dcn4j with its own Java runtime (%s).
                No JDK, Maven or network is needed; the opencl backend needs the machine's OpenCL driver.

                  bin/dcn4j backends                       # backends found, availability, devices
                  bin/dcn4j conformance [--backend NAME]   # the conformance suite (replays cases/)
                  bin/dcn4j bench --backend NAME --shape 1,64,56,56,64,3,3 --padding 1,1

                Made by `dcn4j kit`; see docs/DESIGN.md "The kit".
                """.formatted(String.join(", ", modules));
    }

    /** Copies a folder recursively; returns the number of case directories (folders holding case.json). */
    private static int copyTree(Path from, Path to) throws IOException {
        int[] cases = {0};
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                if (Files.isRegularFile(dir.resolve("case.json"))) cases[0]++;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
        return cases[0];
    }

    static long sizeOf(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) Files.deleteIfExists(p);
        }
    }

    /** For messages: {@code 41.3 MiB}. */
    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
