package dcn4j.cli;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.train.TrainDemo;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dcn4j train}: trains a plain and a deformable network on a synthetic task that needs
 * geometric adaptation and prints the paper's evidence that offsets are learned (section 2.3,
 * Table 2). The last two lines are {@code accuracy plain=.. deformable=..} and
 * {@code effective dilation small=.. large=..}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Learned offsets end to end: trains the same small network plain and with deformable"
                + " conv2/conv3 on pairs of dots at two scales (class = direction of the pair), then prints test"
                + " accuracy and the effective dilation of the learned sampling (paper Table 2).")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = "NAME",
            description = "backend to run on (default: -Ddcn4j.backend, DCN4J_BACKEND, else the best available)")
    String backend;

    @Option(names = "--epochs", paramLabel = "E", description = "training epochs for each network (default: ${DEFAULT-VALUE})")
    int epochs = TrainDemo.DEFAULT_EPOCHS;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the data, weights and order (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--out", paramLabel = "DIR",
            description = "write sampling_small.png, sampling_large.png and effective_dilation.png here")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (out != null && ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
            // The kit's runtime leaves java.desktop out (DESIGN.md "The kit"); ImageIO lives there.
            throw new IllegalArgumentException("--out: writing pictures needs the JDK module java.desktop, which this"
                    + " Java runtime lacks (a dcn4j kit leaves it out); run without --out");
        }
        TrainDemo.Options options = TrainDemo.Options.defaults().withEpochs(epochs).withSeed(seed).withOut(out);
        try (Backend b = backend == null ? Backends.open() : Backends.open(backend)) {
            TrainDemo.Result r = TrainDemo.run(b, options, System.out);
            System.out.printf(Locale.ROOT, "accuracy by size: plain small=%.2f large=%.2f, deformable small=%.2f"
                            + " large=%.2f%n", r.plainBySize()[0], r.plainBySize()[1], r.deformableBySize()[0],
                    r.deformableBySize()[1]);
            System.out.printf(Locale.ROOT, "effective dilation of background units=%.2f (plain conv3: %.2f)%n",
                    r.dilationBackground(), r.plainDilation());
            for (Path p : r.pictures()) System.out.println("wrote " + p);
            System.out.printf(Locale.ROOT, "time %.1f s on backend %s (%s)%n", r.seconds(), b.name(), b.description());
            System.out.printf(Locale.ROOT, "accuracy plain=%.2f deformable=%.2f%n", r.plainAccuracy(),
                    r.deformableAccuracy());
            System.out.printf(Locale.ROOT, "effective dilation small=%.2f large=%.2f%n", r.dilationSmall(),
                    r.dilationLarge());
        }
        return 0;
    }
}
