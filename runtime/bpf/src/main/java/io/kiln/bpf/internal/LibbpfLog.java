package io.kiln.bpf.internal;

import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * libbpf's own messages ({@code libbpf_set_print}), kept per thread instead of printed to stderr.
 * libbpf calls the print function synchronously on the thread that called into it, so a thread's
 * buffer holds exactly what libbpf said about that thread's operations. {@link #begin()} before an
 * operation, {@link #messages()} after it failed.
 *
 * <p>Warnings and info are kept; debug output (libbpf's per-relocation chatter) is dropped.
 */
public final class LibbpfLog {
    private static final int LIBBPF_DEBUG = 2;
    private static final int MAX_LINES = 200;
    private static final int FORMAT_BUFFER = 8192;

    /** Strongly held: libbpf keeps only the native trampoline, so a collected callback would crash it. */
    private static final LibBpf.PrintFn PRINT = LibbpfLog::print;

    private static final ThreadLocal<Deque<String>> LINES = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<byte[]> FORMAT = ThreadLocal.withInitial(() -> new byte[FORMAT_BUFFER]);

    private LibbpfLog() {
    }

    static void install() {
        LibBpf.libbpf_set_print(PRINT);
    }

    /** Forgets what libbpf said before, so the next failure shows only its own messages. */
    public static void begin() {
        LINES.get().clear();
    }

    /** What libbpf said on this thread since {@link #begin()}, one line per element, without the "libbpf: " prefix. */
    public static List<String> messages() {
        return new ArrayList<>(LINES.get());
    }

    private static int print(int level, Pointer format, Pointer ap) {
        try {
            if (level >= LIBBPF_DEBUG || format == null) {
                return 0;
            }
            byte[] buf = FORMAT.get();
            // a va_list can be consumed once: format into a buffer large enough for any libbpf message
            int n = LibC.vsnprintf(buf, buf.length, format, ap);
            if (n < 0) {
                return 0;
            }
            String text = new String(buf, 0, Math.min(n, buf.length - 1), StandardCharsets.UTF_8);
            Deque<String> lines = LINES.get();
            for (String line : text.split("\n")) {
                String l = line.strip();
                if (l.startsWith("libbpf: ")) {
                    l = l.substring("libbpf: ".length());
                }
                if (!l.isEmpty()) {
                    lines.addLast(l);
                    if (lines.size() > MAX_LINES) {
                        lines.removeFirst();
                    }
                }
            }
            return n;
        } catch (Throwable t) {
            return 0; // never let an exception unwind through libbpf's C frames
        }
    }
}
