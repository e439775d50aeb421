package dcn4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer for {@code case.json}, so the reference module
 * needs no JSON dependency. Values: objects become {@link LinkedHashMap}{@code <String, Object>} (key
 * order kept; a duplicate key is an error), arrays {@link List}, strings {@link String}, numbers
 * {@link Num} (the literal text, so {@code 1} and {@code 1.0} stay distinguishable), {@code true}/
 * {@code false} {@link Boolean}, {@code null} {@link #NULL}.
 */
final class Json {

    private Json() {
    }

    /** A JSON number, kept as written. */
    record Num(String text) {
        /** Whether it was written as an integer: no fraction, no exponent. */
        boolean isInteger() {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') return false;
            }
            return true;
        }

        double doubleValue() {
            return Double.parseDouble(text);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** JSON {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Nesting limit: deeper documents are rejected instead of overflowing the stack. */
    private static final int MAX_DEPTH = 256;

    /**
     * Parses {@code text}; {@link IllegalArgumentException}
     * {@code "<source>: line L, column C: expected ..., got ..."} on any syntax error.
     */
    static Object parse(String text, String source) {
        Parser p = new Parser(text, source);
        // A UTF-8 byte order mark is not JSON, but editors write it; skipping it is harmless.
        if (text.startsWith("\uFEFF")) p.pos = 1;
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos < text.length()) throw p.error("expected the end of the document");
        return v;
    }

    private static final class Parser {
        private final String s;
        private final String source;
        int pos;

        Parser(String s, String source) {
            this.s = s;
            this.source = source;
        }

        IllegalArgumentException error(String expected) {
            int line = 1, col = 1;
            for (int i = 0; i < Math.min(pos, s.length()); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            String got;
            if (pos >= s.length()) {
                got = "end of file";
            } else {
                int end = Math.min(s.length(), pos + 12);
                String snippet = s.substring(pos, end);
                int nl = snippet.indexOf('\n');
                if (nl >= 0) snippet = snippet.substring(0, nl);
                // Errors are one line: show other control characters escaped.
                StringBuilder shown = new StringBuilder();
                for (int i = 0; i < snippet.length(); i++) {
                    char c = snippet.charAt(i);
                    if (c < 0x20 || c == 0x7f) shown.append(String.format("\\u%04x", (int) c));
                    else shown.append(c);
                }
                got = "'" + shown + (end < s.length() && nl < 0 ? "..." : "") + "'";
            }
            return new IllegalArgumentException(source + ": line " + line + ", column " + col + ": " + expected
                    + ", got " + got);
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("expected at most " + MAX_DEPTH + " nested objects/arrays");
            if (pos >= s.length()) throw error("expected a value");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", NULL);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("expected a value (object, array, string, number, true, false or null)");
                }
            };
        }

        private Map<String, Object> object(int depth) {
            pos++;
            Map<String, Object> m = new LinkedHashMap<>();
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != '"') throw error("expected a string key in \"quotes\"");
                int keyPos = pos;
                String key = string();
                if (m.containsKey(key)) {
                    pos = keyPos;
                    throw error("expected each key once, duplicate \"" + key + "\"");
                }
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':' after the key");
                pos++;
                skipSpace();
                m.put(key, value(depth + 1));
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return m;
                } else {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> array(int depth) {
            pos++;
            List<Object> items = new ArrayList<>();
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return items;
            }
            while (true) {
                skipSpace();
                items.add(value(depth + 1));
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    return items;
                } else {
                    throw error("expected ',' or ']'");
                }
            }
        }

        private String string() {
            pos++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos >= s.length()) throw error("expected a closing '\"'");
                char c = s.charAt(pos);
                if (c == '"') {
                    pos++;
                    return b.toString();
                }
                if (c < 0x20) throw error("expected no raw control character in a string (use \\n, \\t, ...)");
                if (c != '\\') {
                    b.append(c);
                    pos++;
                    continue;
                }
                if (pos + 1 >= s.length()) {
                    pos++;
                    throw error("expected an escape character after '\\'");
                }
                char e = s.charAt(pos + 1);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 6 > s.length()) throw error("expected 4 hex digits after \\u");
                        int cp = 0;
                        for (int i = pos + 2; i < pos + 6; i++) {
                            int d = Character.digit(s.charAt(i), 16);
                            if (d < 0) throw error("expected 4 hex digits after \\u");
                            cp = cp * 16 + d;
                        }
                        b.append((char) cp);
                        pos += 4;
                    }
                    default -> throw error("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
                pos += 2;
            }
        }

        private Num number() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            if (pos < s.length() && s.charAt(pos) == '0') {
                pos++;
            } else if (pos < s.length() && s.charAt(pos) >= '1' && s.charAt(pos) <= '9') {
                digits();
            } else {
                throw error("expected a digit");
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                pos++;
                if (pos >= s.length() || !isDigit(s.charAt(pos))) throw error("expected a digit after '.'");
                digits();
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                if (pos >= s.length() || !isDigit(s.charAt(pos))) throw error("expected a digit in the exponent");
                digits();
            }
            return new Num(s.substring(start, pos));
        }

        private void digits() {
            while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) throw error("expected a value (object, array, string, number, true, "
                    + "false or null)");
            pos += word.length();
            return value;
        }
    }

    /**
     * Writes {@code value} as indented JSON. Accepts what {@link #parse} returns plus Java
     * {@link Number}s ({@code int}, {@code long}, finite {@code double}), {@code int[]}/{@code double[]},
     * and {@code null}.
     */
    static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value, "");
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object v, String indent) {
        if (v == null || v == NULL) {
            b.append("null");
        } else if (v instanceof Boolean bool) {
            b.append(bool);
        } else if (v instanceof Num n) {
            b.append(n.text());
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            b.append(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON: expected a finite number, got " + d);
            // Shortest repr that reads back to the same double (Java's Double.toString is one).
            b.append(Double.toString(d));
        } else if (v instanceof String str) {
            quote(b, str);
        } else if (v instanceof int[] a) {
            b.append('[');
            for (int i = 0; i < a.length; i++) b.append(i > 0 ? ", " : "").append(a[i]);
            b.append(']');
        } else if (v instanceof double[] a) {
            List<Object> l = new ArrayList<>();
            for (double d : a) l.add(d);
            write(b, l, indent);
        } else if (v instanceof List<?> l) {
            boolean flat = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(flat ? ", " : ",");
                if (!flat) b.append('\n').append(indent).append("  ");
                write(b, l.get(i), indent + "  ");
            }
            if (!flat && !l.isEmpty()) b.append('\n').append(indent);
            b.append(']');
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new IllegalArgumentException("JSON: expected string keys, got " + e.getKey());
                }
                b.append(i++ > 0 ? "," : "").append('\n').append(indent).append("  ");
                quote(b, k);
                b.append(": ");
                write(b, e.getValue(), indent + "  ");
            }
            if (!m.isEmpty()) b.append('\n').append(indent);
            b.append('}');
        } else {
            throw new IllegalArgumentException("JSON: expected a number, string, boolean, list, map or int[], got "
                    + v.getClass().getSimpleName());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
