"""C++17 runner of the supervised harness (the untrusted child; see harness/supervisor.py).

`render(signature, code)` gives the files to compile: `main.cpp` = our prelude (includes,
a small JSON reader/writer, `Conv<T>` conversions) + `#line 1 "solution.cpp"` + the
student's code + `#line N "runner.cpp"` + the runner's `main()`; `solution.cpp` holds the
student's code alone, so g++ can quote the student's own lines in its messages.

The runner holds no secret and no timer, and needs no threads (no -pthread): it writes one
ready frame, then answers one request line `{"k": token, "args": [...]}` per test with one
frame carrying the same token, after flushing the student's prints (`cout` and `printf`
both) so they land outside the frame. The supervisor measures time and memory.
A class or method the runner cannot call is found at compile time without a compile error
(SFINAE): the runner then reports `{"ready": false, "error": ...}` in the student's terms.
Standard C++17 only, no C++20: Judge0 CE compiles it with GCC 9.
"""

from __future__ import annotations

from problems.signatures import Signature, camel_case, cpp_type, function_name

MAIN = "main.cpp"
SOLUTION = "solution.cpp"
FRAME = "\n\x1e\x1fCMR:"

# The local sandbox precompiles PCH_HEADER with sandbox.CPP_FLAGS; a PCH is used only when
# the compile has the same macro-defining flags (-pthread defines _REENTRANT), so the
# local compile keeps -pthread although the runner itself needs no threads.
LOCAL_FLAGS = ("-O2", "-std=c++17", "-pthread")

_INCLUDES = "#include <bits/stdc++.h>\n#include <cxxabi.h>\n#include <unistd.h>\n"

LIBRARY = r"""namespace cm_runner {
struct J {
    enum Kind { NUL, BOOL, NUM, STR, ARR, OBJ } kind = NUL;
    bool b = false;
    double num = 0;
    long long integer = 0;
    bool is_int = false;
    std::string s;
    std::vector<J> arr;
    std::vector<std::pair<std::string, J>> obj;
    const J* find(const std::string& key) const {
        for (auto& kv : obj) if (kv.first == key) return &kv.second;
        return nullptr;
    }
};

// Reads what the supervisor sends (one request per line); malformed text throws.
struct Parser {
    const std::string& t;
    size_t p = 0;
    explicit Parser(const std::string& text) : t(text) {}
    char peek() const {
        if (p >= t.size()) throw std::runtime_error("truncated JSON");
        return t[p];
    }
    char next() { char c = peek(); p++; return c; }
    void ws() { while (p < t.size() && isspace((unsigned char)t[p])) p++; }
    void expect(char c) { ws(); if (next() != c) throw std::runtime_error("malformed JSON"); }
    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) out += (char)cp;
        else if (cp < 0x800) { out += (char)(0xC0 | (cp >> 6)); out += (char)(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            out += (char)(0xE0 | (cp >> 12)); out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
        } else {
            out += (char)(0xF0 | (cp >> 18)); out += (char)(0x80 | ((cp >> 12) & 0x3F));
            out += (char)(0x80 | ((cp >> 6) & 0x3F)); out += (char)(0x80 | (cp & 0x3F));
        }
    }
    unsigned hex4() {
        if (p + 4 > t.size()) throw std::runtime_error("truncated JSON");
        unsigned cp = (unsigned)std::stoul(t.substr(p, 4), nullptr, 16);
        p += 4;
        return cp;
    }
    std::string str() {
        std::string out;
        expect('"');
        while (true) {
            char c = next();
            if (c == '"') break;
            if (c != '\\') { out += c; continue; }
            char e = next();
            switch (e) {
                case 'n': out += '\n'; break; case 't': out += '\t'; break; case 'r': out += '\r'; break;
                case 'b': out += '\b'; break; case 'f': out += '\f'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && t.compare(p, 2, "\\u") == 0) {
                        p += 2;
                        unsigned lo = hex4();
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: out += e;
            }
        }
        return out;
    }
    J value() {
        ws();
        J j;
        char c = peek();
        if (c == '{') {
            j.kind = J::OBJ; p++; ws();
            if (peek() == '}') { p++; return j; }
            while (true) {
                std::string k = str(); expect(':');
                j.obj.emplace_back(k, value()); ws();
                char d = next();
                if (d == '}') break;
                if (d != ',') throw std::runtime_error("malformed JSON");
            }
        } else if (c == '[') {
            j.kind = J::ARR; p++; ws();
            if (peek() == ']') { p++; return j; }
            while (true) {
                j.arr.push_back(value()); ws();
                char d = next();
                if (d == ']') break;
                if (d != ',') throw std::runtime_error("malformed JSON");
            }
        } else if (c == '"') { j.kind = J::STR; j.s = str(); }
        else if (t.compare(p, 4, "true") == 0) { j.kind = J::BOOL; j.b = true; p += 4; }
        else if (t.compare(p, 5, "false") == 0) { j.kind = J::BOOL; p += 5; }
        else if (t.compare(p, 4, "null") == 0) { p += 4; }
        else {
            size_t start = p;
            while (p < t.size() && (isdigit((unsigned char)t[p]) || strchr("+-.eE", t[p]))) p++;
            std::string tok = t.substr(start, p - start);
            if (tok.empty()) throw std::runtime_error("malformed JSON");
            j.kind = J::NUM;
            j.num = std::stod(tok);
            j.is_int = tok.find_first_of(".eE") == std::string::npos;
            if (j.is_int) j.integer = std::stoll(tok);
        }
        return j;
    }
};

inline void esc(std::string& o, const std::string& s) {
    o += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': o += "\\\""; break; case '\\': o += "\\\\"; break;
            case '\n': o += "\\n"; break; case '\r': o += "\\r"; break; case '\t': o += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
                else o += (char)c;
        }
    }
    o += '"';
}

template <class T> struct Conv;
template <> struct Conv<int> {
    static int from(const J& j) { return j.is_int ? (int)j.integer : (int)j.num; }
    static void to(std::string& o, int v) { o += std::to_string(v); }
};
template <> struct Conv<long long> {
    static long long from(const J& j) { return j.is_int ? j.integer : (long long)j.num; }
    static void to(std::string& o, long long v) { o += std::to_string(v); }
};
template <> struct Conv<double> {
    static double from(const J& j) { return j.num; }
    static void to(std::string& o, double v) {
        if (std::isnan(v)) { o += "NaN"; return; }
        if (std::isinf(v)) { o += v > 0 ? "Infinity" : "-Infinity"; return; }
        char b[40]; snprintf(b, sizeof b, "%.17g", v); o += b;
    }
};
template <> struct Conv<bool> {
    static bool from(const J& j) { return j.b; }
    static void to(std::string& o, bool v) { o += v ? "true" : "false"; }
};
template <> struct Conv<std::string> {
    static std::string from(const J& j) { return j.s; }
    static void to(std::string& o, const std::string& v) { esc(o, v); }
};
template <class T> struct Conv<std::vector<T>> {
    static std::vector<T> from(const J& j) {
        std::vector<T> v;
        v.reserve(j.arr.size());
        for (auto& x : j.arr) v.push_back(Conv<T>::from(x));
        return v;
    }
    static void to(std::string& o, const std::vector<T>& v) {
        o += '[';
        for (size_t i = 0; i < v.size(); i++) { if (i) o += ','; Conv<T>::to(o, v[i]); }
        o += ']';
    }
};
template <> struct Conv<std::vector<bool>> {
    static std::vector<bool> from(const J& j) {
        std::vector<bool> v;
        for (auto& x : j.arr) v.push_back(x.b);
        return v;
    }
    static void to(std::string& o, const std::vector<bool>& v) {
        o += '[';
        for (size_t i = 0; i < v.size(); i++) { if (i) o += ','; o += v[i] ? "true" : "false"; }
        o += ']';
    }
};

inline void emit(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(1, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
}

// Everything the student printed goes out before our frame. After
// ios::sync_with_stdio(false) cout has a buffer of its own: printf text then comes first.
inline void flush_student() {
    std::fflush(stdout);
    std::cout.flush();
    std::fflush(stdout);
}

// One frame: the single "\n" before the marker is ours, not the student's.
inline void frame(const std::string& json) {
    flush_student();
    emit(std::string("\n\x1e\x1f" "CMR:") + json + "\n");
}

// One request line from fd 0 (our own buffer: nothing of the student's stdio is involved).
inline bool read_line(std::string& line) {
    static std::string pending;
    static bool eof = false;
    while (true) {
        size_t nl = pending.find('\n');
        if (nl != std::string::npos) {
            line.assign(pending, 0, nl);
            pending.erase(0, nl + 1);
            return true;
        }
        if (eof) {
            if (pending.empty()) return false;
            line.swap(pending);
            pending.clear();
            return true;
        }
        char buf[65536];
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) eof = true;
        else pending.append(buf, (size_t)n);
    }
}

inline std::string type_name(const std::type_info* info) {
    if (!info) return "unknown exception";
    int status = 0;
    char* name = abi::__cxa_demangle(info->name(), nullptr, nullptr, &status);
    std::string out = status == 0 && name ? name : info->name();
    free(name);
    return out;
}

// What the student's code threw, as "Type: message".
inline std::string describe_current_exception() {
    try {
        throw;
    } catch (const std::exception& ex) {
        return type_name(&typeid(ex)) + ": " + ex.what();
    } catch (const char* text) {
        return std::string("exception: ") + (text ? text : "");
    } catch (const std::string& text) {
        return "exception: " + text;
    } catch (...) {
        return "exception of type " + type_name(abi::__cxa_current_exception_type());
    }
}

inline std::string reply(const std::string& token, const std::string& status, const std::string& value,
                         const std::string& error) {
    std::string o = "{\"k\":";
    esc(o, token);
    o += ",\"status\":";
    esc(o, status);
    o += ",\"value\":" + (value.empty() ? std::string("null") : value) + ",\"error\":";
    if (error.empty()) o += "null"; else esc(o, error);
    return o + "}";
}

inline int not_ready(const std::string& error) {
    std::string o = "{\"ready\":false,\"error\":";
    esc(o, error);
    frame(o + "}");
    return 0;
}

template <class S, class = void> struct is_complete : std::false_type {};
template <class S> struct is_complete<S, std::void_t<decltype(sizeof(S))>> : std::true_type {};
}  // namespace cm_runner
"""

# Self-contained (Judge0 compiles it as is); locally the library comes from the PCH, where
# CM_RUNNER_LIB is defined, and only the student's code and main() compile.
PRELUDE = _INCLUDES + "#ifndef CM_RUNNER_LIB\n" + LIBRARY + "#endif\n"
PCH_HEADER = _INCLUDES + "#define CM_RUNNER_LIB 1\n" + LIBRARY

# Before the student's code: the LeetCode conventions (everything of the standard library,
# `using namespace std`), a declaration of Solution (so a missing class is a clear ready
# error, not a compile error in our code) and a student's own main() renamed out of the way.
_BEFORE = "using namespace std;\nclass Solution;\n#define main cm_student_main\n"

RUNNER = r"""#undef main
namespace cm_runner {
template <class S, class = void> struct callable : std::false_type {};
template <class S> struct callable<S, std::void_t<decltype(std::declval<S&>().__CM_METHOD__(__CM_DECLVALS__))>>
    : std::is_convertible<decltype(std::declval<S&>().__CM_METHOD__(__CM_DECLVALS__)), __CM_RETURN__> {};

template <class S> int run() {
    if constexpr (!is_complete<S>::value) {
        return not_ready("class Solution is not defined: write class Solution { public: __CM_SIGNATURE__ { ... } };");
    } else if constexpr (!callable<S>::value || !std::is_default_constructible<S>::value) {
        return not_ready("function __CM_METHOD__ is not defined: class Solution needs the public method "
                         "__CM_SIGNATURE__");
    } else {
        frame("{\"ready\":true}");
        std::string line;
        while (read_line(line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            std::string token, value, error, status = "ok";
            try {
                J request = Parser(line).value();
                const J* k = request.find("k");
                const J* a = request.find("args");
                if (k && k->kind == J::STR) token = k->s;
                if (!k || k->kind != J::STR || !a || a->kind != J::ARR || a->arr.size() != __CM_ARITY__)
                    throw std::runtime_error("bad request");
                const J& args = *a;
__CM_DECODE__
                try {
                    S solution;
                    const __CM_RETURN__& result = solution.__CM_METHOD__(__CM_ARGS__);
                    Conv<__CM_RETURN__>::to(value, result);
                } catch (...) {
                    status = "error";
                    value.clear();
                    error = describe_current_exception();
                }
            } catch (const std::exception& ex) {
                status = "error";
                error = std::string("runner: ") + ex.what();
            }
            frame(reply(token, status, value, error));
        }
        flush_student();
        return 0;
    }
}
}  // namespace cm_runner

int main() { return cm_runner::run<Solution>(); }
"""


def _signature_text(signature: Signature) -> str:
    params = ", ".join(f"{cpp_type(p.type)}{'&' if p.type.item else ''} {camel_case(p.name)}" for p in signature.params)
    return f"{cpp_type(signature.returns)} {function_name(signature, 'cpp')}({params})"


def runner_source(signature: Signature) -> str:
    """The runner's main() for this signature (after the student's code)."""
    n = len(signature.params)
    decode = "\n".join(
        f"                {cpp_type(p.type)} cm_arg{k} = Conv<{cpp_type(p.type)}>::from(args.arr[{k}]);"
        for k, p in enumerate(signature.params)
    )
    return (
        RUNNER.replace("__CM_DECODE__", decode)
        .replace("__CM_DECLVALS__", ", ".join(f"std::declval<{cpp_type(p.type)}&>()" for p in signature.params))
        .replace("__CM_SIGNATURE__", _signature_text(signature))
        .replace("__CM_METHOD__", function_name(signature, "cpp"))
        .replace("__CM_ARGS__", ", ".join(f"cm_arg{k}" for k in range(n)))
        .replace("__CM_ARITY__", f"{n}u")
        .replace("__CM_RETURN__", cpp_type(signature.returns))
    )


def render(signature: Signature, code: str) -> dict[str, str]:
    head = PRELUDE + _BEFORE
    body = code if code.endswith("\n") else code + "\n"
    # #line keeps compiler messages on the student's own file name and line numbers.
    runner_line = head.count("\n") + 1 + body.count("\n") + 1 + 1
    main = head + '#line 1 "solution.cpp"\n' + body + f'#line {runner_line} "runner.cpp"\n' + runner_source(signature)
    return {MAIN: main, SOLUTION: code}


def compile_argv(*, compiler: str = "g++", flags: tuple[str, ...] = LOCAL_FLAGS) -> list[str]:
    """The compile step, run in /box with main.cpp (+ solution.cpp) in it. The local executor
    adds `-I/pch` (sandbox.cpp_precompiled_header(PCH_HEADER)) after the compiler."""
    return [compiler, *flags, "-pipe", "-o", "main", MAIN]


def run_argv() -> list[str]:
    return ["./main"]


def argv(profile, limits, kind: str) -> tuple[list[str], list[str]]:
    """(compile argv, run argv) for harness.program_argv: `profile.gxx`/`profile.cxx_flags`
    where the profile has them (Judge0: GCC 9, -std=c++17), else the local defaults."""
    compiler = getattr(profile, "gxx", "g++")
    flags = tuple(getattr(profile, "cxx_flags", LOCAL_FLAGS))
    return compile_argv(compiler=compiler, flags=flags), run_argv()
