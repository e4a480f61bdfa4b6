package io.kiln.bpf;

import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.BpfSyscall;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.FdKind;
import io.kiln.bpf.internal.Info;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.OwnedFd;
import io.kiln.bpf.internal.Structs;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A BPF link (tcx or XDP): the kernel object that keeps a program on a hook. The link lives while
 * an fd or a pin refers to it: {@link #close()} of an unpinned link detaches the program,
 * {@link #pin} makes it outlive the process, {@link #detach()} takes the program off the hook now
 * whoever else holds the link. {@link #update} swaps the program atomically: the hook is never empty.
 */
public final class BpfLink implements AutoCloseable {
    static final int BPF_XDP = 37;
    private static final int BPF_F_REPLACE = 4;

    private final OwnedFd fd;
    private final String description;
    private Path pinPath;

    private BpfLink(int fd, String description) {
        this.fd = new OwnedFd(this, fd);
        this.description = description;
    }

    static BpfLink create(BpfProgram program, int ifindex, int attachType, String where, Runnable featureCheck) {
        int progFd = program.fd();
        LibbpfLog.begin();
        int ret = LibBpf.bpf_link_create(progFd, ifindex, attachType, null);
        Reference.reachabilityFence(program);
        if (ret < 0) {
            int errno = -ret;
            if (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP || errno == Errno.ENOTSUPP) {
                featureCheck.run(); // throws MissingFeatureException when the kernel lacks the link type
            }
            throw Failures.error(program.context(), "attach " + where + Failures.missingInterfaceHint(ifindex), errno);
        }
        return new BpfLink(ret, program.context() + ": link " + where);
    }

    /**
     * A tcx link placed among the hook's programs: before the program with id {@code relativeId},
     * or last when it is 0. Through bpf(2) directly: libbpf 1.1's {@code bpf_link_create} has no
     * tcx options.
     */
    static BpfLink createTcx(BpfProgram program, int ifindex, Direction direction, int beforeProgramId) {
        int flags = beforeProgramId == 0 ? BpfSyscall.BPF_F_AFTER : BpfSyscall.BPF_F_BEFORE | BpfSyscall.BPF_F_ID;
        String where = "tcx " + direction.label() + " on ifindex " + ifindex
                + (beforeProgramId == 0 ? ", last" : ", before program " + beforeProgramId);
        int ret = BpfSyscall.tcxLinkCreate(program.fd(), ifindex, direction.tcxAttachType(), flags, beforeProgramId);
        Reference.reachabilityFence(program);
        if (ret < 0) {
            int errno = -ret;
            if (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP || errno == Errno.ENOTSUPP) {
                Features.requireTcxLinks();
            }
            String hint = errno == Errno.ENOENT && beforeProgramId != 0
                    ? " (program " + beforeProgramId + " is not on that hook)" : Failures.missingInterfaceHint(ifindex);
            throw Failures.error(program.context(), "attach " + where + hint, errno);
        }
        return new BpfLink(ret, program.context() + ": link " + where);
    }

    /** Opens a pinned link ({@code bpf_obj_get}); the handle owns a new fd, the pin stays. */
    public static BpfLink openPinned(Path pin) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_obj_get(pin.toString()), "link", "open pinned " + pin);
        FdKind.LINK.require(fd, "link", "open pinned " + pin);
        BpfLink link = new BpfLink(fd, "link pinned at " + pin);
        link.pinPath = pin;
        return link;
    }

    /** Opens a link by its kernel id ({@code bpf_link_get_fd_by_id}). */
    public static BpfLink fromId(int linkId) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_link_get_fd_by_id(linkId), "link " + linkId, "open by id");
        return new BpfLink(fd, "link " + linkId);
    }

    public int fd() {
        return fd.get();
    }

    /** The link as the kernel reports it now: ids, type, interface, attach type. */
    public LinkInfo info() {
        try {
            Structs.LinkInfo i = Info.link(fd(), description);
            return LinkInfo.of(i);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Pins the link in bpffs: it stays attached after this process exits. */
    public void pin(Path path) {
        try {
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_obj_pin(fd(), path.toString()), description, "pin " + path);
            pinPath = path;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Where this handle pinned the link, or opened it from. */
    public Optional<Path> pinPath() {
        return Optional.ofNullable(pinPath);
    }

    /** Removes the pin; the link then lives only as long as open fds. */
    public void unpin() {
        if (pinPath == null) {
            return;
        }
        try {
            Files.deleteIfExists(pinPath);
            pinPath = null;
        } catch (IOException e) {
            throw new BpfException(description + ": unpin " + pinPath + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the link's program atomically, whatever program it has now ({@code bpf_link_update}). */
    public void update(BpfProgram newProgram) {
        try {
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_link_update(fd(), newProgram.fd(), null), description,
                    "update to " + newProgram.context());
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(newProgram);
        }
    }

    /**
     * Replaces the link's program atomically only if it still runs {@code expected}
     * ({@code BPF_F_REPLACE}); otherwise nothing changes and {@link ProgramMismatchException} says
     * which program is there instead.
     */
    public void update(BpfProgram newProgram, BpfProgram expected) {
        try {
            var opts = new Structs.LinkUpdateOpts();
            opts.flags = BPF_F_REPLACE;
            opts.old_prog_fd = expected.fd();
            LibbpfLog.begin();
            int ret = LibBpf.bpf_link_update(fd(), newProgram.fd(), opts);
            if (ret == -Errno.EPERM) {
                int actual = info().programId();
                if (actual != expected.id()) {
                    throw new ProgramMismatchException(description + ": update to " + newProgram.context()
                            + ": the link runs program " + actual + ", not the expected " + expected.context()
                            + " (id " + expected.id() + "); something else replaced it, nothing was changed",
                            expected.id(), actual);
                }
            }
            Failures.check(ret, description, "update to " + newProgram.context());
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(newProgram);
            Reference.reachabilityFence(expected);
        }
    }

    /**
     * Takes the program off its hook now ({@code bpf_link_detach}), even if the link is pinned or
     * open elsewhere, removes this handle's pin and closes the fd.
     */
    public void detach() {
        try {
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_link_detach(fd()), description, "detach");
        } finally {
            Reference.reachabilityFence(this);
        }
        unpin();
        close();
    }

    /** Closes this handle's fd; an unpinned link with no other fd detaches. Idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
