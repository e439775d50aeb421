package dcn4j.io;

import dcn4j.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files as CASE_FORMAT.md "Arrays" allows them: format version
 * 1.0 or 2.0, C order, dtype {@code <f4}, {@code <f8}, {@code <f2} (float16) or {@code <u2} (dcn4j's
 * encoding of bfloat16: the 16-bit patterns, {@link DType#BF16}). Anything else is rejected with an
 * {@link IllegalArgumentException} whose message starts with the file name.
 *
 * <p>{@code <f4}, {@code <f2} and {@code <u2} data is read into a direct buffer, not onto the Java heap
 * and never as doubles: {@link NpyArray#toTensor} hands it to a backend in one copy.
 *
 * <p>The layout (NumPy's {@code numpy/lib/format.py}, "Format Version 1.0/2.0"): the magic
 * {@code \x93NUMPY}, major and minor version bytes, the header length (little-endian {@code uint16}
 * for 1.0, {@code uint32} for 2.0), an ASCII header holding a Python dict literal with exactly the
 * keys {@code descr}, {@code fortran_order} and {@code shape}, padded with spaces and a newline,
 * then the raw data, nothing after it.
 *
 * <pre>{@code
 * NpyArray a = Npy.read(Path.of("case/input.npy"));
 * Npy.write(Path.of("out/output.npy"), new NpyArray(new int[] {2, 3}, DType.F64, values));
 * }</pre>
 */
public final class Npy {

    private Npy() {
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the data start to 64 bytes ({@code ARRAY_ALIGN} in format.py). */
    private static final int ALIGN = 64;
    /** NumPy leaves room for the growth axis to reach 21 digits ({@code GROWTH_AXIS_MAX_DIGITS}). */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Largest header we accept: far more than any shape needs, small enough to read at once. */
    private static final long MAX_HEADER = 1 << 20;

    /**
     * Reads {@code file}.
     *
     * @throws IllegalArgumentException naming the file when it is not a version 1.0/2.0, C-order,
     *                                  {@code <f4}/{@code <f8} {@code .npy} file whose data length matches its shape
     * @throws IOException              naming the file when it cannot be read (missing, permissions)
     */
    public static NpyArray read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file: expected a path, got null");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer prefix = readFully(ch, file, 8, "the magic string and version");
            byte[] magic = new byte[6];
            prefix.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw bad(file, "not a .npy file: expected the magic string \\x93NUMPY, got "
                        + printable(magic));
            }
            int major = prefix.get() & 0xff, minor = prefix.get() & 0xff;
            int lengthBytes;
            if (major == 1 && minor == 0) {
                lengthBytes = 2;
            } else if (major == 2 && minor == 0) {
                lengthBytes = 4;
            } else {
                throw bad(file, "format version: expected 1.0 or 2.0, got " + major + "." + minor);
            }
            ByteBuffer len = readFully(ch, file, lengthBytes, "the header length");
            long headerLength = lengthBytes == 2 ? len.getShort() & 0xffff : len.getInt() & 0xffffffffL;
            long headerEnd = 8 + lengthBytes + headerLength;
            if (headerLength > MAX_HEADER) {
                throw bad(file, "header length: expected at most " + MAX_HEADER + " bytes, got " + headerLength);
            }
            if (headerEnd > fileSize) {
                throw bad(file, "truncated header: expected " + headerLength + " header bytes, the file has "
                        + (fileSize - 8 - lengthBytes));
            }
            ByteBuffer hb = readFully(ch, file, (int) headerLength, "the header");
            // Versions 1.0 and 2.0 use latin-1 headers (format.py _header_size_info).
            String header = new String(hb.array(), StandardCharsets.ISO_8859_1);
            Header h = parseHeader(file, header);
            long count = h.elementCount;
            long dataBytes = count * h.dtype.itemSize;
            long actual = fileSize - headerEnd;
            if (actual < dataBytes) {
                throw bad(file, "truncated data: expected " + dataBytes + " bytes for shape "
                        + Arrays.toString(h.shape) + " of " + h.dtype.descr + ", got " + actual);
            }
            if (actual > dataBytes) {
                throw bad(file, "trailing bytes: expected " + dataBytes + " data bytes for shape "
                        + Arrays.toString(h.shape) + " of " + h.dtype.descr + ", got " + actual
                        + " (" + (actual - dataBytes) + " extra)");
            }
            if (h.dtype != NpyDType.F8 && dataBytes <= NpyArray.MAX_BUFFER_BYTES) {
                ByteBuffer raw = ByteBuffer.allocateDirect((int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
                fill(ch, file, raw, "the data");
                return NpyArray.ofRaw(h.shape, h.dtype.dtype, raw.flip());
            }
            double[] data = readData(ch, file, (int) count, h.dtype);
            return new NpyArray(h.shape, h.dtype.dtype, data);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException e) {
            throw AtomicFiles.describe("cannot read " + file, e);
        }
    }

    /**
     * Writes {@code array} to {@code file} as NumPy's {@code np.save} does: format 1.0 (2.0 only if
     * the header would not fit), header padded so the data starts at a multiple of 64 bytes, dtype
     * {@code <f4} for {@link DType#F32} and {@code <f8} for {@link DType#F64}. The file is written to
     * a temporary file in the same folder and renamed into place, so it is never half-written.
     *
     * @throws IOException naming the file when it cannot be written (the folder must exist)
     */
    public static void write(Path file, NpyArray array) throws IOException {
        if (file == null) throw new IllegalArgumentException("file: expected a path, got null");
        if (array == null) throw new IllegalArgumentException("array: expected an NpyArray, got null");
        AtomicFiles.write(file, out -> writeTo(out, array));
    }

    /** Writes the complete {@code .npy} encoding of {@code array} to {@code out}. */
    static void writeTo(OutputStream out, NpyArray array) throws IOException {
        OutputStream o = new BufferedOutputStream(out, 1 << 16);
        o.write(headerBytes(array.shape(), array.dtype()));
        byte[] chunk = new byte[1 << 16];
        if ((long) array.size() * array.dtype().bytes() <= NpyArray.MAX_BUFFER_BYTES) {
            ByteBuffer raw = array.rawData(); // little-endian, the file's encoding
            while (raw.hasRemaining()) {
                int n = Math.min(chunk.length, raw.remaining());
                raw.get(chunk, 0, n);
                o.write(chunk, 0, n);
            }
        } else {
            DType dtype = array.dtype();
            ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : array.data()) {
                if (buf.remaining() < 8) {
                    o.write(chunk, 0, buf.position());
                    buf.clear();
                }
                switch (dtype) {
                    case F64 -> buf.putDouble(v);
                    case F32 -> buf.putFloat((float) v);
                    case F16, BF16 -> buf.putShort(dcn4j.spi.HalfPrecision.fromDouble(dtype, v));
                }
            }
            o.write(chunk, 0, buf.position());
        }
        o.flush();
    }

    /**
     * Magic, version, length and padded header exactly as NumPy 1.24's {@code _write_array_header}
     * makes them: the dict with sorted keys, spare spaces for the first axis to grow to 21 digits,
     * then spaces and {@code '\n'} up to a multiple of 64 bytes (a full 64 when already aligned).
     */
    static byte[] headerBytes(int[] shape, DType dtype) {
        StringBuilder d = new StringBuilder();
        d.append("{'descr': '").append(NpyDType.of(dtype).descr).append("', 'fortran_order': False, 'shape': ")
                .append(pythonTuple(shape)).append(", }");
        if (shape.length > 0) {
            d.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length())));
        }
        byte[] dict = d.toString().getBytes(StandardCharsets.ISO_8859_1);
        int lengthBytes = 2;
        int hlen = dict.length + 1;
        int pad = ALIGN - ((8 + lengthBytes + hlen) % ALIGN);
        if (hlen + pad > 0xffff) {
            lengthBytes = 4;
            pad = ALIGN - ((8 + lengthBytes + hlen) % ALIGN);
        }
        int total = hlen + pad;
        ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (lengthBytes == 2 ? 1 : 2)).put((byte) 0);
        if (lengthBytes == 2) b.putShort((short) total);
        else b.putInt(total);
        b.put(dict);
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** Python's {@code repr} of a tuple of ints: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
    private static String pythonTuple(int[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) s.append(", ");
            s.append(shape[i]);
        }
        return s.append(')').toString();
    }

    /** The element types a case may hold. */
    enum NpyDType {
        F4("<f4", 4, DType.F32), F8("<f8", 8, DType.F64), F2("<f2", 2, DType.F16), U2("<u2", 2, DType.BF16);

        final String descr;
        final int itemSize;
        final DType dtype;

        NpyDType(String descr, int itemSize, DType dtype) {
            this.descr = descr;
            this.itemSize = itemSize;
            this.dtype = dtype;
        }

        static NpyDType of(DType d) {
            return switch (d) {
                case F32 -> F4;
                case F64 -> F8;
                case F16 -> F2;
                case BF16 -> U2;
            };
        }
    }

    private record Header(NpyDType dtype, int[] shape, long elementCount) {
    }

    /** Parses and checks the header dict; every problem is an {@link IllegalArgumentException} naming the file. */
    private static Header parseHeader(Path file, String header) {
        Object parsed;
        try {
            PyLiteral p = new PyLiteral(header);
            parsed = p.value();
            p.skipSpace();
            if (!p.atEnd()) throw p.error("expected only spaces after the header dict");
        } catch (IllegalArgumentException e) {
            throw bad(file, "malformed header " + abbreviate(header) + ": " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw bad(file, "malformed header: expected a dict, got " + abbreviate(header));
        }
        List<String> expectedKeys = List.of("descr", "fortran_order", "shape");
        for (Object k : dict.keySet()) {
            if (!expectedKeys.contains(k)) {
                throw bad(file, "header: unexpected key " + PyLiteral.repr(k) + ", expected exactly "
                        + "'descr', 'fortran_order' and 'shape'");
            }
        }
        for (String k : expectedKeys) {
            if (!dict.containsKey(k)) throw bad(file, "header: missing key '" + k + "'");
        }
        Object descr = dict.get("descr");
        NpyDType dtype = null;
        for (NpyDType t : NpyDType.values()) {
            if (t.descr.equals(descr)) dtype = t;
        }
        if (dtype == null) {
            throw bad(file, "dtype: expected '<f4' (float32), '<f8' (float64), '<f2' (float16) or '<u2' (bfloat16 "
                    + "bits), got " + PyLiteral.repr(descr));
        }
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean f)) {
            throw bad(file, "fortran_order: expected True or False, got " + PyLiteral.repr(fortran));
        }
        if (f) {
            throw bad(file, "fortran_order: expected False (C order), got True; save with np.ascontiguousarray");
        }
        Object shapeValue = dict.get("shape");
        if (!(shapeValue instanceof PyLiteral.Tuple t)) {
            throw bad(file, "shape: expected a tuple of ints, got " + PyLiteral.repr(shapeValue));
        }
        int[] shape = new int[t.items().size()];
        for (int i = 0; i < shape.length; i++) {
            Object v = t.items().get(i);
            if (!(v instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                throw bad(file, "shape: expected non-negative ints, got " + PyLiteral.repr(shapeValue));
            }
            shape[i] = (int) (long) n;
        }
        long count;
        try {
            count = NpyArray.elementCount(shape);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
        return new Header(dtype, shape, count);
    }

    private static double[] readData(FileChannel ch, Path file, int count, NpyDType dtype) throws IOException {
        double[] data = new double[count];
        int chunk = 1 << 16;  // elements per read: bounded buffer whatever the array size
        ByteBuffer buf = ByteBuffer.allocate(chunk * dtype.itemSize).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < count) {
            int n = Math.min(chunk, count - done);
            buf.clear().limit(n * dtype.itemSize);
            fill(ch, file, buf, "the data");
            buf.flip();
            switch (dtype) {
                case F4 -> {
                    for (int i = 0; i < n; i++) data[done + i] = buf.getFloat();
                }
                case F8 -> {
                    for (int i = 0; i < n; i++) data[done + i] = buf.getDouble();
                }
                case F2, U2 -> {
                    for (int i = 0; i < n; i++) data[done + i] = dcn4j.spi.HalfPrecision.toFloat(dtype.dtype, buf.getShort());
                }
            }
            done += n;
        }
        return data;
    }

    private static ByteBuffer readFully(FileChannel ch, Path file, int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        fill(ch, file, b, what);
        b.flip();
        return b;
    }

    private static void fill(FileChannel ch, Path file, ByteBuffer b, String what) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                if (b.position() == 0 && what.startsWith("the magic")) {
                    throw bad(file, "not a .npy file: it is empty or shorter than the 8-byte magic and version");
                }
                throw bad(file, "truncated file: it ends inside " + what);
            }
        }
    }

    /** An error naming {@code file}; control characters (from a corrupt header) are escaped so it stays one line. */
    private static IllegalArgumentException bad(Path file, String message) {
        return new IllegalArgumentException(escapeControls(file + ": " + message));
    }

    private static String escapeControls(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder("'");
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') s.append((char) c);
            else s.append(String.format("\\x%02x", c));
        }
        return s.append('\'').toString();
    }

    /** The header for a message: stripped, at most 120 characters ({@link #bad} escapes control characters). */
    private static String abbreviate(String header) {
        String h = header.strip();
        return h.length() <= 120 ? h : h.substring(0, 117) + "...";
    }

    /**
     * The subset of Python literal syntax that {@code .npy} headers use: dicts, tuples, lists,
     * quoted strings (no escapes), ints, {@code True}/{@code False}/{@code None}. Tuples become
     * {@link Tuple}, lists {@link List}, ints {@link Long}.
     */
    static final class PyLiteral {
        record Tuple(List<Object> items) {
        }

        /** Marker for Python's {@code None} (maps cannot hold {@code null} values usefully). */
        static final Object NONE = new Object() {
            @Override
            public String toString() {
                return "None";
            }
        };

        private final String s;
        private int pos;
        private int depth;

        PyLiteral(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        void skipSpace() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t'
                    || s.charAt(pos) == '\r')) {
                pos++;
            }
        }

        IllegalArgumentException error(String what) {
            String got = atEnd() ? "end of header" : "'" + s.charAt(pos) + "'";
            return new IllegalArgumentException(what + " at character " + pos + ", got " + got);
        }

        Object value() {
            skipSpace();
            if (atEnd()) throw error("expected a value");
            if (++depth > 32) throw error("expected at most 32 nested brackets");
            try {
                char c = s.charAt(pos);
                return switch (c) {
                    case '{' -> dict();
                    case '(' -> new Tuple(sequence(')'));
                    case '[' -> sequence(']');
                    case '\'', '"' -> string();
                    default -> {
                        if (c == '-' || Character.isDigit(c)) yield integer();
                        if (Character.isLetter(c)) yield name();
                        throw error("expected a value");
                    }
                };
            } finally {
                depth--;
            }
        }

        private Map<Object, Object> dict() {
            pos++;
            Map<Object, Object> m = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (!atEnd() && s.charAt(pos) == '}') {
                    pos++;
                    return m;
                }
                Object key = value();
                skipSpace();
                expect(':');
                Object v = value();
                if (m.containsKey(key)) throw error("duplicate key " + repr(key));
                m.put(key, v);
                skipSpace();
                if (!atEnd() && s.charAt(pos) == ',') {
                    pos++;
                } else if (atEnd() || s.charAt(pos) != '}') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> sequence(char close) {
            pos++;
            List<Object> items = new ArrayList<>();
            while (true) {
                skipSpace();
                if (!atEnd() && s.charAt(pos) == close) {
                    pos++;
                    return items;
                }
                items.add(value());
                skipSpace();
                if (!atEnd() && s.charAt(pos) == ',') {
                    pos++;
                } else if (atEnd() || s.charAt(pos) != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private String string() {
            char q = s.charAt(pos++);
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != q) {
                if (s.charAt(pos) == '\\' || s.charAt(pos) == '\n') throw error("expected a plain quoted string");
                pos++;
            }
            if (atEnd()) throw error("expected a closing quote");
            return s.substring(start, pos++);
        }

        private Long integer() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            String digits = s.substring(start, pos);
            // Python 2 wrote long ints with a trailing L; numpy still reads such headers.
            if (pos < s.length() && s.charAt(pos) == 'L') pos++;
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                pos = start;
                throw error("expected an integer of at most 18 digits");
            }
        }

        private Object name() {
            int start = pos;
            while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) pos++;
            String w = s.substring(start, pos);
            return switch (w) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> NONE;
                default -> {
                    pos = start;
                    throw error("expected True, False or None");
                }
            };
        }

        private void expect(char c) {
            if (atEnd() || s.charAt(pos) != c) throw error("expected '" + c + "'");
            pos++;
        }

        /** Python-like rendering of a parsed value, for messages. */
        static String repr(Object v) {
            if (v instanceof String str) return "'" + str + "'";
            if (v instanceof Boolean b) return b ? "True" : "False";
            if (v instanceof Tuple t) {
                StringBuilder sb = new StringBuilder("(");
                for (int i = 0; i < t.items().size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(repr(t.items().get(i)));
                }
                if (t.items().size() == 1) sb.append(',');
                return sb.append(')').toString();
            }
            if (v instanceof List<?> l) {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(repr(l.get(i)));
                }
                return sb.append(']').toString();
            }
            if (v instanceof Map<?, ?>) return "a dict";
            return String.valueOf(v);
        }
    }
}
