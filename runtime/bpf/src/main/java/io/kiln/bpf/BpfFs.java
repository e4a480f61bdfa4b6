package io.kiln.bpf;

import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.LibC;

import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The BPF file system (bpffs), where pins live. */
public final class BpfFs {
    /** Where systemd and Kiln expect bpffs. */
    public static final Path DEFAULT = Path.of("/sys/fs/bpf");

    private BpfFs() {
    }

    /** True if {@code dir} lies on a mounted bpffs: one is mounted at it or at a folder above it. */
    public static boolean isOnBpffs(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        for (Path p = target; p != null; p = p.getParent()) {
            if (isMounted(p)) {
                return true;
            }
        }
        return false;
    }

    /** True if a bpffs is mounted exactly at {@code dir} (per {@code /proc/self/mounts}). */
    public static boolean isMounted(Path dir) {
        String target = dir.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length >= 3 && f[2].equals("bpf") && unescape(f[1]).equals(target)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new BpfException("bpffs: read /proc/self/mounts: " + e.getMessage(), e);
        }
    }

    /**
     * Mounts bpffs at {@code dir} unless one is mounted there, creating the directory if needed.
     *
     * @return true if this call mounted it
     */
    public static boolean ensureMounted(Path dir) {
        if (isMounted(dir)) {
            return false;
        }
        Path target = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new BpfException("bpffs: create mount point " + target + ": " + e, e);
        }
        // mode=0700: pins are root's; the same as systemd's mount of /sys/fs/bpf
        if (LibC.mount("bpf", target.toString(), "bpf", 0L, "mode=0700") != 0) {
            int errno = Native.getLastError();
            String hint = errno == Errno.EPERM ? " (needs root or CAP_SYS_ADMIN)" : "";
            throw new BpfException("bpffs: mount -t bpf bpf " + target + ": " + Errno.describe(errno) + hint,
                    errno, false, null);
        }
        return true;
    }

    /** /proc/self/mounts writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
