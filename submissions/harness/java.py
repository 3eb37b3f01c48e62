"""Java runner of the supervised harness (the untrusted child; see harness/supervisor.py).

`render(signature, code)` gives two files compiled together: `Solution.java` = the
student's code untouched (so `public class Solution` is legal and javac's line numbers are
the student's), and `Main.java` = the runner: a small JSON reader/writer (stdlib only) and
per-type array converters generated from the signature.

The runner holds no secret and no timer and starts no thread: it finds the student's
method by reflection (a missing class or method is a ready error in the student's terms,
not a compile error in Main.java), writes one ready frame, then answers one request line
`{"k": token, "args": [...]}` per test with one frame carrying the same token, after
flushing the student's prints so they land outside the frame. The supervisor measures
time and memory. Java 11 language and API level only (Judge0 CE's JDK is 13).
"""

from __future__ import annotations

from problems.signatures import Signature, Type, camel_case, function_name, java_type

MAIN = "Main.java"
SOLUTION = "Solution.java"

RUNNER = r"""import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Main {
    static final String SIGNATURE = "__CM_SIGNATURE__";
    static final FileOutputStream FD1 = new FileOutputStream(FileDescriptor.out);
    static PrintStream studentOut;

    static final class Json {
        final String t; int p;
        Json(String t) { this.t = t; }
        char peek() {
            if (p >= t.length()) throw new IllegalArgumentException("truncated JSON");
            return t.charAt(p);
        }
        char next() { char c = peek(); p++; return c; }
        void ws() { while (p < t.length() && Character.isWhitespace(t.charAt(p))) p++; }
        void expect(char c) { ws(); if (next() != c) throw new IllegalArgumentException("malformed JSON"); }
        Object value() {
            ws();
            char c = peek();
            if (c == '{') {
                Map<String, Object> m = new HashMap<>();
                p++; ws();
                if (peek() == '}') { p++; return m; }
                while (true) {
                    ws(); String k = str(); expect(':');
                    m.put(k, value()); ws();
                    char d = next();
                    if (d == '}') return m;
                    if (d != ',') throw new IllegalArgumentException("malformed JSON");
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                p++; ws();
                if (peek() == ']') { p++; return l; }
                while (true) {
                    l.add(value()); ws();
                    char d = next();
                    if (d == ']') return l;
                    if (d != ',') throw new IllegalArgumentException("malformed JSON");
                }
            }
            if (c == '"') return str();
            if (t.startsWith("true", p)) { p += 4; return Boolean.TRUE; }
            if (t.startsWith("false", p)) { p += 5; return Boolean.FALSE; }
            if (t.startsWith("null", p)) { p += 4; return null; }
            int start = p;
            while (p < t.length() && "+-.eE0123456789".indexOf(t.charAt(p)) >= 0) p++;
            String tok = t.substring(start, p);
            if (tok.isEmpty()) throw new IllegalArgumentException("malformed JSON");
            if (tok.indexOf('.') < 0 && tok.indexOf('e') < 0 && tok.indexOf('E') < 0) return Long.parseLong(tok);
            return Double.parseDouble(tok);
        }
        String str() {
            StringBuilder sb = new StringBuilder();
            if (next() != '"') throw new IllegalArgumentException("malformed JSON");
            while (true) {
                char c = next();
                if (c == '"') return sb.toString();
                if (c != '\\') { sb.append(c); continue; }
                char e = next();
                switch (e) {
                    case 'n': sb.append('\n'); break;
                    case 't': sb.append('\t'); break;
                    case 'r': sb.append('\r'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'u':
                        if (p + 4 > t.length()) throw new IllegalArgumentException("truncated JSON");
                        sb.append((char) Integer.parseInt(t.substring(p, p + 4), 16));
                        p += 4;
                        break;
                    default: sb.append(e);
                }
            }
        }
    }

    static void esc(StringBuilder o, String s) {
        if (s == null) { o.append("null"); return; }
        o.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': o.append("\\\""); break;
                case '\\': o.append("\\\\"); break;
                case '\n': o.append("\\n"); break;
                case '\r': o.append("\\r"); break;
                case '\t': o.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) o.append(String.format("\\u%04x", (int) c));
                    else o.append(c);
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

    static void emit(String s) {
        try { FD1.write(s.getBytes(StandardCharsets.UTF_8)); } catch (IOException e) { }
    }

    // Everything the student printed goes out before our frame; the "\n" before the marker is ours.
    static void frame(String json) {
        System.out.flush();
        if (System.out != studentOut) studentOut.flush();
        emit("\n\u001e\u001fCMR:" + json + "\n");
    }

    static void notReady(String error) {
        StringBuilder o = new StringBuilder("{\"ready\":false,\"error\":");
        esc(o, error);
        frame(o.append('}').toString());
    }

    static String describe(Throwable e) {
        String where = "";
        for (StackTraceElement el : e.getStackTrace()) {
            String cls = el.getClassName();
            if (("Solution".equals(cls) || cls.startsWith("Solution$")) && el.getLineNumber() > 0) {
                where = " (line " + el.getLineNumber() + ")";
                break;
            }
        }
        return e.getClass().getName() + (e.getMessage() != null ? ": " + e.getMessage() : "") + where;
    }

    static Method find(Class<?> cls, Class<?>[] params) {
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals("__CM_METHOD__") && java.util.Arrays.equals(m.getParameterTypes(), params)) {
                    return m;
                }
            }
        }
        return null;
    }

    static Object[] decode(List<Object> args) {
        return new Object[] {__CM_DECODE__};
    }

    static String encode(Object result) {
        StringBuilder sb = new StringBuilder();
        __CM_ENCODE__(sb, (__CM_BOXED__) result);
        return sb.toString();
    }

    public static void main(String[] argv) throws Exception {
        // The student's System.out: buffered, flushed before every frame (and at exit).
        studentOut = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                                     false, "UTF-8");
        System.setOut(studentOut);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.flush()));
        Class<?> cls;
        try {
            cls = Class.forName("Solution", true, Main.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            notReady("class Solution is not defined: write class Solution { public " + SIGNATURE + " { ... } }");
            return;
        } catch (LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            notReady("class Solution could not be initialised: " + describe(cause));
            return;
        }
        Method method = find(cls, new Class<?>[] {__CM_PARAM_CLASSES__});
        if (method == null || method.getReturnType() != __CM_RETURN_CLASS__) {
            notReady("function __CM_METHOD__ is not defined: class Solution needs the method public " + SIGNATURE);
            return;
        }
        Constructor<?> ctor = null;
        if (!Modifier.isStatic(method.getModifiers())) {
            try {
                ctor = cls.getDeclaredConstructor();
                ctor.setAccessible(true);
            } catch (NoSuchMethodException e) {
                notReady("class Solution needs a constructor without parameters");
                return;
            }
        }
        method.setAccessible(true);
        frame("{\"ready\":true}");
        BufferedReader in = new BufferedReader(
            new InputStreamReader(new FileInputStream(FileDescriptor.in), StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            String token = "", status = "ok", value = null, error = null;
            try {
                Object parsed = new Json(line).value();
                if (!(parsed instanceof Map)) throw new IllegalArgumentException("bad request");
                Map<?, ?> request = (Map<?, ?>) parsed;
                Object k = request.get("k"), a = request.get("args");
                if (k instanceof String) token = (String) k;
                if (!(k instanceof String) || !(a instanceof List) || ((List<?>) a).size() != __CM_ARITY__) {
                    throw new IllegalArgumentException("bad request");
                }
                @SuppressWarnings("unchecked")
                Object[] args = decode((List<Object>) a);
                try {
                    Object instance = ctor == null ? null : ctor.newInstance();
                    value = encode(method.invoke(instance, args));
                } catch (InvocationTargetException e) {
                    status = "error";
                    error = describe(e.getCause() != null ? e.getCause() : e);
                } catch (Throwable e) {
                    status = "error";
                    error = describe(e);
                }
            } catch (RuntimeException e) {
                status = "error";
                error = "runner: " + e;
            }
            StringBuilder o = new StringBuilder("{\"k\":");
            esc(o, token);
            o.append(",\"status\":");
            esc(o, status);
            o.append(",\"value\":").append(value == null ? "null" : value).append(",\"error\":");
            esc(o, error);
            frame(o.append('}').toString());
        }
        System.out.flush();
        // Threads the student left running must not keep the JVM alive.
        System.exit(0);
    }
}
"""

_BOXED = {"int": "Integer", "float": "Double", "bool": "Boolean", "str": "String"}


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
            f'    @SuppressWarnings("unchecked")\n'
            f"    static {jt} d_{name}(Object o) {{\n"
            f"        if (o == null) return null;\n"
            f"        List<Object> l = (List<Object>) o;\n"
            f"        {jt} r = {_new_array(t, 'l.size()')};\n"
            f"        for (int k = 0; k < r.length; k++) r[k] = d_{item}(l.get(k));\n"
            f"        return r;\n"
            f"    }}\n"
            f"    static void e_{name}(StringBuilder o, {jt} v) {{\n"
            f'        if (v == null) {{ o.append("null"); return; }}\n'
            f"        o.append('[');\n"
            f"        for (int k = 0; k < v.length; k++) {{ if (k > 0) o.append(','); e_{item}(o, v[k]); }}\n"
            f"        o.append(']');\n"
            f"    }}"
        )
    return "\n".join(out)


def _signature_text(signature: Signature) -> str:
    params = ", ".join(f"{java_type(p.type)} {camel_case(p.name)}" for p in signature.params)
    return f"{java_type(signature.returns)} {function_name(signature, 'java')}({params})"


def runner_source(signature: Signature) -> str:
    types = {p.type for p in signature.params} | {signature.returns}
    returns = signature.returns
    decode = ", ".join(f"d_{_suffix(p.type)}(args.get({k}))" for k, p in enumerate(signature.params))
    return (
        RUNNER.replace("__CM_CONVERTERS__", _converters(types))
        .replace("__CM_DECODE__", decode)
        .replace("__CM_SIGNATURE__", _signature_text(signature))
        .replace("__CM_PARAM_CLASSES__", ", ".join(f"{java_type(p.type)}.class" for p in signature.params))
        .replace("__CM_RETURN_CLASS__", f"{java_type(returns)}.class")
        .replace("__CM_BOXED__", java_type(returns) if returns.item else _BOXED[returns.name])
        .replace("__CM_METHOD__", function_name(signature, "java"))
        .replace("__CM_ARITY__", str(len(signature.params)))
        .replace("__CM_ENCODE__", f"e_{_suffix(returns)}")
    )


def render(signature: Signature, code: str) -> dict[str, str]:
    return {MAIN: runner_source(signature), SOLUTION: code}


def compile_argv(*, javac: str = "javac") -> list[str]:
    """The compile step, run in /box with Main.java and Solution.java in it.
    javac is itself a JVM: a small heap, and no address-space limit (see sandbox.md)."""
    return [javac, "-J-Xmx384m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-nowarn", MAIN, SOLUTION]


def run_argv(memory_limit_mb: int, *, java: str = "java") -> list[str]:
    mem = max(memory_limit_mb, 32)
    return [
        java,
        f"-Xmx{mem}m",
        "-Xss64m",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        ".",
        "Main",
    ]


def argv(profile, limits, kind: str) -> tuple[list[str], list[str]]:
    """(compile argv, run argv) for harness.program_argv. Function problems compile the
    runner with the student's Solution.java; stdio programs are the student's Main.java."""
    javac, java = getattr(profile, "javac", "javac"), getattr(profile, "java", "java")
    compile_step = compile_argv(javac=javac)
    if kind != "function":
        compile_step = compile_step[:-1]  # Main.java only
    return compile_step, run_argv(limits.memory_limit_mb, java=java)
