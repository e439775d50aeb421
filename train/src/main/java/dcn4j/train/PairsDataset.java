package dcn4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The synthetic task of {@code dcn4j train}: a 32x32 grey image holding two identical dots; the
 * class is the direction of the line through them (0, 45, 90 or 135 degrees, jittered by up to
 * 5 degrees), at a random position, with Gaussian pixel noise (sigma 0.05). Objects come in two
 * size classes, half of the images each: small (dot radius 0.9-1.2 px, centres 4-6 px apart) and
 * large (radius 2.0-2.6 px, 16-19 px apart). A dot alone looks the same in every class, so a unit
 * must see both dots to tell the class: within the 11-pixel receptive field of the plain network
 * for small objects, beyond it for large ones unless the sampling grid spreads (paper section 1:
 * the fixed geometric structure of conv modules versus objects of different scales).
 */
final class PairsDataset {

    /** Image side, pixels. */
    static final int SIZE = 32;
    static final int CLASSES = 4;
    static final String[] CLASS_NAMES = {"0 deg", "45 deg", "90 deg", "135 deg"};

    /**
     * One image and its annotation.
     *
     * @param image  {@code SIZE*SIZE} values in [0, 1] plus noise, row-major
     * @param label  direction class
     * @param large  size class
     * @param cy     object centre (midpoint of the dots), pixels
     * @param box    bounding box of both dots {@code (y0, x0, y1, x1)}, pixels
     */
    record Sample(double[] image, int label, boolean large, double cy, double cx, double[] box) {
    }

    private PairsDataset() {
    }

    /** {@code count} samples, alternating small and large, classes cycling; deterministic in {@code seed}. */
    static List<Sample> generate(int count, long seed) {
        Random rng = new Random(seed);
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean large = i % 2 == 1;
            int label = (i / 2) % CLASSES;
            out.add(draw(rng, label, large));
        }
        return out;
    }

    static Sample draw(Random rng, int label, boolean large) {
        double radius = large ? 2.0 + 0.6 * rng.nextDouble() : 0.9 + 0.3 * rng.nextDouble();
        double separation = large ? 16 + 3 * rng.nextDouble() : 4 + 2 * rng.nextDouble();
        double angle = Math.toRadians(45 * label + 10 * (rng.nextDouble() - 0.5));
        // Image rows grow downwards: 45 degrees points up and to the right.
        double dy = -Math.sin(angle) * separation / 2, dx = Math.cos(angle) * separation / 2;
        double margin = radius + 1;
        double spanY = Math.abs(dy) + margin, spanX = Math.abs(dx) + margin;
        double cy = spanY + rng.nextDouble() * (SIZE - 1 - 2 * spanY);
        double cx = spanX + rng.nextDouble() * (SIZE - 1 - 2 * spanX);
        double[] img = new double[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double d1 = Math.hypot(y - (cy + dy), x - (cx + dx));
                double d2 = Math.hypot(y - (cy - dy), x - (cx - dx));
                // A disc with a one-pixel linear edge: anti-aliased, so sizes vary continuously.
                double v = Math.max(clamp(radius + 0.5 - d1), clamp(radius + 0.5 - d2));
                img[y * SIZE + x] = v + 0.05 * rng.nextGaussian();
            }
        }
        double[] box = {cy - spanY + 1, cx - spanX + 1, cy + spanY - 1, cx + spanX - 1};
        return new Sample(img, label, large, cy, cx, box);
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }
}
