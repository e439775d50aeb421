package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.conformance.ConvCase;
import dcn4j.spi.DeformConv2dShape;
import org.junit.jupiter.api.Test;

/**
 * The column buffer is processed in chunks sized from a fixed budget (the official {@code im2col_step},
 * chosen automatically), so the workspace of a call does not grow with the batch.
 */
class WorkspaceTest {

    @Test
    void workspaceHeldDoesNotGrowWithTheBatch() {
        ConvCase one = new ConvCase(1, 20, 17, 15, 24, 3, 3, DeformConv2dSpec.defaults().withPadding(1, 1), true,
                true, true, ConvCase.OffsetStyle.SMALL, 5);
        long[] peak = new long[2];
        int i = 0;
        for (int batch : new int[] {1, 6}) {
            try (Backend b = new VectorBackend(2, 1 << 16, 1 << 17)) {
                ConvCase c = one.withBatch(batch);
                c.forward(b);
                c.backward(b, dcn4j.Gradient.all());
                peak[i++] = VectorProvider.peakWorkspaceBytes(b);
            }
        }
        assertTrue(peak[0] > 0);
        assertEquals(peak[0], peak[1], "peak workspace for batch 1 vs 6");
    }

    /** The planned workspace of the benchmark shapes is the same for batch 1 and batch 32. */
    @Test
    void plannedWorkspaceOfBenchmarkShapesIsBatchIndependent() {
        int[][] shapes = {{64, 56, 56, 64}, {64, 28, 28, 64}, {256, 28, 28, 256}, {512, 14, 14, 512}};
        for (int[] s : shapes) {
            long[] fwd = new long[2], bwd = new long[2];
            int i = 0;
            for (int batch : new int[] {1, 32}) {
                ConvGeometry g = geometry(batch, s[0], s[1], s[2], s[3]);
                fwd[i] = VectorDeformConv2d.ForwardPlan.of(g, 2, VectorDeformConv2d.FORWARD_CHUNK_BYTES).bytes(g, 2);
                VectorDeformConv2d.BackwardPlan p = VectorDeformConv2d.BackwardPlan.of(g, true, true,
                        VectorDeformConv2d.BACKWARD_CHUNK_BYTES);
                bwd[i] = p.bytes(g, 2, true, true);
                i++;
            }
            assertEquals(fwd[0], fwd[1]);
            assertEquals(bwd[0], bwd[1]);
            System.out.printf("workspace C,H,W,O=%d,%d,%d,%d: forward %.2f MiB, backward %.2f MiB (batch 1 and 32)%n",
                    s[0], s[1], s[2], s[3], fwd[0] / 1048576.0, bwd[0] / 1048576.0);
        }
    }

    private static ConvGeometry geometry(int n, int c, int h, int w, int o) {
        // Shapes only: validation needs tensors, so build tiny stand-ins with the right shapes lazily.
        return new ConvGeometry(new DeformConv2dShape(DeformConv2dSpec.defaults().withPadding(1, 1), dcn4j.DType.F32,
                n, c, h, w, o, 3, 3, h, w, true, false, false));
    }
}
