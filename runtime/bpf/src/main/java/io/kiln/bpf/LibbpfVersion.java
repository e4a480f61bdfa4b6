package io.kiln.bpf;

import io.kiln.bpf.internal.LibbpfLoader;

/**
 * The system libbpf Kiln is bound to.
 *
 * @param major   from {@code libbpf_major_version()}
 * @param minor   from {@code libbpf_minor_version()}
 * @param release the full release when the library file names it (Debian: {@code libbpf.so.1.1.2}), else major.minor
 * @param library the file the process loaded
 */
public record LibbpfVersion(int major, int minor, String release, String library) {

    /**
     * Loads and checks the system libbpf (at least 1.1) if not done yet.
     *
     * @throws BpfException naming what is missing and how to install it
     */
    public static LibbpfVersion current() {
        return LibbpfLoader.require();
    }

    @Override
    public String toString() {
        return "libbpf " + release + " (" + library + ")";
    }
}
