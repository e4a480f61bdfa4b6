package io.kiln.runtime;

import io.kiln.bpf.ProgramMismatchException;
import io.kiln.runtime.internal.StateFile;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Puts endpoints' programs on their interfaces and keeps them there: <b>attach</b> (specialize,
 * attach every program at its hook, pin, record), <b>swap</b> (specialize the new object, then
 * replace each program atomically: tcx/XDP link update or tc replace at the same handle and
 * priority, so a hook is never empty), <b>adopt</b> (a new process takes over from pins and the
 * state file without touching the hooks), <b>detach</b> (remove everything it made).
 *
 * <p>A failure while specializing (constant refused, verifier rejection, incompatible pinned map)
 * leaves the running programs as they were. A hook that runs another program than Kiln attached
 * last is never overwritten: swap fails with {@link ProgramMismatchException} and changes
 * nothing; {@link #resync} accepts what runs now, after which a swap replaces it deliberately.
 *
 * <p>Named for its job, after Cilium's "loader": it takes an endpoint's object from specialize to
 * a live hook and back off. This class is the public face; the hook lifecycle (attach, swap,
 * detach) is in {@code HookLifecycle}, recovery and cleanup (adopt, resync, uninstall) in
 * {@code EndpointRecovery}.
 */
public final class EndpointLoader {
    /** The tc filter handle of a template's first program; further programs take the next handles. */
    public static final int DEFAULT_TC_HANDLE = 0x4b1;
    /** Legacy tc: the dataplane's filters run at this priority, leaving priorities 1..{@value PolicyChain#MAX_LENGTH} to a {@link PolicyChain} before them. */
    public static final int DEFAULT_TC_PRIORITY = 16;

    /** The folder under the state folder where each pinned map's layout is recorded. */
    public static final String LAYOUTS = "layouts";

    private final PinLayout pins;
    private final StateFile states;
    private final Specializer specializer;
    private final AttachMode mode;
    private final HookLifecycle hooks;
    private final EndpointRecovery recovery;

    private EndpointLoader(Builder b) {
        this.pins = new PinLayout(b.pinRoot);
        this.states = new StateFile(b.stateDir, pins);
        this.specializer = new Specializer(pins, states.dir().resolve(LAYOUTS));
        this.mode = b.mode;
        EndpointLocks locks = new EndpointLocks();
        this.hooks = new HookLifecycle(pins, states, specializer, mode, b.tcHandle, b.tcPriority, locks);
        this.recovery = new EndpointRecovery(pins, states, hooks, locks);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Pins under /sys/fs/bpf/kiln, state files in /run/kiln/endpoints, tcx where the kernel has it. */
    public static EndpointLoader defaults() {
        return builder().build();
    }

    public PinLayout pins() {
        return pins;
    }

    public Path stateDir() {
        return states.dir();
    }

    /** Where the state file of an endpoint is. */
    public Path stateFile(int endpointId) {
        return states.path(endpointId);
    }

    public Specializer specializer() {
        return specializer;
    }

    public AttachMode attachMode() {
        return mode;
    }

    /** The hook lifecycle, for {@link Tier0}'s attach. */
    HookLifecycle hooks() {
        return hooks;
    }

    /** The ids of the endpoints with a state file. */
    public List<Integer> endpointIds() {
        return states.endpointIds();
    }

    // ---- attach ----

    /**
     * Specializes {@code object} for {@code endpoint} and attaches each of the template's programs
     * at its hook on the endpoint's interface. On any failure nothing stays attached.
     *
     * @throws EndpointException when the endpoint is already attached (adopt it, or detach it first),
     *                           its interface does not exist, or a constant is refused
     */
    public AttachedEndpoint attach(TemplateObject object, Endpoint endpoint) {
        return attach(object, endpoint, loaded -> { });
    }

    /**
     * {@link #attach(TemplateObject, Endpoint)} with a step between load and attach: {@code beforeAttach}
     * gets the loaded programs and their maps (created or reused from the pins) before any hook is
     * touched, e.g. to fill the policy map so that the programs never run with an empty one. It runs
     * inside the endpoint's namespace; if it throws, nothing is attached.
     */
    public AttachedEndpoint attach(TemplateObject object, Endpoint endpoint, Consumer<SpecializedEndpoint> beforeAttach) {
        return hooks.attach(object, endpoint, beforeAttach);
    }

    // ---- swap ----

    /**
     * Specializes {@code object} for {@code endpoint} (the same endpoint id, interface and
     * namespace, with new constants or a new object) and swaps each program atomically. A program
     * the new template adds is attached, one it drops is detached. If loading fails, or any hook
     * runs something Kiln did not put there, nothing changes; if a replace fails halfway, the hooks
     * already swapped are swapped back.
     *
     * @throws io.kiln.bpf.VerifierException   the new program was rejected; the old one keeps running
     * @throws ProgramMismatchException        a hook runs another program than Kiln attached; see {@link #resync}
     * @throws EndpointException               a constant was refused, or {@code endpoint} is another endpoint
     */
    public void swap(AttachedEndpoint attached, TemplateObject object, Endpoint endpoint) {
        swap(attached, object, endpoint, loaded -> { });
    }

    /**
     * {@link #swap(AttachedEndpoint, TemplateObject, Endpoint)} with a step between load and swap:
     * {@code beforeSwap} gets the new programs and their maps (per-endpoint maps are the pinned ones
     * the running programs use too) before any hook is touched. It runs inside the endpoint's
     * namespace; if it throws, nothing is swapped.
     */
    public void swap(AttachedEndpoint attached, TemplateObject object, Endpoint endpoint,
                     Consumer<SpecializedEndpoint> beforeSwap) {
        hooks.swap(attached, object, endpoint, beforeSwap);
    }

    /**
     * Moves the endpoint's tc hooks to the kind this loader attaches with (its {@link AttachMode}; AUTO
     * means tcx where the kernel has it) when they are attached the other way: for each such hook the
     * program it runs is attached the new way first (a tcx link, or a tc filter at this loader's handle
     * and priority), the state file records the new attachments, then the old ones are taken off. No
     * hook is ever empty: while both are there the tcx link runs first and the dataplane's programs end
     * every packet with a verdict, so each packet meets the program once. The programs, their ids and
     * their maps stay; XDP links are not touched. A clsact qdisc Kiln created stays after a move to tcx, empty,
     * until {@link #detach}: adding or removing the qdisc under traffic was seen to cost a packet now and then.
     *
     * @return false if every tc hook was already of this kind (nothing done)
     * @throws ProgramMismatchException a hook runs another program than Kiln attached; nothing was moved
     * @throws EndpointException        the interface is gone, or an attach failed (the new attachments
     *                                  are taken off again, the old ones run on)
     */
    public boolean moveTcHooks(AttachedEndpoint attached) {
        return hooks.moveTcHooks(attached);
    }

    /**
     * {@link #moveTcHooks(AttachedEndpoint)}, calling {@code atStep} with {@code "attached"} when the new
     * kind holds the hooks and the state file does not say so yet, and with {@code "recorded"} when it does
     * and the old kind is still on: the two points where a process that dies leaves both kinds behind.
     */
    public boolean moveTcHooks(AttachedEndpoint attached, Consumer<String> atStep) {
        return hooks.moveTcHooks(attached, atStep);
    }

    /**
     * Takes off what a {@link #moveTcHooks move} cut short (the process died half-way) left beside the
     * endpoint's recorded tc hooks: an attachment of the other kind running the same program, which the
     * state file does not record (a tc filter at this loader's handle and priority beside a recorded tcx
     * link, or a tcx link at the hook's link pin beside a recorded tc filter). Only hooks that run what
     * their state records are looked at, so no hook is left empty; an attachment running another program
     * is left alone. The endpoint then runs on exactly its recorded kind.
     *
     * @return what was removed, one line each (empty: nothing was left over)
     */
    public List<String> removeStrayTcHooks(AttachedEndpoint attached) {
        return hooks.removeStrayTcHooks(attached);
    }

    // ---- adopt, resync ----

    /**
     * Takes over an endpoint attached by another (perhaps exited) process, from its state file and
     * pins, without touching its hooks. {@link AttachedEndpoint#status()} then tells whether every
     * hook still runs what was recorded.
     */
    public AttachedEndpoint adopt(int endpointId) {
        return recovery.adopt(endpointId);
    }

    /**
     * Accepts what runs on each hook now as what Kiln expects there (a hook found empty is attached
     * afresh by the next swap), records it, and returns the hooks as they were found. The way out
     * of a {@link ProgramMismatchException} once whoever changed the hook is dealt with.
     */
    public List<HookStatus> resync(AttachedEndpoint attached) {
        return recovery.resync(attached);
    }

    /**
     * Takes over the old node maps an earlier (perhaps killed) process kept for a catch-up: a node
     * map migrated by one endpoint's swap while other endpoints still ran old programs that write
     * the old map. Each is pinned at {@code ROOT/retired/MAP-ID} with its layout record; this
     * process then catches it up at the later swaps and lets it go once no program on a hook uses
     * it, as the earlier process would have (see {@code RetiredNodeMaps}). Call it once at start,
     * after adopting the endpoints; the first swap that commits does it otherwise. Anything there
     * that is not what Kiln pinned (not a map, another map id or definition than its record says,
     * a bad record, a link) is refused and left as it is. First it finishes the commit of a node
     * map's migration that a process killed after the migrating endpoint's hooks changed left
     * pinned as {@code MAP-migrating} (in use by a hooked program; one that is not is removed), so
     * adopt the endpoints before (see {@code RetiredNodeMaps}), and call it before any swap.
     *
     * @return what was refused or failed, one message each naming the file; empty when all went well
     */
    public List<String> adoptRetiredNodeMaps() {
        return io.kiln.runtime.internal.RetiredNodeMaps.adopt(pins,
                new io.kiln.runtime.internal.LayoutRecords(states.dir().resolve(LAYOUTS)),
                () -> hooks.programsOnOtherHooks(-1)); // every endpoint's: no endpoint has id -1
    }

    // ---- detach, uninstall ----

    /**
     * Removes everything Kiln made for the endpoint: its links, its tc filters (and the clsact qdisc
     * if Kiln created it and no other filter uses it), its pins (per-endpoint maps lose their
     * entries) and its state file. Node maps stay. Goes on past a failure and reports the first,
     * with the others suppressed.
     */
    public void detach(AttachedEndpoint attached) {
        hooks.detach(attached);
    }

    /** Detaches an endpoint by id: adopts it from its state file, or without one removes its pins. */
    public void detach(int endpointId) {
        recovery.detach(endpointId);
    }

    /**
     * Removes the node maps' pins, refusing while any endpoint is attached (they share them). The
     * maps go when the last program using them goes.
     */
    public void removeNodeMaps() {
        recovery.removeNodeMaps();
    }

    /** Detaches every endpoint with a state file, then removes every Kiln pin under the root (node maps too). */
    public void uninstall() {
        try {
            recovery.uninstall();
        } finally {
            io.kiln.runtime.internal.RetiredNodeMaps.releaseUnder(pins.root()); // nothing will swap onto them now
        }
    }

    /** Options of a {@link EndpointLoader}; each has a default. */
    public static final class Builder {
        private Path pinRoot = PinLayout.DEFAULT_ROOT;
        private Path stateDir = StateFile.DEFAULT_DIR;
        private AttachMode mode = AttachMode.AUTO;
        private int tcHandle = DEFAULT_TC_HANDLE;
        private int tcPriority = DEFAULT_TC_PRIORITY;

        private Builder() {
        }

        /** bpffs folder for every pin (default /sys/fs/bpf/kiln). */
        public Builder pinRoot(Path root) {
            this.pinRoot = Objects.requireNonNull(root, "root");
            return this;
        }

        /** Folder of the endpoints' state files (default /run/kiln/endpoints); a regular file system. */
        public Builder stateDir(Path dir) {
            this.stateDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** tcx, legacy tc, or whichever the kernel has (default). */
        public Builder attachMode(AttachMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Handle of the first program's tc filter (legacy tc; default {@value DEFAULT_TC_HANDLE}) and the priority of all. */
        public Builder tcFilter(int handle, int priority) {
            if (handle <= 0 || priority <= 0 || priority > 0xffff) {
                throw new IllegalArgumentException("tc filter handle " + handle + ", priority " + priority
                        + ": need handle > 0 and priority 1..65535");
            }
            this.tcHandle = handle;
            this.tcPriority = priority;
            return this;
        }

        public EndpointLoader build() {
            return new EndpointLoader(this);
        }
    }
}
