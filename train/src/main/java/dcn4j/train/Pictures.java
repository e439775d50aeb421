package dcn4j.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The pictures of {@code dcn4j train --out DIR}, drawn with Java2D and written with
 * {@link ImageIO}:
 * <ul>
 *   <li>{@code sampling_small.png}, {@code sampling_large.png}: like the paper's Figure 5-6, one
 *       test image per class with, for the conv3 unit at the object centre (green square), its 9
 *       learned sampling locations (red) and the 81 locations of conv2 below them (blue);</li>
 *   <li>{@code effective_dilation.png}: like Table 2, histograms of the per-object effective
 *       dilation of conv3 for small and large test objects.</li>
 * </ul>
 */
final class Pictures {

    private static final int ZOOM = 12;
    private static final int TITLE = 34;
    private static final Color SMALL = new Color(0x1f77b4);
    private static final Color LARGE = new Color(0xff7f0e);

    private Pictures() {
    }

    static List<Path> write(Path dir, List<PairsDataset.Sample> test, Evaluation eval) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (boolean large : new boolean[] {false, true}) {
            Path file = dir.resolve(large ? "sampling_large.png" : "sampling_small.png");
            ImageIO.write(sampling(test, eval, large), "png", file.toFile());
            written.add(file);
        }
        Path hist = dir.resolve("effective_dilation.png");
        ImageIO.write(histogram(test, eval), "png", hist.toFile());
        written.add(hist);
        return written;
    }

    /** One panel per class: the first test object of that class and size class the network got right (else the first). */
    static BufferedImage sampling(List<PairsDataset.Sample> test, Evaluation eval, boolean large) {
        int side = PairsDataset.SIZE * ZOOM, gap = 8;
        int width = PairsDataset.CLASSES * (side + gap) + gap, height = side + TITLE + gap + 22;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        for (int c = 0; c < PairsDataset.CLASSES; c++) {
            int n = pick(test, eval, large, c);
            int left = gap + c * (side + gap);
            panel(g, test.get(n), eval, n, left, TITLE);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(String.format(Locale.ROOT, "%s %s, pred %s", large ? "large" : "small",
                    PairsDataset.CLASS_NAMES[c], PairsDataset.CLASS_NAMES[eval.prediction(n)]), left, 14);
            g.drawString(String.format(Locale.ROOT, "eff. dilation: centre %.1f px, object %.1f px",
                    eval.centreDilation(n), eval.objectDilation(n)), left, 29);
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("green: the conv3 unit nearest the object centre; red: its 9 learned sampling locations;"
                + " blue: the 81 locations of the conv2 units under them (paper Fig. 5)", gap, height - 10);
        g.dispose();
        return img;
    }

    private static int pick(List<PairsDataset.Sample> test, Evaluation eval, boolean large, int label) {
        int first = -1;
        for (int n = 0; n < test.size(); n++) {
            PairsDataset.Sample s = test.get(n);
            if (s.large() != large || s.label() != label) continue;
            if (first < 0) first = n;
            if (eval.prediction(n) == label) return n;
        }
        if (first < 0) throw new IllegalStateException("test set has no " + (large ? "large" : "small")
                + " object of class " + label);
        return first;
    }

    private static void panel(Graphics2D g, PairsDataset.Sample s, Evaluation eval, int n, int left, int top) {
        int size = PairsDataset.SIZE;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double v = Math.max(0, Math.min(1, s.image()[y * size + x]));
                int grey = (int) Math.round(40 + 160 * v);
                g.setColor(new Color(grey, grey, grey));
                g.fillRect(left + x * ZOOM, top + y * ZOOM, ZOOM, ZOOM);
            }
        }
        int[] u = eval.centreUnit(n);
        double[][][] levels = eval.samplingLevels(n, u[0], u[1]);
        // Sampling locations may lie outside the image (they read zeros there): keep them off the neighbours.
        g.setClip(left, top, size * ZOOM, size * ZOOM);
        g.setColor(new Color(80, 170, 255));
        for (double[] p : levels[1]) dot(g, left, top, p, 3.5);
        g.setColor(new Color(235, 40, 40));
        for (double[] p : levels[0]) dot(g, left, top, p, 6);
        g.setColor(new Color(40, 220, 60));
        double cy = top + (PairsNet.STRIDE * u[0] + 0.5) * ZOOM, cx = left + (PairsNet.STRIDE * u[1] + 0.5) * ZOOM;
        g.fill(new Rectangle2D.Double(cx - 5, cy - 5, 10, 10));
        g.setClip(null);
    }

    /** A dot at input pixel coordinate {@code p} (pixel centres at integer coordinates). */
    private static void dot(Graphics2D g, int left, int top, double[] p, double r) {
        double cy = top + (p[0] + 0.5) * ZOOM, cx = left + (p[1] + 0.5) * ZOOM;
        g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
    }

    /** Fraction of small and of large test objects per effective-dilation bin of 0.5 px. */
    static BufferedImage histogram(List<PairsDataset.Sample> test, Evaluation eval) {
        double bin = 0.5;
        double max = 0;
        for (int n = 0; n < test.size(); n++) max = Math.max(max, eval.objectDilation(n));
        int bins = Math.max(8, (int) Math.ceil(max / bin) + 1);
        double[][] frac = new double[2][bins];
        int[] total = new int[2];
        for (int n = 0; n < test.size(); n++) {
            int sc = test.get(n).large() ? 1 : 0;
            int b = Math.min(bins - 1, (int) (eval.objectDilation(n) / bin));
            frac[sc][b]++;
            total[sc]++;
        }
        double top = 0;
        for (int sc = 0; sc < 2; sc++) {
            for (int b = 0; b < bins; b++) {
                frac[sc][b] /= Math.max(1, total[sc]);
                top = Math.max(top, frac[sc][b]);
            }
        }
        top = Math.ceil(top * 10) / 10;
        int width = 720, height = 440, ml = 60, mr = 20, mt = 70, mb = 60;
        int plotW = width - ml - mr, plotH = height - mt - mb;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.setColor(Color.BLACK);
        g.drawString("Effective dilation of the deformable conv3, per test object (paper Table 2)", ml - 40, 18);
        g.drawString(String.format(Locale.ROOT, "mean: small %.2f px, large %.2f px, background units %.2f px",
                eval.meanDilation(false), eval.meanDilation(true), eval.backgroundDilation()), ml - 40, 36);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // Axes and ticks.
        g.setStroke(new BasicStroke(1));
        g.draw(new Line2D.Double(ml, mt + plotH, ml + plotW, mt + plotH));
        g.draw(new Line2D.Double(ml, mt, ml, mt + plotH));
        double barW = (double) plotW / bins;
        for (int b = 0; b <= bins; b += 2) {
            double x = ml + b * barW;
            g.draw(new Line2D.Double(x, mt + plotH, x, mt + plotH + 4));
            g.drawString(String.format(Locale.ROOT, "%.0f", b * bin), (float) x - 4, mt + plotH + 18);
        }
        for (int t = 0; t <= 5; t++) {
            double v = top * t / 5, y = mt + plotH - plotH * v / top;
            g.draw(new Line2D.Double(ml - 4, y, ml, y));
            g.drawString(String.format(Locale.ROOT, "%.2f", v), ml - 40, (float) y + 4);
        }
        g.drawString("effective dilation (input pixels); plain conv3 = " + PairsNet.STRIDE, ml + plotW / 2 - 110,
                height - 20);
        g.drawString("fraction of objects", 6, mt - 8);
        for (int sc = 0; sc < 2; sc++) {
            g.setColor(sc == 0 ? SMALL : LARGE);
            for (int b = 0; b < bins; b++) {
                double h = plotH * frac[sc][b] / top;
                g.fill(new Rectangle2D.Double(ml + b * barW + sc * barW / 2 + 1, mt + plotH - h, barW / 2 - 2, h));
            }
            g.fillRect(ml + 15, mt + 5 + sc * 20, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(sc == 0 ? "small objects" : "large objects", ml + 33, mt + 16 + sc * 20);
        }
        g.dispose();
        return img;
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }
}
