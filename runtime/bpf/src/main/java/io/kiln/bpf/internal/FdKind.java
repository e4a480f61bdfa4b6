package io.kiln.bpf.internal;

import io.kiln.bpf.BpfException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What kind of BPF object an fd refers to, from {@code /proc/self/fdinfo}: a pin or an id can name
 * a program, a map or a link, and {@code bpf_obj_get_info_by_fd} answers for whichever it is, so
 * opening a map's pin as a link would otherwise go unnoticed until a confusing later error.
 */
public enum FdKind {
    PROGRAM("prog_type:"),
    MAP("map_type:"),
    LINK("link_type:");

    private final String marker;

    FdKind(String marker) {
        this.marker = marker;
    }

    /** Closes {@code fd} and throws unless it refers to this kind of object. */
    public void require(int fd, String context, String operation) {
        FdKind actual = of(fd);
        if (actual != this) {
            LibC.close(fd);
            throw new BpfException(Failures.prefix(context) + operation + ": that is "
                    + (actual == null ? "not a BPF program, map or link" : "a " + actual.label()) + ", not a " + label(),
                    0, true, null);
        }
    }

    static FdKind of(int fd) {
        try {
            String info = Files.readString(Path.of("/proc/self/fdinfo/" + fd));
            for (FdKind k : values()) {
                if (info.contains("\n" + k.marker)) {
                    return k;
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
