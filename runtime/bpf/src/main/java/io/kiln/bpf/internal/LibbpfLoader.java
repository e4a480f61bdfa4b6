package io.kiln.bpf.internal;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import io.kiln.bpf.BpfException;
import io.kiln.bpf.LibbpfVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the system libbpf once per process, checks that it is at least 1.1 before any binding is
 * made, and binds {@link LibBpf}. Every public entry point of {@code io.kiln.bpf} calls
 * {@link #require()} first, so a missing or old libbpf is one clear {@link BpfException} instead of
 * an {@link UnsatisfiedLinkError} from deep inside a call.
 */
public final class LibbpfLoader {
    public static final String SONAME = "libbpf.so.1";
    private static final int MIN_MAJOR = 1;
    private static final int MIN_MINOR = 1;
    private static final String INSTALL_HINT = "install it with: apt-get install libbpf1";

    private static volatile Object state; // LibbpfVersion once loaded, BpfException if it cannot be
    private static NativeLibrary library;

    private LibbpfLoader() {
    }

    /** Loads, checks and binds libbpf on first use; throws the same {@link BpfException} on every call if it cannot. */
    public static LibbpfVersion require() {
        Object s = state;
        if (s == null) {
            synchronized (LibbpfLoader.class) {
                s = state;
                if (s == null) {
                    s = load();
                    state = s;
                }
            }
        }
        if (s instanceof BpfException e) {
            throw new BpfException(e.getMessage(), e);
        }
        return (LibbpfVersion) s;
    }

    /** True once libbpf is bound (without trying to load it). */
    public static boolean isLoaded() {
        return state instanceof LibbpfVersion;
    }

    static NativeLibrary libraryForBinding() {
        if (library == null) {
            throw new IllegalStateException("LibBpf used before LibbpfLoader.require()");
        }
        return library;
    }

    private static Object load() {
        if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
            return new BpfException("libbpf binding: Kiln talks to the kernel only on 64-bit Linux (this is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        }
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(SONAME);
        } catch (UnsatisfiedLinkError e) {
            return new BpfException("libbpf: " + SONAME + " not found (Kiln needs the system libbpf >= "
                    + MIN_MAJOR + "." + MIN_MINOR + "); " + INSTALL_HINT + " [" + e.getMessage() + "]");
        }
        int major;
        int minor;
        try {
            major = lib.getFunction("libbpf_major_version").invokeInt(new Object[0]);
            minor = lib.getFunction("libbpf_minor_version").invokeInt(new Object[0]);
        } catch (UnsatisfiedLinkError e) {
            return new BpfException("libbpf: " + SONAME + " has no libbpf_major_version(), so it is older than "
                    + "0.6; Kiln needs >= " + MIN_MAJOR + "." + MIN_MINOR + "; " + INSTALL_HINT);
        }
        String file = loadedFile(lib);
        if (major < MIN_MAJOR || (major == MIN_MAJOR && minor < MIN_MINOR)) {
            return new BpfException("libbpf: found version " + major + "." + minor + " (" + file + "), Kiln needs >= "
                    + MIN_MAJOR + "." + MIN_MINOR + "; " + INSTALL_HINT);
        }
        library = lib;
        try {
            LibBpf.libbpf_major_version(); // runs the static initializer: binds every native
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            return new BpfException("libbpf: " + major + "." + minor + " (" + file + ") lacks a function Kiln binds: "
                    + rootMessage(e) + "; " + INSTALL_HINT);
        }
        LibbpfLog.install();
        return new LibbpfVersion(major, minor, release(file, major, minor), file);
    }

    /** The real file behind the soname, from this process's mappings (JNA only knows the soname). */
    private static String loadedFile(NativeLibrary lib) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.contains("/libbpf.so")) {
                    Path p = Path.of(line.substring(slash).trim());
                    return p.toRealPath().toString();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the soname is still a useful answer
        }
        return lib.getName();
    }

    private static final Pattern RELEASE = Pattern.compile("libbpf\\.so\\.(\\d+\\.\\d+\\.\\d+)$");

    /** Debian installs libbpf.so.1.1.2; the API itself only tells major.minor. */
    private static String release(String file, int major, int minor) {
        Matcher m = RELEASE.matcher(file);
        return m.find() ? m.group(1) : major + "." + minor;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }
}
