package dcn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Npy} against NumPy's format: files written by NumPy 1.24 (test resources, made by
 * <pre>
 * /usr/bin/python3 -c "import numpy as np
 * np.save('f4_2x3.npy', np.arange(6, dtype='&lt;f4').reshape(2, 3) / np.float32(7))
 * np.save('f8_3x4.npy', np.arange(12.0).reshape(3, 4) * 0.1 - 0.35)
 * np.save('f8_special.npy', np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]))
 * np.save('f4_scalar.npy', np.array(2.5, dtype='&lt;f4'))
 * np.save('f8_empty_0x3.npy', np.zeros((0, 3)))
 * np.save('f8_fortran_2x3.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))
 * np.save('i4_6.npy', np.arange(6, dtype='&lt;i4'))
 * np.save('f8_rank15.npy', np.arange(3.0).reshape((3,) + (1,) * 14))
 * f = open('f8_v2_2x2x2.npy', 'wb'); np.lib.format.write_array(f, np.arange(8.0).reshape(2, 2, 2) / 3, version=(2, 0))
 * np.save('f2_2x3.npy', np.array([[0.0, -0.0, 1.0], [65504.0, 2**-24, -1.5]], dtype=np.float16))
 * np.save('f2_special.npy', np.array([np.inf, -np.inf, np.nan, 0.1], dtype=np.float16))
 * np.save('u2_bf16_4.npy', np.array([0x3f80, 0xbfc0, 0x7f80, 0x0001], dtype='&lt;u2'))"
 * </pre>
 * in {@code src/test/resources/dcn4j/io}), plus hand-made byte sequences for each rejection.
 */
class NpyTest {

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------------------------------------
    // Files written by NumPy

    @Test
    void readsNumpyFloat32FileWithExactFloatValues() throws IOException {
        NpyArray a = Npy.read(resource("f4_2x3.npy"));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertEquals(DType.F32, a.dtype());
        for (int i = 0; i < 6; i++) {
            // NumPy divides in float32; Java's float division is the same IEEE operation.
            assertEquals((double) ((float) i / 7f), a.data()[i], 0.0, "element " + i);
        }
    }

    @Test
    void readsNumpyFloat16FileWidenedExactly() throws IOException {
        NpyArray a = Npy.read(resource("f2_2x3.npy"));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertEquals(DType.F16, a.dtype());
        double[] want = {0.0, -0.0, 1.0, 65504.0, 0x1p-24, -1.5};
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(a.data()[i]), "element " + i);
        }
        NpyArray special = Npy.read(resource("f2_special.npy"));
        assertEquals(Double.POSITIVE_INFINITY, special.data()[0]);
        assertEquals(Double.NEGATIVE_INFINITY, special.data()[1]);
        assertTrue(Double.isNaN(special.data()[2]));
        assertEquals((double) Float.float16ToFloat(Float.floatToFloat16(0.1f)), special.data()[3], 0.0);
    }

    @Test
    void readsUint16FileAsBfloat16Bits() throws IOException {
        NpyArray a = Npy.read(resource("u2_bf16_4.npy"));
        assertEquals(DType.BF16, a.dtype());
        assertArrayEquals(new double[] {1.0, -1.5, Double.POSITIVE_INFINITY, Float.intBitsToFloat(0x10000)}, a.data());
    }

    @Test
    void float32FileIsReadOffTheHeapAndReachesATensorWithoutDoubles() throws IOException {
        NpyArray a = Npy.read(resource("f4_2x3.npy"));
        assertTrue(a.rawData().isDirect(), "the data of a <f4 file lives in a direct buffer");
        assertEquals(ByteOrder.LITTLE_ENDIAN, a.rawData().order());
        assertEquals(24, a.rawData().remaining());
        try (dcn4j.Backend ref = dcn4j.Backends.open("reference");
             dcn4j.Tensor t = a.toTensor(ref, DType.F32)) {
            assertArrayEquals(a.data(), t.toDoubleArray());
        }
    }

    @Test
    void readsNumpyFloat64File() throws IOException {
        NpyArray a = Npy.read(resource("f8_3x4.npy"));
        assertArrayEquals(new int[] {3, 4}, a.shape());
        assertEquals(DType.F64, a.dtype());
        for (int i = 0; i < 12; i++) assertEquals(i * 0.1 - 0.35, a.data()[i], 0.0, "element " + i);
    }

    @Test
    void readsSpecialValuesBitForBit() throws IOException {
        NpyArray a = Npy.read(resource("f8_special.npy"));
        double[] want = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE,
                Double.MAX_VALUE};
        assertArrayEquals(new int[] {6}, a.shape());
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(a.data()[i]), "element " + i);
        }
    }

    @Test
    void readsZeroDimensionalAndEmptyArrays() throws IOException {
        NpyArray scalar = Npy.read(resource("f4_scalar.npy"));
        assertArrayEquals(new int[0], scalar.shape());
        assertArrayEquals(new double[] {2.5}, scalar.data());
        NpyArray empty = Npy.read(resource("f8_empty_0x3.npy"));
        assertArrayEquals(new int[] {0, 3}, empty.shape());
        assertEquals(0, empty.data().length);
    }

    @Test
    void readsNumpyRank15FileWhoseHeaderNeedsTwoAlignmentBlocks() throws IOException {
        // 98 characters of dict plus NumPy's 20 spare growth spaces overflow 128 bytes: header is 192.
        Path f = resource("f8_rank15.npy");
        NpyArray a = Npy.read(f);
        assertEquals(15, a.shape().length);
        assertArrayEquals(new double[] {0, 1, 2}, a.data());
        assertEquals(192 + 3 * 8, Files.size(f));
    }

    @Test
    void readsNumpyVersion2File() throws IOException {
        NpyArray a = Npy.read(resource("f8_v2_2x2x2.npy"));
        assertArrayEquals(new int[] {2, 2, 2}, a.shape());
        for (int i = 0; i < 8; i++) assertEquals(i / 3.0, a.data()[i], 0.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"f4_2x3.npy", "f8_3x4.npy", "f8_special.npy", "f4_scalar.npy", "f8_empty_0x3.npy",
        "f8_rank15.npy", "f2_2x3.npy", "f2_special.npy", "u2_bf16_4.npy"})
    void writerReproducesNumpyFilesByteForByte(String name) throws IOException {
        Path original = resource(name);
        Path copy = tmp.resolve(name);
        Npy.write(copy, Npy.read(original));
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void rejectsNumpyFortranOrderFile() throws IOException {
        Path f = resource("f8_fortran_2x3.npy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(f));
        assertMessage(e, f, "fortran_order: expected False");
    }

    @Test
    void rejectsNumpyInt32File() throws IOException {
        Path f = resource("i4_6.npy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(f));
        assertMessage(e, f, "dtype: expected '<f4' (float32), '<f8' (float64), '<f2' (float16) or '<u2' (bfloat16 bits), got '<i4'");
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips

    @Test
    void roundTripsFloat32AndFloat64OfEveryRank() throws IOException {
        Random r = new Random(7);
        List<int[]> shapes = List.of(new int[0], new int[] {5}, new int[] {3, 1}, new int[] {2, 3, 4},
                new int[] {1, 2, 3, 4}, new int[] {2, 1, 2, 1, 3}, new int[] {0}, new int[] {4, 0, 2});
        for (int[] shape : shapes) {
            int n = 1;
            for (int d : shape) n *= d;
            float[] f = new float[n];
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                f[i] = (float) r.nextGaussian();
                d[i] = r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            }
            for (NpyArray a : List.of(NpyArray.ofFloats(shape, f), NpyArray.ofDoubles(shape, d))) {
                Path p = tmp.resolve("rt.npy");
                Npy.write(p, a);
                assertEquals(a, Npy.read(p), a.toString());
                assertEquals(0, headerLength(p) % 64, "header padded to 64 bytes: " + a);
                assertEquals(headerLength(p) + (long) n * (a.dtype() == DType.F32 ? 4 : 8), Files.size(p),
                        "data follows the header, nothing after it: " + a);
            }
        }
    }

    @Test
    void writesVersion1HeaderEndingInNewline() throws IOException {
        Path p = tmp.resolve("h.npy");
        Npy.write(p, NpyArray.ofDoubles(new int[] {2, 3}, new double[6]));
        byte[] b = Files.readAllBytes(p);
        assertEquals(1, b[6]);
        assertEquals(0, b[7]);
        int total = headerLength(p);
        assertEquals('\n', b[total - 1]);
        String header = new String(b, 10, total - 10, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertEquals(total + 6 * 8, b.length);
    }

    @Test
    void readsHandMadeVersion2HeaderFloat32() throws IOException {
        Path p = write("v2.npy", npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                floats(1.5f, -2f, 0.25f)));
        NpyArray a = Npy.read(p);
        assertEquals(NpyArray.ofFloats(new int[] {3}, new float[] {1.5f, -2f, 0.25f}), a);
    }

    @Test
    void acceptsKeysInAnyOrderDoubleQuotesAndNoPadding() throws IOException {
        Path p = write("order.npy", npyUnpadded(1, "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f8\"}",
                doubles(1, 2)));
        assertEquals(NpyArray.ofDoubles(new int[] {2}, new double[] {1, 2}), Npy.read(p));
    }

    // ---------------------------------------------------------------------------------------------
    // Rejections: each names the file and the problem

    @Test
    void rejectsBadMagic() throws IOException {
        byte[] b = npy(1, HEADER_F8_2, doubles(1, 2));
        b[1] = 'X';
        Path p = write("magic.npy", b);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "not a .npy file: expected the magic string");
    }

    @Test
    void rejectsEmptyAndTinyFiles() throws IOException {
        Path empty = write("empty.npy", new byte[0]);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(empty)), empty, "not a .npy file");
        Path tiny = write("tiny.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5});
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(tiny)), tiny,
                "truncated file: it ends inside the header length");
    }

    @Test
    void rejectsUnknownFormatVersion() throws IOException {
        byte[] b = npy(1, HEADER_F8_2, doubles(1, 2));
        b[6] = 3;
        Path p = write("v3.npy", b);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "format version: expected 1.0 or 2.0, got 3.0");
    }

    @Test
    void rejectsHeaderLongerThanTheFile() throws IOException {
        byte[] full = npy(1, HEADER_F8_2, doubles(1, 2));
        byte[] cut = java.util.Arrays.copyOf(full, 40);
        Path p = write("cut.npy", cut);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p, "truncated header");
    }

    @ParameterizedTest
    @ValueSource(strings = {"<i4", ">f8", "|u1", ">f4", ">f2", "<c16", "f8", "<i8", "|b1", ">u2", "<i2"})
    void rejectsEveryOtherDtype(String descr) throws IOException {
        Path p = write("dtype.npy", npy(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }",
                doubles(1, 2)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "dtype: expected '<f4' (float32), '<f8' (float64), '<f2' (float16) or '<u2' (bfloat16 bits), got '" + descr + "'");
    }

    @Test
    void rejectsStructuredDtype() throws IOException {
        Path p = write("struct.npy", npy(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }",
                doubles(1, 2)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "dtype: expected '<f4' (float32), '<f8' (float64), '<f2' (float16) or '<u2' (bfloat16 bits), got [('a', '<f8')]");
    }

    @Test
    void rejectsFortranOrder() throws IOException {
        Path p = write("fortran.npy", npy(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 1), }",
                doubles(1, 2)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "fortran_order: expected False (C order), got True");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        Path p = write("short.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                doubles(1, 2, 3)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "truncated data: expected 32 bytes for shape [2, 2] of <f8, got 24");
    }

    @Test
    void rejectsTrailingGarbage() throws IOException {
        byte[] good = npy(1, HEADER_F8_2, doubles(1, 2));
        byte[] b = java.util.Arrays.copyOf(good, good.length + 3);
        Path p = write("long.npy", b);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "trailing bytes: expected 16 data bytes for shape [2] of <f8, got 19 (3 extra)");
    }

    @Test
    void rejectsShapeWhoseProductDoesNotMatchTheData() throws IOException {
        // Data for 6 float32 values (24 bytes), shape claims 2x2 (16 bytes): length mismatch.
        Path p = write("mismatch.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                floats(1, 2, 3, 4, 5, 6)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(p)), p,
                "trailing bytes: expected 16 data bytes for shape [2, 2] of <f4, got 24");
    }

    @Test
    void rejectsMissingAndExtraHeaderKeys() throws IOException {
        Path missing = write("missing.npy", npy(1, "{'descr': '<f8', 'shape': (2,), }", doubles(1, 2)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(missing)), missing,
                "header: missing key 'fortran_order'");
        Path extra = write("extra.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1, }",
                doubles(1, 2)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Npy.read(extra)), extra,
                "header: unexpected key 'x'");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",
        "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} junk",
        "['descr', '<f8']",
        "{'descr': '<f8', 'fortran_order': false, 'shape': (2,)}",
        "{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
        ""})
    void rejectsMalformedHeaderDict(String header) throws IOException {
        Path p = write("malformed.npy", npy(1, header, doubles(1, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertMessage(e, p, "malformed header");
    }

    @Test
    void controlCharactersInAHeaderAreEscapedSoTheErrorIsOneLine() throws IOException {
        Path p = write("ctl.npy", npy(1, "{'descr': '<f8',\u0001\n 'fortran_order': False, 'shape': (2,), }",
                doubles(1, 2)));
        String m = assertThrows(IllegalArgumentException.class, () -> Npy.read(p)).getMessage();
        assertTrue(m.contains("\\x01"), m);
        assertTrue(m.chars().noneMatch(c -> c < 0x20), "no control character in: " + m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[2]", "(2, -1)", "(2.0,)", "'2'", "(99999999999,)", "(65536, 65536)", "None"})
    void rejectsBadShapes(String shape) throws IOException {
        Path p = write("shape.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }",
                doubles(1, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }

    @Test
    void missingFileIsAnIOExceptionNamingIt() {
        Path p = tmp.resolve("nothing.npy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(p));
        assertEquals("cannot read " + p + ": no such file or directory", e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // NpyArray invariants and atomic writes

    @Test
    void arrayRejectsLengthMismatchNegativeDimensionAndInexactFloat32() {
        assertEquals("data: expected 6 values for shape [2, 3], got 5",
                assertThrows(IllegalArgumentException.class,
                        () -> new NpyArray(new int[] {2, 3}, DType.F64, new double[5])).getMessage());
        assertEquals("shape: expected dimensions >= 0, got [2, -3]",
                assertThrows(IllegalArgumentException.class,
                        () -> new NpyArray(new int[] {2, -3}, DType.F64, new double[6])).getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NpyArray(new int[] {2}, DType.F32, new double[] {0.5, 0.1}));
        assertTrue(e.getMessage().startsWith("data[1]: expected a value exactly representable as float32"),
                e.getMessage());
    }

    @Test
    void arrayShapeIsDefensivelyCopied() {
        int[] shape = {2, 1};
        NpyArray a = NpyArray.ofDoubles(shape, new double[2]);
        shape[0] = 7;
        a.shape()[1] = 9;
        assertArrayEquals(new int[] {2, 1}, a.shape());
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path p = tmp.resolve("x.npy");
        Files.writeString(p, "old content");
        NpyArray a = NpyArray.ofDoubles(new int[] {2}, new double[] {3, 4});
        Npy.write(p, a);
        assertEquals(a, Npy.read(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void writeIntoMissingFolderFailsNamingTheFile() {
        Path p = tmp.resolve("no-such-dir").resolve("x.npy");
        IOException e = assertThrows(IOException.class,
                () -> Npy.write(p, NpyArray.ofDoubles(new int[] {1}, new double[] {1})));
        assertTrue(e.getMessage().startsWith("cannot write " + p + ": no such file or directory"), e.getMessage());
    }

    @Test
    void writeOntoADirectoryFailsAndLeavesItAlone() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d.npy"));
        IOException e = assertThrows(IOException.class,
                () -> Npy.write(d, NpyArray.ofDoubles(new int[] {1}, new double[] {1})));
        assertEquals("cannot write " + d + ": it is a directory", e.getMessage());
        assertTrue(Files.isDirectory(d));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(d), s.toList());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static final String HEADER_F8_2 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

    private Path resource(String name) throws IOException {
        Path p = tmp.resolve("numpy-" + name);
        try (InputStream in = NpyTest.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("test resource missing: " + name);
            Files.copy(in, p);
        }
        return p;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** A .npy file with the given header dict, padded as NumPy pads it, in format {@code version}. */
    static byte[] npy(int version, String dict, byte[] data) {
        int lengthBytes = version == 1 ? 2 : 4;
        int hlen = dict.length() + 1;
        int pad = (64 - (8 + lengthBytes + hlen) % 64) % 64;
        return assemble(version, dict + " ".repeat(pad) + "\n", data);
    }

    private static byte[] npyUnpadded(int version, String dict, byte[] data) {
        return assemble(version, dict, data);
    }

    private static byte[] assemble(int version, String header, byte[] data) {
        int lengthBytes = version == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + header.length() + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) b.putShort((short) header.length());
        else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) b.putDouble(d);
        return b.array();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    /** Magic + version + length + header: where the data starts. */
    private static int headerLength(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return b[6] == 1 ? 10 + (bb.getShort(8) & 0xffff) : 12 + bb.getInt(8);
    }

    private static void assertMessage(Exception e, Path file, String fragment) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), "message should start with the file name: " + m);
        assertTrue(m.contains(fragment), "message should contain '" + fragment + "': " + m);
    }
}
