package io.kiln.testing;

import io.kiln.host.Host;
import io.kiln.bpf.BpfFs;
import io.kiln.bpf.Features;
import io.kiln.bpf.LibbpfVersion;
import io.kiln.KilnException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Guards for tests that need the real kernel. Where a requirement is missing the test is skipped
 * with the reason, except when the environment sets {@code KILN_REQUIRE_KERNEL=1} (CI, and any
 * machine meant to run them): then it fails, so a kernel test can never pass by skipping there.
 */
public final class KernelRequirements {
    public static final String REQUIRE_ENV = "KILN_REQUIRE_KERNEL";

    private KernelRequirements() {
    }

    /** Root, libbpf >= 1.1, bpffs at /sys/fs/bpf, and a kernel that loads and test-runs a BPF program. */
    public static void assumeKernel() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            unmet("kernel tests need Linux (this is " + System.getProperty("os.name") + ")");
        }
        if (!Host.isRoot()) {
            unmet("kernel tests need root (BPF, network namespaces)");
        }
        try {
            LibbpfVersion.current();
        } catch (KilnException e) {
            unmet(e.getMessage());
        }
        if (!BpfFs.isMounted(BpfFs.DEFAULT)) {
            unmet("bpffs is not mounted at " + BpfFs.DEFAULT + " (mount -t bpf bpf " + BpfFs.DEFAULT + ")");
        }
        try {
            if (!Features.testRunSchedCls()) {
                unmet("the kernel cannot test-run sched_cls programs (BPF_PROG_TEST_RUN)");
            }
        } catch (KilnException e) {
            unmet("the kernel does not load BPF programs: " + e.getMessage());
        }
    }

    /** Each tool is an executable on PATH (ip, clang, bpftool, ...). */
    public static void assumeTools(String... tools) {
        for (String tool : tools) {
            if (!onPath(tool)) {
                unmet(tool + " is not on PATH");
            }
        }
    }

    /** True when {@code KILN_REQUIRE_KERNEL=1}: missing requirements fail instead of skipping. */
    public static boolean required() {
        return "1".equals(System.getenv(REQUIRE_ENV));
    }

    /** Skips the current test with the reason, or fails it when {@link #required()}. */
    public static void unmet(String reason) {
        if (required()) {
            Assertions.fail(reason + " (" + REQUIRE_ENV + "=1, so this fails instead of skipping)");
        }
        Assumptions.abort(reason);
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return true;
            }
        }
        return false;
    }
}
