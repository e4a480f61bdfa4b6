package io.kiln.bpf;

import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.Structs;

import java.lang.ref.Reference;
import java.util.Optional;

/**
 * A legacy tc attachment: a cls_bpf filter in direct-action mode on the clsact qdisc of an
 * interface, identified by (ifindex, direction, handle, priority). The kernel keeps it without any
 * fd, so this is a handle, not a resource: it stays until {@link #detach()} or the interface goes.
 *
 * <p>tc works through netlink in the calling thread's network namespace; the ifindex is one of
 * that namespace. {@link #replace} swaps the program atomically (same handle and priority).
 */
public final class TcFilter {
    private static final int BPF_TC_F_REPLACE = 1;
    /** {@code BPF_TC_INGRESS | BPF_TC_EGRESS}: the clsact qdisc itself in libbpf's hook API. */
    private static final int BPF_TC_CLSACT = 3;
    private static final int MAX_PRIORITY = 0xffff;

    private final int ifindex;
    private final Direction direction;
    private final int handle;
    private final int priority;
    private volatile int expectedProgramId;

    private TcFilter(int ifindex, Direction direction, int handle, int priority, int programId) {
        this.ifindex = ifindex;
        this.direction = direction;
        this.handle = handle;
        this.priority = priority;
        this.expectedProgramId = programId;
    }

    static TcFilter attach(BpfProgram program, int ifindex, Direction direction, int handle, int priority) {
        String where = where(ifindex, direction, handle, priority);
        checkArgs(program.context(), where, ifindex, handle, priority);
        Structs.TcHook hook = hook(ifindex, direction);
        LibbpfLog.begin();
        int ret = LibBpf.bpf_tc_hook_create(hook);
        if (ret < 0 && ret != -Errno.EEXIST) { // an existing clsact qdisc is the one we want
            throw Failures.error(program.context(), "create clsact qdisc on ifindex " + ifindex
                    + Failures.missingInterfaceHint(ifindex), -ret);
        }
        Structs.TcOpts opts = new Structs.TcOpts();
        opts.prog_fd = program.fd();
        opts.handle = handle;
        opts.priority = priority;
        LibbpfLog.begin();
        ret = LibBpf.bpf_tc_attach(hook, opts);
        Reference.reachabilityFence(program);
        if (ret == -Errno.EEXIST) {
            throw new BpfException(program.context() + ": attach " + where + ": a filter is already there; "
                    + "replace it through its TcFilter (TcFilter.find) or detach it first", Errno.EEXIST, false, null);
        }
        Failures.check(ret, program.context(), "attach " + where);
        return new TcFilter(ifindex, direction, opts.handle, opts.priority, opts.prog_id);
    }

    /**
     * Creates the clsact qdisc on the interface unless it has one; true if this call created it, so
     * that whoever tears down later knows whether the qdisc is theirs to remove.
     */
    public static boolean createClsact(int ifindex) {
        LibbpfLoader.require();
        Structs.TcHook hook = hook(ifindex, Direction.INGRESS);
        LibbpfLog.begin();
        int ret = LibBpf.bpf_tc_hook_create(hook);
        if (ret == -Errno.EEXIST) {
            return false;
        }
        Failures.check(ret, "clsact qdisc on ifindex " + ifindex, "create" + Failures.missingInterfaceHint(ifindex));
        return true;
    }

    /** Deletes the interface's clsact qdisc, and with it every filter on both directions. */
    public static void destroyClsact(int ifindex) {
        LibbpfLoader.require();
        Structs.TcHook hook = new Structs.TcHook();
        hook.ifindex = ifindex;
        hook.attach_point = BPF_TC_CLSACT;
        int ret = 0;
        // Right after a filter was deleted the kernel has been seen (once in many runs) to refuse the
        // qdisc delete with a bare EINVAL while it still tears the filter down; a short bounded retry
        // covers that without hiding a lasting refusal.
        for (int attempt = 0; attempt < 5; attempt++) {
            LibbpfLog.begin();
            ret = LibBpf.bpf_tc_hook_destroy(hook);
            // without a clsact qdisc the kernel names its fixed handle invalid
            if (ret == 0 || ret == -Errno.ENOENT || ret == -Errno.ENODEV
                    || ret == -Errno.EINVAL && (noQdisc() || said("Invalid handle"))) {
                return;
            }
            if (ret != -Errno.EINVAL) {
                break;
            }
            try {
                Thread.sleep(20L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Failures.check(ret, "clsact qdisc on ifindex " + ifindex, "delete");
    }

    /**
     * The filters on one direction of the interface's clsact qdisc, anyone's: handle, priority and
     * classifier kind of each. Empty when the interface has no clsact qdisc.
     */
    public static java.util.List<Listed> list(int ifindex, Direction direction) {
        LibbpfLoader.require();
        int parent = direction == Direction.INGRESS ? 0xFFFFFFF2 : 0xFFFFFFF3;
        return io.kiln.bpf.internal.TcDump.filters(ifindex, parent, "tc " + direction.label() + " filters on ifindex "
                + ifindex).stream().map(e -> new Listed(direction, e.handle(), e.priority(), e.kind())).toList();
    }

    /** A filter as {@link #list} reports it: direction, handle, priority and classifier kind ("bpf", "u32", ...). */
    public record Listed(Direction direction, int handle, int priority, String kind) {
    }

    /** The kernel's extack when the clsact qdisc is missing: "Cannot find specified qdisc" or "Parent Qdisc doesn't exists". */
    private static boolean noQdisc() {
        return said("Cannot find specified qdisc") || said("Parent Qdisc doesn't exist");
    }

    private static boolean said(String kernelMessage) {
        return LibbpfLog.messages().stream().anyMatch(m -> m.contains(kernelMessage));
    }

    /** The filter at this place if there is one, e.g. to adopt what a previous process attached. */
    public static Optional<TcFilter> find(int ifindex, Direction direction, int handle, int priority) {
        LibbpfLoader.require();
        String where = where(ifindex, direction, handle, priority);
        checkArgs("", where, ifindex, handle, priority);
        int id = query(ifindex, direction, handle, priority, where);
        return id == 0 ? Optional.empty() : Optional.of(new TcFilter(ifindex, direction, handle, priority, id));
    }

    public int ifindex() {
        return ifindex;
    }

    public Direction direction() {
        return direction;
    }

    public int handle() {
        return handle;
    }

    public int priority() {
        return priority;
    }

    /** The id of the program the filter runs now (asks the kernel); 0 if the filter is gone. */
    public int programId() {
        return query(ifindex, direction, handle, priority, toString());
    }

    /**
     * Replaces the program atomically (same handle and priority, {@code BPF_TC_F_REPLACE}), after
     * checking that the filter still runs the program this handle last put there or found; if it
     * does not, nothing changes and {@link ProgramMismatchException} names the program found.
     * (tc has no compare-and-swap: a change between the check and the replace is not detected.)
     */
    public void replace(BpfProgram newProgram) {
        int expected = expectedProgramId;
        int actual = programId();
        if (actual != expected) {
            throw new ProgramMismatchException(this + ": replace with " + newProgram.context() + ": the filter "
                    + (actual == 0 ? "is gone" : "runs program " + actual) + ", not the expected program " + expected
                    + "; something else changed it, nothing was replaced", expected, actual);
        }
        Structs.TcOpts opts = new Structs.TcOpts();
        opts.prog_fd = newProgram.fd();
        opts.handle = handle;
        opts.priority = priority;
        opts.flags = BPF_TC_F_REPLACE;
        LibbpfLog.begin();
        int ret = LibBpf.bpf_tc_attach(hook(ifindex, direction), opts);
        Reference.reachabilityFence(newProgram);
        Failures.check(ret, toString(), "replace with " + newProgram.context());
        expectedProgramId = opts.prog_id;
    }

    /** Removes the filter (the clsact qdisc stays: other filters may use it). */
    public void detach() {
        Structs.TcOpts opts = new Structs.TcOpts();
        opts.handle = handle;
        opts.priority = priority;
        LibbpfLog.begin();
        Failures.check(LibBpf.bpf_tc_detach(hook(ifindex, direction), opts), toString(), "detach");
        expectedProgramId = 0;
    }

    private static int query(int ifindex, Direction direction, int handle, int priority, String where) {
        Structs.TcOpts opts = new Structs.TcOpts();
        opts.handle = handle;
        opts.priority = priority;
        LibbpfLog.begin();
        int ret = LibBpf.bpf_tc_query(hook(ifindex, direction), opts);
        if (ret == -Errno.ENOENT || ret == -Errno.ENODEV || (ret == -Errno.EINVAL && (noChain() || noQdisc()))) {
            return 0; // the filter, its chain, its qdisc or the interface is gone: no program there
        }
        Failures.check(ret, where, "query");
        return opts.prog_id;
    }

    /**
     * Deleting the last filter of a priority deletes its chain too, and a query then fails with
     * EINVAL, not ENOENT; only the kernel's extack message (which libbpf prints) tells the two apart.
     */
    private static boolean noChain() {
        return LibbpfLog.messages().stream().anyMatch(m -> m.contains("Cannot find specified filter chain"));
    }

    private static Structs.TcHook hook(int ifindex, Direction direction) {
        Structs.TcHook hook = new Structs.TcHook();
        hook.ifindex = ifindex;
        hook.attach_point = direction.tcAttachPoint();
        return hook;
    }

    private static void checkArgs(String context, String where, int ifindex, int handle, int priority) {
        if (ifindex <= 0 || handle <= 0 || priority <= 0 || priority > MAX_PRIORITY) {
            throw new BpfException(Failures.prefix(context) + where
                    + ": need ifindex > 0, handle > 0 and priority 1.." + MAX_PRIORITY, 0, true, null);
        }
    }

    private static String where(int ifindex, Direction direction, int handle, int priority) {
        return "tc " + direction.label() + " filter on ifindex " + ifindex + " (handle " + handle + ", priority "
                + priority + ")";
    }

    @Override
    public String toString() {
        return where(ifindex, direction, handle, priority);
    }
}
