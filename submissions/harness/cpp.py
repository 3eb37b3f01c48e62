"""C++17 harness: a small JSON reader/writer (no external libraries) and typed
conversions for int/double/bool/string/vector<T>, then one call of
`Solution().method(...)` per test. A watchdog thread enforces the per-test limit: it
writes the results so far plus a timeout for the running test, then ends the process.
`#line` directives keep compiler messages pointing at the student's own line numbers."""

from __future__ import annotations

from problems.signatures import Signature, cpp_type, function_name

_INCLUDES = (
    "#include <bits/stdc++.h>\n#include <cxxabi.h>\n#include <pthread.h>\n"
    "#include <sys/resource.h>\n#include <time.h>\n#include <unistd.h>\n"
)

_READ_STDIN = r'''namespace cm_harness {
inline std::string read_all_stdin() {
    std::string data;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof buf)) > 0) data.append(buf, (size_t)n);
    return data;
}
// Read before any of the student's static initialisers can touch stdin.
static std::string raw_input = read_all_stdin();
}
using namespace std;
'''


LIBRARY = r'''namespace cm_harness {
struct J {
    enum Kind { NUL, BOOL, NUM, STR, ARR, OBJ } kind = NUL;
    bool b = false;
    double num = 0;
    long long integer = 0;
    bool is_int = false;
    std::string s;
    std::vector<J> arr;
    std::vector<std::pair<std::string, J>> obj;
    const J& get(const std::string& key) const {
        for (auto& kv : obj) if (kv.first == key) return kv.second;
        throw std::runtime_error("missing key " + key);
    }
};

struct Parser {
    const std::string& t;
    size_t p = 0;
    explicit Parser(const std::string& text) : t(text) {}
    void ws() { while (p < t.size() && isspace((unsigned char)t[p])) p++; }
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
    std::string str() {
        std::string out;
        p++;
        while (p < t.size() && t[p] != '"') {
            char c = t[p++];
            if (c != '\\') { out += c; continue; }
            char e = t[p++];
            switch (e) {
                case 'n': out += '\n'; break; case 't': out += '\t'; break; case 'r': out += '\r'; break;
                case 'b': out += '\b'; break; case 'f': out += '\f'; break;
                case 'u': {
                    unsigned cp = std::stoul(t.substr(p, 4), nullptr, 16); p += 4;
                    if (cp >= 0xD800 && cp < 0xDC00 && t.compare(p, 2, "\\u") == 0) {
                        unsigned lo = std::stoul(t.substr(p + 2, 4), nullptr, 16); p += 6;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: out += e;
            }
        }
        p++;
        return out;
    }
    J value() {
        ws();
        J j;
        char c = t[p];
        if (c == '{') {
            j.kind = J::OBJ; p++; ws();
            if (t[p] == '}') { p++; return j; }
            while (true) {
                ws(); std::string k = str(); ws(); p++;
                j.obj.emplace_back(k, value()); ws();
                if (t[p++] == '}') break;
            }
        } else if (c == '[') {
            j.kind = J::ARR; p++; ws();
            if (t[p] == ']') { p++; return j; }
            while (true) {
                j.arr.push_back(value()); ws();
                if (t[p++] == ']') break;
            }
        } else if (c == '"') { j.kind = J::STR; j.s = str(); }
        else if (t.compare(p, 4, "true") == 0) { j.kind = J::BOOL; j.b = true; p += 4; }
        else if (t.compare(p, 5, "false") == 0) { j.kind = J::BOOL; p += 5; }
        else if (t.compare(p, 4, "null") == 0) { p += 4; }
        else {
            size_t start = p;
            while (p < t.size() && (isdigit((unsigned char)t[p]) || strchr("+-.eE", t[p]))) p++;
            std::string tok = t.substr(start, p - start);
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
                if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
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

inline void emit(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
}

struct Entry { int i; std::string status, value, error, out; double ms; long mem_kb = 0; };

// Peak resident set of the process so far (KiB on Linux): memory shown per test.
inline long peak_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

inline std::string entry_json(const Entry& e) {
    std::string o = "{\"i\":" + std::to_string(e.i) + ",\"status\":";
    esc(o, e.status);
    o += ",\"value\":" + (e.value.empty() ? std::string("null") : e.value) + ",\"error\":";
    esc(o, e.error);
    char b[40]; snprintf(b, sizeof b, "%.3f", e.ms);
    o += ",\"time_ms\":"; o += b; o += ",\"memory_kb\":" + std::to_string(e.mem_kb);
    o += ",\"stdout\":"; esc(o, e.out); o += '}';
    return o;
}

inline std::mutex mu;
inline std::vector<Entry> results;
inline std::string sentinel;
inline int running = -1;
inline std::chrono::steady_clock::time_point started;
inline double cpu_started = 0;
inline clockid_t main_clock = CLOCK_THREAD_CPUTIME_ID;
inline bool done = false;

// CPU time of the thread running the student's code: what the limit is about.
inline double main_cpu_ms() {
    timespec ts{};
    clock_gettime(main_clock, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

inline void finish_locked() {
    std::string o = "\n" + sentinel + "\n[";
    for (size_t k = 0; k < results.size(); k++) { if (k) o += ','; o += entry_json(results[k]); }
    o += "]\n";
    std::cout.flush();
    fflush(stdout);
    emit(1, o);
}

inline void watchdog(long limit_ms) {
    while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::lock_guard<std::mutex> g(mu);
        if (done) return;
        if (running < 0) continue;
        double cpu = main_cpu_ms() - cpu_started;
        auto wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // CPU time decides; the wall clock (5x + 1 s) only catches code that sleeps or blocks.
        if (cpu > limit_ms || wall > 5.0 * limit_ms + 1000) {
            Entry e{running, "timeout", "", "time limit exceeded", "", cpu, peak_rss_kb()};
            results.push_back(e);
            emit(2, "\n" + sentinel + ":" + entry_json(e) + "\n");
            finish_locked();
            _exit(0);
        }
    }
}

inline std::string type_name(const char* mangled) {
    int status = 0;
    char* name = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string out = status == 0 && name ? name : mangled;
    free(name);
    return out;
}

inline std::string describe_capture(std::stringstream& ss, size_t cap) {
    std::string s = ss.str();
    return s.size() > cap ? s.substr(0, cap) + "\n...[truncated]" : s;
}
}  // namespace cm_harness
'''

# The source is self-contained (Judge0 compiles it as is). The local sandbox also
# precompiles PCH_HEADER as bits/stdc++.h.gch: the library then comes from the PCH
# (CM_HARNESS_LIB is defined there) and only main() and the student's code compile.
PRELUDE = _INCLUDES + "#ifndef CM_HARNESS_LIB\n" + LIBRARY + "#endif\n" + _READ_STDIN
PCH_HEADER = _INCLUDES + "#define CM_HARNESS_LIB 1\n" + LIBRARY


HARNESS = r'''
int main() {
    using namespace cm_harness;
    J data = Parser(raw_input).value();
    sentinel = data.get("sentinel").s;
    long limit_ms = (long)data.get("time_limit_ms").num;
    size_t cap = (size_t)data.get("stdout_limit").num;
    const J& tests = data.get("tests");
    pthread_getcpuclockid(pthread_self(), &main_clock);
    std::thread(watchdog, limit_ms).detach();
    std::streambuf* real = std::cout.rdbuf();
    for (size_t idx = 0; idx < tests.arr.size(); idx++) {
        const J& args = tests.arr[idx];
        Entry e{(int)idx, "ok", "", "", "", 0};
        std::stringstream captured;
__CM_DECODE__
        std::cout.rdbuf(captured.rdbuf());
        {
            std::lock_guard<std::mutex> g(mu);
            running = (int)idx;
            started = std::chrono::steady_clock::now();
            cpu_started = main_cpu_ms();
        }
        try {
            Solution solution;
            auto value = solution.__CM_METHOD__(__CM_ARGS__);
            std::string out;
            Conv<__CM_RETURN__>::to(out, value);
            e.value = out;
        } catch (const std::bad_alloc&) {
            e.status = "memory"; e.error = "std::bad_alloc";
        } catch (const std::exception& ex) {
            e.status = "error"; e.error = type_name(typeid(ex).name()) + ": " + ex.what();
        } catch (...) {
            e.status = "error"; e.error = "unknown exception";
        }
        std::cout.rdbuf(real);
        std::lock_guard<std::mutex> g(mu);
        e.ms = main_cpu_ms() - cpu_started;
        e.mem_kb = peak_rss_kb();
        running = -1;
        e.out = describe_capture(captured, cap);
        results.push_back(e);
        // Progress on stderr: if the whole run is killed, finished tests keep their results.
        emit(2, "\n" + sentinel + ":" + entry_json(e) + "\n");
    }
    std::lock_guard<std::mutex> g(mu);
    done = true;
    finish_locked();
    return 0;
}
'''


def render(signature: Signature, code: str) -> str:
    decode = "\n".join(
        f"        {cpp_type(p.type)} cm_arg{k} = Conv<{cpp_type(p.type)}>::from(args.arr.at({k}));"
        for k, p in enumerate(signature.params)
    )
    harness = (
        HARNESS.replace("__CM_DECODE__", decode)
        .replace("__CM_METHOD__", function_name(signature, "cpp"))
        .replace("__CM_ARGS__", ", ".join(f"cm_arg{k}" for k in range(len(signature.params))))
        .replace("__CM_RETURN__", cpp_type(signature.returns))
    )
    # #line keeps compiler messages on the student's own line numbers and file name.
    return PRELUDE + '#line 1 "solution.cpp"\n' + code + '\n#line 1 "harness.cpp"\n' + harness
