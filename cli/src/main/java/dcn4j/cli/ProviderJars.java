package dcn4j.cli;

import dcn4j.spi.BackendProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Backend providers that dcn4j did not build: the jars given with {@code --backend-jar} (a jar, or
 * a folder whose jars are all taken, for the provider's own dependencies) in one class loader
 * whose parent holds dcn4j, searched with {@link ServiceLoader} (DESIGN.md "Third-party backends").
 * Closing it closes the jars.
 */
final class ProviderJars implements AutoCloseable {

    private final URLClassLoader loader;
    private final List<Path> jars;

    private ProviderJars(URLClassLoader loader, List<Path> jars) {
        this.loader = loader;
        this.jars = jars;
    }

    /** Opens {@code paths} (jars, or folders of jars); {@link IllegalArgumentException} naming a path that is neither. */
    static ProviderJars load(List<Path> paths) {
        List<Path> jars = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    List<Path> inside = s.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
                    if (inside.isEmpty()) {
                        throw new IllegalArgumentException("--backend-jar: expected a jar or a folder of jars, got " + p
                                + " (a folder without jars)");
                    }
                    jars.addAll(inside);
                } catch (IOException e) {
                    throw new UncheckedIOException("--backend-jar: cannot list " + p, e);
                }
            } else if (Files.isRegularFile(p)) {
                jars.add(p);
            } else {
                throw new IllegalArgumentException("--backend-jar: expected a jar or a folder of jars, got " + p
                        + " (no such file)");
            }
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toAbsolutePath().toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("--backend-jar: expected a jar path, got " + jars.get(i), e);
            }
        }
        return new ProviderJars(new URLClassLoader("dcn4j-backend-jars", urls, ProviderJars.class.getClassLoader()),
                List.copyOf(jars));
    }

    /**
     * The provider called {@code name}, among those of the jars and dcn4j's own;
     * {@link IllegalArgumentException} listing the names found when none is called so.
     */
    BackendProvider provider(String name) {
        List<String> names = new ArrayList<>();
        try {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class, loader)) {
                if (p.name().equals(name)) return p;
                names.add(p.name());
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("--backend-jar: a provider in " + jars + " cannot be loaded: "
                    + e.getMessage(), e);
        }
        throw new IllegalArgumentException("--backend: expected one of " + names + " (with the providers of "
                + jars + "), got '" + name + "'");
    }

    /** The jar {@code p}'s class came from, or "dcn4j's class path" for a built-in one. */
    String origin(BackendProvider p) {
        if (p.getClass().getClassLoader() != loader) return "dcn4j's class path";
        CodeSource cs = p.getClass().getProtectionDomain().getCodeSource();
        return cs == null ? String.valueOf(jars) : cs.getLocation().toString();
    }

    @Override
    public void close() {
        try {
            loader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("--backend-jar: cannot close " + jars, e);
        }
    }
}
