package dcn4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Atomic file replacement: each file is written in full to a hidden temporary file in the target's
 * folder, then renamed over the target, so a reader (or an interrupted run) never sees a
 * half-written file.
 * {@link Batch} extends this to several files: all are staged before any is renamed, so a failure
 * while writing leaves none of them behind.
 */
final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Writes a file's content to a stream. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code target} atomically. */
    static void write(Path target, Body body) throws IOException {
        try (Batch batch = new Batch()) {
            batch.stage(target, body);
            batch.commit();
        }
    }

    /** Files staged next to their targets, renamed into place by {@link #commit}, else deleted on close. */
    static final class Batch implements AutoCloseable {
        private final List<Path> temps = new ArrayList<>();
        private final List<Path> targets = new ArrayList<>();

        /** Writes {@code body} to a temporary file beside {@code target}. */
        void stage(Path target, Body body) throws IOException {
            Path file = target.toAbsolutePath();
            Path dir = file.getParent();
            String name = file.getFileName().toString();
            if (Files.isDirectory(file)) {
                throw new IOException("cannot write " + target + ": it is a directory");
            }
            Path temp;
            OutputStream out;
            while (true) {
                temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                        + ".tmp");
                try {
                    // CREATE_NEW (not createTempFile) so the final file gets the usual umask permissions.
                    out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    break;
                } catch (FileAlreadyExistsException e) {
                    // Random name collision: try another.
                } catch (IOException e) {
                    throw describe("cannot write " + target, e);
                }
            }
            temps.add(temp);
            targets.add(target);
            try (OutputStream o = out) {
                body.writeTo(o);
            } catch (IOException e) {
                throw describe("cannot write " + target, e);
            }
        }

        /** Renames every staged file onto its target. */
        void commit() throws IOException {
            for (int i = 0; i < temps.size(); i++) {
                Path temp = temps.get(i), target = targets.get(i);
                try {
                    try {
                        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw describe("cannot write " + target, e);
                }
                temps.set(i, null);
            }
        }

        /** Deletes whatever was staged and not committed. */
        @Override
        public void close() {
            for (Path t : temps) {
                if (t == null) continue;
                try {
                    Files.deleteIfExists(t);
                } catch (IOException ignored) {
                    // Best effort: a leftover hidden .tmp file is harmless and says what it was.
                }
            }
            temps.clear();
            targets.clear();
        }
    }

    /**
     * An {@link IOException} whose message says what failed and why in words: NIO's own messages are
     * often just a path ({@code NoSuchFileException: x.npy}).
     */
    static IOException describe(String what, IOException e) {
        String why;
        String file = e instanceof FileSystemException f ? f.getFile() : null;
        if (e instanceof NoSuchFileException) {
            why = "no such file or directory";
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied";
        } else if (e instanceof FileAlreadyExistsException) {
            why = "already exists";
        } else if (e instanceof NotDirectoryException) {
            why = "not a directory";
        } else if (e instanceof DirectoryNotEmptyException) {
            why = "directory not empty";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            why = f.getReason();
        } else {
            why = String.valueOf(e.getMessage());
            file = null;
        }
        // Name the file the exception is about when it is not the one `what` already names.
        if (file != null && !what.endsWith(" " + file)) why += " (" + file + ")";
        return new IOException(what + ": " + why, e);
    }
}
