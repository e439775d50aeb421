package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * {@link VectorTensor}'s storage lifetime (DESIGN.md "Output recycling"): a closed output's array reaches the
 * recycler only when no read holds it, and a closed tensor cannot be read.
 */
class VectorTensorTest {

    @Test
    void aClosedOutputIsRecycledOnlyAfterTheLastHold() {
        ArrayRecycler r = new ArrayRecycler(1 << 20);
        float[] values = {1, 2, 3, 4};
        VectorTensor t = new VectorTensor(new int[] {2, 2}, values, r);
        assertSame(values, t.hold());
        assertSame(values, t.hold());
        t.close();
        assertThrows(IllegalStateException.class, t::hold, "closed: no new reads");
        assertThrows(IllegalStateException.class, t::toFloatArray);
        assertEquals(0, r.bytes(), "still held twice");
        t.release();
        assertEquals(0, r.bytes(), "still held once");
        t.release();
        assertEquals(16, r.bytes());
        assertSame(values, r.take(4));
        t.close();
        assertEquals(0, r.bytes(), "close is idempotent: given once");
    }

    @Test
    void anUnheldOutputIsRecycledWhenClosedAndOtherTensorsNever() {
        ArrayRecycler r = new ArrayRecycler(1 << 20);
        float[] values = {1, 2};
        VectorTensor t = new VectorTensor(new int[] {2}, values, r);
        assertArrayEquals(values, t.toFloatArray());
        t.close();
        assertSame(values, r.take(2));
        float[] user = {5, 6};
        VectorTensor plain = new VectorTensor(new int[] {2}, user);
        plain.close();
        assertNotSame(user, r.take(2), "a tensor without recycler keeps its array to itself");
    }
}
