package io.kiln.bpf;

import com.sun.jna.Pointer;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.FdKind;
import io.kiln.bpf.internal.Info;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibC;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.OwnedFd;
import io.kiln.bpf.internal.Structs;

import java.lang.ref.Reference;
import java.nio.file.Path;

/**
 * A BPF program: either one of a {@link BpfObject}'s ({@code struct bpf_program}, owned by the
 * object, usable once the object is loaded) or a standalone handle to a program already in the
 * kernel ({@link #openPinned}, {@link #fromId}) that owns its fd.
 */
public final class BpfProgram implements AutoCloseable {
    private final BpfObject object;  // null for a standalone program
    private final Pointer prog;      // null for a standalone program
    private final OwnedFd ownFd;     // null for an object's program
    private final String name;
    private final int type;
    private int id;                  // cached once known: a loaded program's id never changes

    BpfProgram(BpfObject object, Pointer prog) {
        this.object = object;
        this.prog = prog;
        this.ownFd = null;
        this.name = LibBpf.bpf_program__name(prog);
        this.type = LibBpf.bpf_program__type(prog);
    }

    private BpfProgram(int fd, String what) {
        this.object = null;
        this.prog = null;
        Structs.ProgInfo info = Info.program(fd, what); // before OwnedFd: a failure leaves the fd to the caller alone
        this.ownFd = new OwnedFd(this, fd);
        this.name = Structs.cString(info.name);
        this.type = info.type;
        this.id = info.id;
    }

    /** Opens a program pinned in bpffs ({@code bpf_obj_get}); the handle owns a new fd. */
    public static BpfProgram openPinned(Path pin) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_obj_get(pin.toString()), "program", "open pinned " + pin);
        FdKind.PROGRAM.require(fd, "program", "open pinned " + pin);
        return standalone(fd, "program pinned at " + pin);
    }

    /** Opens a program by its kernel id ({@code bpf_prog_get_fd_by_id}). */
    public static BpfProgram fromId(int programId) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_prog_get_fd_by_id(programId), "program " + programId, "open by id");
        return standalone(fd, "program " + programId);
    }

    private static BpfProgram standalone(int fd, String what) {
        try {
            return new BpfProgram(fd, what);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The C function name (the kernel keeps only its first 15 characters for a standalone program). */
    public String name() {
        return name;
    }

    /** libbpf's name of the program type: "sched_cls", "xdp", ... */
    public String type() {
        String s = LibBpf.libbpf_bpf_prog_type_str(type);
        return s == null ? "type " + type : s;
    }

    /** {@code enum bpf_prog_type}. */
    public int typeId() {
        return type;
    }

    /** The ELF section ({@code SEC("tc")}); empty for a standalone program. */
    public String sectionName() {
        return prog == null ? "" : LibBpf.bpf_program__section_name(pointer());
    }

    /** The program's fd; for an object's program, only after the object is loaded. */
    public int fd() {
        if (ownFd != null) {
            return ownFd.get();
        }
        int fd = LibBpf.bpf_program__fd(pointer());
        if (fd < 0) {
            throw new BpfException(context() + ": not loaded (load the object first)");
        }
        return fd;
    }

    /** The kernel's id of the loaded program, as bpftool shows it. */
    public int id() {
        if (id == 0) {
            try {
                id = Info.program(fd(), context()).id;
            } finally {
                Reference.reachabilityFence(this);
            }
        }
        return id;
    }

    /** The kernel ids of the maps the loaded program uses (its {@code bpf_prog_info.map_ids}). */
    public int[] mapIds() {
        try {
            return Info.programMapIds(fd(), context());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The program's tag (hash of its instructions), hex, as bpftool shows it. */
    public String tag() {
        try {
            byte[] tag = Info.program(fd(), context()).tag;
            StringBuilder sb = new StringBuilder();
            for (byte b : tag) {
                sb.append(String.format("%02x", b & 0xff));
            }
            return sb.toString();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Instructions of the program as the kernel runs it, after the verifier's rewrites (bpftool's "xlated"). */
    public int xlatedInstructions() {
        try {
            return Info.program(fd(), context()).xlated_prog_len / 8;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The instructions the verifier processed when it loaded the program ({@code bpf_prog_info.verified_insns},
     * the "processed N insns" of its log), or -1 where the kernel does not report it (before 5.16).
     */
    public int verifiedInstructions() {
        try {
            return Info.programVerifiedInsns(fd(), context());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Attaches with a tcx link (kernel 6.6+) at the head of the interface's chain. */
    public BpfLink attachTcx(int ifindex, Direction direction) {
        return BpfLink.create(this, ifindex, direction.tcxAttachType(),
                "tcx " + direction.label() + " on ifindex " + ifindex, () -> Features.requireTcxLinks());
    }

    /**
     * Attaches with a tcx link placed before the program with id {@code beforeProgramId} on the same
     * hook (kernel multi-program ordering, {@code BPF_F_BEFORE}), or after every program there when
     * it is 0. A program returning {@code TCX_NEXT} (-1) hands the packet to the next one.
     */
    public BpfLink attachTcxBefore(int ifindex, Direction direction, int beforeProgramId) {
        return BpfLink.createTcx(this, ifindex, direction, beforeProgramId);
    }

    /** Attaches with an XDP link; the kernel picks native mode where the driver has it, else generic. */
    public BpfLink attachXdp(int ifindex) {
        return BpfLink.create(this, ifindex, BpfLink.BPF_XDP, "xdp on ifindex " + ifindex,
                () -> Features.requireXdpLinks());
    }

    /**
     * Attaches as a legacy tc filter (clsact qdisc, created if missing, plus a cls_bpf filter in
     * direct-action mode) at the given handle and priority. Fails if a filter is already there.
     */
    public TcFilter attachTc(int ifindex, Direction direction, int handle, int priority) {
        return TcFilter.attach(this, ifindex, direction, handle, priority);
    }

    /** Runs the program once or {@code repeat} times on given input ({@code BPF_PROG_TEST_RUN}). */
    public TestRunResult testRun(TestRunOptions options) {
        try {
            return TestRuns.run(fd(), options, context());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Pins the program in bpffs ({@code bpf_obj_pin}); the pin keeps it loaded after every fd is closed. */
    public void pin(Path path) {
        try {
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_obj_pin(fd(), path.toString()), context(), "pin " + path);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Closes a standalone program's fd; a no-op for an object's program (the object owns it). */
    @Override
    public void close() {
        if (ownFd != null) {
            ownFd.close();
        }
    }

    /** The libbpf handle, valid only while the object is open (a closed object's would be freed memory). */
    Pointer pointer() {
        object.pointer(); // throws once the object is closed
        return prog;
    }

    String context() {
        if (object != null) {
            return object.context() + ": program " + name;
        }
        return "program " + name + (id != 0 ? " (id " + id + ")" : "");
    }

    @Override
    public String toString() {
        return context();
    }
}
