"""Java 17 harness: `public class Main` after the student's non-public `class Solution`
in one Main.java (their imports stay at the top, so line numbers match). A small JSON
reader/writer (stdlib only) and per-type array conversions generated from the signature.
A daemon watchdog thread enforces the per-test limit: it writes the results so far plus
a timeout for the running test, then halts the JVM."""

from __future__ import annotations

import re

from problems.signatures import Signature, Type, function_name, java_type

HARNESS = r'''

public class Main {
    static final Object LOCK = new Object();
    static final java.util.List<String> RESULTS = new java.util.ArrayList<>();
    static String sentinel;
    static int running = -1;
    static long startedNanos;
    static long startedCpu;
    static long mainId;
    static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    static volatile boolean done;
    static java.io.PrintStream realOut;
    static java.io.FileOutputStream fd1 = new java.io.FileOutputStream(java.io.FileDescriptor.out);
    static java.io.FileOutputStream fd2 = new java.io.FileOutputStream(java.io.FileDescriptor.err);

    static final class Json {
        final String t; int p;
        Json(String t) { this.t = t; }
        void ws() { while (p < t.length() && Character.isWhitespace(t.charAt(p))) p++; }
        Object value() {
            ws();
            char c = t.charAt(p);
            if (c == '{') {
                java.util.Map<String, Object> m = new java.util.HashMap<>();
                p++; ws();
                if (t.charAt(p) == '}') { p++; return m; }
                while (true) {
                    ws(); String k = str(); ws(); p++;
                    m.put(k, value()); ws();
                    if (t.charAt(p++) == '}') return m;
                }
            }
            if (c == '[') {
                java.util.List<Object> l = new java.util.ArrayList<>();
                p++; ws();
                if (t.charAt(p) == ']') { p++; return l; }
                while (true) {
                    l.add(value()); ws();
                    if (t.charAt(p++) == ']') return l;
                }
            }
            if (c == '"') return str();
            if (t.startsWith("true", p)) { p += 4; return Boolean.TRUE; }
            if (t.startsWith("false", p)) { p += 5; return Boolean.FALSE; }
            if (t.startsWith("null", p)) { p += 4; return null; }
            int start = p;
            while (p < t.length() && "+-.eE0123456789".indexOf(t.charAt(p)) >= 0) p++;
            String tok = t.substring(start, p);
            if (tok.indexOf('.') < 0 && tok.indexOf('e') < 0 && tok.indexOf('E') < 0) return Long.parseLong(tok);
            return Double.parseDouble(tok);
        }
        String str() {
            StringBuilder sb = new StringBuilder();
            p++;
            while (t.charAt(p) != '"') {
                char c = t.charAt(p++);
                if (c != '\\') { sb.append(c); continue; }
                char e = t.charAt(p++);
                switch (e) {
                    case 'n': sb.append('\n'); break; case 't': sb.append('\t'); break;
                    case 'r': sb.append('\r'); break; case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'u': sb.append((char) Integer.parseInt(t.substring(p, p + 4), 16)); p += 4; break;
                    default: sb.append(e);
                }
            }
            p++;
            return sb.toString();
        }
    }

    static void esc(StringBuilder o, String s) {
        if (s == null) { o.append("null"); return; }
        o.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': o.append("\\\""); break; case '\\': o.append("\\\\"); break;
                case '\n': o.append("\\n"); break; case '\r': o.append("\\r"); break; case '\t': o.append("\\t"); break;
                default:
                    if (c < 0x20) o.append(String.format("\\u%04x", (int) c)); else o.append(c);
            }
        }
        o.append('"');
    }

    static int d_int(Object o) { return ((Number) o).intValue(); }
    static double d_float(Object o) { return ((Number) o).doubleValue(); }
    static boolean d_bool(Object o) { return (Boolean) o; }
    static String d_str(Object o) { return (String) o; }
    static void e_int(StringBuilder o, int v) { o.append(v); }
    static void e_float(StringBuilder o, double v) {
        if (Double.isNaN(v)) o.append("NaN");
        else if (Double.isInfinite(v)) o.append(v > 0 ? "Infinity" : "-Infinity");
        else o.append(Double.toString(v));
    }
    static void e_bool(StringBuilder o, boolean v) { o.append(v); }
    static void e_str(StringBuilder o, String v) { esc(o, v); }
__CM_CONVERTERS__

    static void emit(java.io.FileOutputStream fd, String s) {
        try { fd.write(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)); fd.flush(); }
        catch (java.io.IOException e) { }
    }

    static String entry(int i, String status, String value, String error, double ms, String out) {
        StringBuilder o = new StringBuilder();
        o.append("{\"i\":").append(i).append(",\"status\":");
        esc(o, status);
        o.append(",\"value\":").append(value == null ? "null" : value).append(",\"error\":");
        esc(o, error);
        o.append(",\"time_ms\":").append(String.format(java.util.Locale.ROOT, "%.3f", ms));
        o.append(",\"memory_kb\":").append(peakRssKb()).append(",\"stdout\":");
        esc(o, out);
        return o.append('}').toString();
    }

    // Peak resident set of the JVM so far (KiB, Linux): memory shown per test.
    static long peakRssKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (Exception e) { }
        return 0;
    }

    static void record(String e) {
        RESULTS.add(e);
        // Progress on stderr: if the whole run is killed, finished tests keep their results.
        emit(fd2, "\n" + sentinel + ":" + e + "\n");
    }

    static void finish() {
        System.out.flush();
        emit(fd1, "\n" + sentinel + "\n[" + String.join(",", RESULTS) + "]\n");
    }

    static final class Capture extends java.io.OutputStream {
        final int cap; final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(); long size;
        Capture(int cap) { this.cap = cap; }
        @Override public void write(int b) { if (size++ < cap) buf.write(b); }
        @Override public void write(byte[] b, int off, int len) {
            int keep = (int) Math.max(0, Math.min(len, cap - size));
            buf.write(b, off, keep);
            size += len;
        }
        String text() {
            String s = new String(buf.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
            return size > cap ? s + "\n...[truncated]" : s;
        }
    }

    public static void main(String[] argv) throws Exception {
        String raw = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> data = (java.util.Map<String, Object>) new Json(raw).value();
        sentinel = (String) data.get("sentinel");
        final long limitMs = ((Number) data.get("time_limit_ms")).longValue();
        int cap = ((Number) data.get("stdout_limit")).intValue();
        @SuppressWarnings("unchecked")
        java.util.List<Object> tests = (java.util.List<Object>) data.get("tests");
        realOut = System.out;
        mainId = Thread.currentThread().getId();
        Thread dog = new Thread(() -> {
            while (!done) {
                try { Thread.sleep(5); } catch (InterruptedException e) { return; }
                synchronized (LOCK) {
                    if (done || running < 0) continue;
                    double ms = (CPU.getThreadCpuTime(mainId) - startedCpu) / 1e6;
                    double wall = (System.nanoTime() - startedNanos) / 1e6;
                    // CPU time decides; the wall clock (5x + 1 s) only catches code that sleeps.
                    if (ms > limitMs || wall > 5.0 * limitMs + 1000) {
                        record(entry(running, "timeout", null, "time limit exceeded", ms, ""));
                        finish();
                        Runtime.getRuntime().halt(0);
                    }
                }
            }
        });
        dog.setDaemon(true);
        dog.start();
        for (int idx = 0; idx < tests.size(); idx++) {
            @SuppressWarnings("unchecked")
            java.util.List<Object> args = (java.util.List<Object>) tests.get(idx);
            Capture capture = new Capture(cap);
            String status = "ok", value = null, error = "";
__CM_DECODE__
            System.setOut(new java.io.PrintStream(capture, true, java.nio.charset.StandardCharsets.UTF_8));
            synchronized (LOCK) {
                running = idx;
                startedNanos = System.nanoTime();
                startedCpu = CPU.getCurrentThreadCpuTime();
            }
            try {
                Solution solution = new Solution();
                __CM_RETURN_TYPE__ result = solution.__CM_METHOD__(__CM_ARGS__);
                StringBuilder sb = new StringBuilder();
                __CM_ENCODE__(sb, result);
                value = sb.toString();
            } catch (OutOfMemoryError e) {
                status = "memory"; error = "OutOfMemoryError";
            } catch (StackOverflowError e) {
                status = "error"; error = "StackOverflowError";
            } catch (Throwable e) {
                status = "error"; error = describe(e);
            }
            System.out.flush();
            System.setOut(realOut);
            synchronized (LOCK) {
                double ms = (CPU.getCurrentThreadCpuTime() - startedCpu) / 1e6;
                running = -1;
                record(entry(idx, status, value, error, ms, capture.text()));
            }
        }
        synchronized (LOCK) {
            done = true;
            finish();
        }
        System.exit(0);
    }

    static String describe(Throwable e) {
        String where = "";
        for (StackTraceElement el : e.getStackTrace()) {
            if ("Solution".equals(el.getClassName()) || el.getClassName().startsWith("Solution$")) {
                where = " (line " + el.getLineNumber() + ")";
                break;
            }
        }
        return e.getClass().getName() + (e.getMessage() != null ? ": " + e.getMessage() : "") + where;
    }
}
'''

_PUBLIC_SOLUTION = re.compile(r"\bpublic\s+((?:final\s+)?class\s+Solution\b)")


def _suffix(t: Type) -> str:
    return f"list_{_suffix(t.item)}" if t.item else t.name


def _new_array(t: Type, size: str) -> str:
    # new int[n][] for int[][]: the first dimension sized, the rest left to the rows.
    return f"new {java_type(Type(t.scalar))}[{size}]" + "[]" * (t.depth - 1)


def _converters(types: set[Type]) -> str:
    needed: dict[str, Type] = {}

    def collect(t: Type) -> None:
        if t.item:
            needed[_suffix(t)] = t
            collect(t.item)

    for t in types:
        collect(t)
    out = []
    for name, t in sorted(needed.items()):
        jt, item = java_type(t), _suffix(t.item)
        out.append(
            f"    @SuppressWarnings(\"unchecked\")\n"
            f"    static {jt} d_{name}(Object o) {{\n"
            f"        if (o == null) return null;\n"
            f"        java.util.List<Object> l = (java.util.List<Object>) o;\n"
            f"        {jt} r = {_new_array(t, 'l.size()')};\n"
            f"        for (int k = 0; k < r.length; k++) r[k] = d_{item}(l.get(k));\n"
            f"        return r;\n"
            f"    }}\n"
            f"    static void e_{name}(StringBuilder o, {jt} v) {{\n"
            f"        if (v == null) {{ o.append(\"null\"); return; }}\n"
            f"        o.append('[');\n"
            f"        for (int k = 0; k < v.length; k++) {{ if (k > 0) o.append(','); e_{item}(o, v[k]); }}\n"
            f"        o.append(']');\n"
            f"    }}"
        )
    return "\n".join(out)


def render(signature: Signature, code: str) -> str:
    types = {p.type for p in signature.params} | {signature.returns}
    decode = "\n".join(
        f"            {java_type(p.type)} cm_arg{k} = d_{_suffix(p.type)}(args.get({k}));"
        for k, p in enumerate(signature.params)
    )
    harness = (
        HARNESS.replace("__CM_CONVERTERS__", _converters(types))
        .replace("__CM_DECODE__", decode)
        .replace("__CM_RETURN_TYPE__", java_type(signature.returns))
        .replace("__CM_METHOD__", function_name(signature, "java"))
        .replace("__CM_ARGS__", ", ".join(f"cm_arg{k}" for k in range(len(signature.params))))
        .replace("__CM_ENCODE__", f"e_{_suffix(signature.returns)}")
    )
    # Main.java may hold only one public class; students often paste `public class Solution`.
    return _PUBLIC_SOLUTION.sub(r"\1", code) + harness
