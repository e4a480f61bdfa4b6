package io.kiln.runtime;

import io.kiln.host.Netns;

import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.Direction;
import io.kiln.bpf.Features;
import io.kiln.bpf.ProgramMismatchException;
import io.kiln.bpf.TcFilter;
import io.kiln.runtime.internal.EndpointState;
import io.kiln.runtime.internal.Errors;
import io.kiln.host.Interfaces;
import io.kiln.runtime.internal.LiveHook;
import io.kiln.runtime.internal.PinTree;
import io.kiln.runtime.internal.StateFile;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class EndpointLoader {
    /** The tc filter handle of a template's first program; further programs take the next handles. */
    public static final int DEFAULT_TC_HANDLE = 0x4b1;
    public static final int DEFAULT_TC_PRIORITY = 1;

    private final PinLayout pins;
    private final StateFile states;
    private final Specializer specializer;
    private final AttachMode mode;
    private final int tcHandle;
    private final int tcPriority;
    private final Map<Integer, Object> locks = new ConcurrentHashMap<>();

    private EndpointLoader(Builder b) {
        this.pins = new PinLayout(b.pinRoot);
        this.states = new StateFile(b.stateDir);
        this.specializer = new Specializer(pins);
        this.mode = b.mode;
        this.tcHandle = b.tcHandle;
        this.tcPriority = b.tcPriority;
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
        Objects.requireNonNull(beforeAttach, "beforeAttach");
        synchronized (lock(endpoint.id())) {
            String prefix = endpoint.label() + ": ";
            specializer.ensureBpffs();
            if (states.exists(endpoint.id())) {
                throw new EndpointException(prefix + "already attached (state file " + states.path(endpoint.id())
                        + "); adopt it to swap its programs, or detach it first", true);
            }
            if (!PinTree.isEmpty(pins.linksDir(endpoint.id()))) {
                throw new EndpointException(prefix + "links are pinned under " + pins.linksDir(endpoint.id())
                        + " but there is no state file: an earlier attach did not finish; detach(" + endpoint.id()
                        + ") removes them", false);
            }
            boolean dirExisted = Files.exists(pins.endpointDir(endpoint.id()));
            // everything in the endpoint's namespace, in one thread: loading does not care where it runs
            return endpoint.namespace().call(() -> attachInside(object, endpoint, dirExisted, beforeAttach));
        }
    }

    private AttachedEndpoint attachInside(TemplateObject object, Endpoint endpoint, boolean dirExisted,
                                          Consumer<SpecializedEndpoint> beforeAttach) {
        String prefix = endpoint.label() + ": ";
        int ifindex = requireInterface(endpoint.interfaceName(), endpoint.namespace(), prefix);
        SpecializedEndpoint spec = specializer.specialize(object, endpoint);
        List<LiveHook> hooks = new ArrayList<>();
        boolean[] createdClsact = {false};
        try {
            beforeAttach.accept(spec);
            attachAll(spec, endpoint, ifindex, hooks, createdClsact);
            EndpointState state = stateOf(endpoint, object, ifindex, createdClsact[0], hooks, spec.mapPins());
            states.write(state);
            return new AttachedEndpoint(state, hooks, spec, false);
        } catch (RuntimeException e) {
            undo(hooks, ifindex, createdClsact[0], e);
            spec.close();
            if (!dirExisted) {
                try {
                    PinTree.delete(pins.endpointDir(endpoint.id()), endpoint.label());
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /** Fills {@code hooks} as it goes so that the caller can undo a partial attach. */
    private void attachAll(SpecializedEndpoint spec, Endpoint endpoint, int ifindex, List<LiveHook> hooks,
                           boolean[] createdClsact) {
        TemplateDescriptor t = spec.object().template();
        Attachment.Kind tcKind = tcKind();
        try {
            if (tcKind == Attachment.Kind.TC_FILTER && t.programs().stream().anyMatch(p -> p.hook() != Hook.XDP)) {
                createdClsact[0] = TcFilter.createClsact(ifindex);
            }
            for (int i = 0; i < t.programs().size(); i++) {
                ProgramDecl p = t.programs().get(i);
                hooks.add(attachOne(spec.program(p.name()), p, i, endpoint.id(), ifindex, tcKind));
            }
        } catch (RuntimeException e) {
            throw Errors.withContext(endpoint.label() + ": ", e);
        }
    }

    private LiveHook attachOne(BpfProgram program, ProgramDecl p, int index, int endpointId, int ifindex,
                               Attachment.Kind tcKind) {
        Attachment.Kind kind = p.hook() == Hook.XDP ? Attachment.Kind.XDP_LINK : tcKind;
        if (kind != Attachment.Kind.TC_FILTER) {
            try {
                Files.createDirectories(pins.linksDir(endpointId));
            } catch (IOException e) {
                throw new EndpointException("create pin folder " + pins.linksDir(endpointId) + ": " + e.getMessage(),
                        false, e);
            }
        }
        return LiveHook.attach(program, p.name(), p.hook(), kind, ifindex, pins.link(endpointId, p.name()),
                tcHandle + index, tcPriority);
    }

    private Attachment.Kind tcKind() {
        return switch (mode) {
            case TCX -> Attachment.Kind.TCX_LINK;
            case LEGACY_TC -> Attachment.Kind.TC_FILTER;
            case AUTO -> Features.tcxLinks() ? Attachment.Kind.TCX_LINK : Attachment.Kind.TC_FILTER;
        };
    }

    /** Takes off what an unfinished attach put on; failures are added to {@code cause}. */
    private static void undo(List<LiveHook> hooks, int ifindex, boolean createdClsact, RuntimeException cause) {
        for (LiveHook h : hooks) {
            try {
                h.detach();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        if (createdClsact) {
            try {
                removeClsactIfUnused(ifindex);
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
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
        Objects.requireNonNull(beforeSwap, "beforeSwap");
        synchronized (lock(attached.id())) {
            String prefix = endpoint.label() + ": ";
            if (endpoint.id() != attached.id() || !endpoint.interfaceName().equals(attached.interfaceName())
                    || !endpoint.namespace().equals(attached.namespace())) {
                throw new EndpointException(prefix + "swap: this is " + attached + ", not " + endpoint
                        + "; an endpoint keeps its id, interface and namespace (detach and attach to move it)", true);
            }
            SpecializedEndpoint[] loaded = new SpecializedEndpoint[1];
            int[] ifindex = new int[1];
            List<LiveHook> newHooks;
            try {
                newHooks = endpoint.namespace().call(() -> {
                    loaded[0] = specializer.specialize(object, endpoint);
                    try {
                        ifindex[0] = requireInterface(attached.interfaceName(), attached.namespace(), prefix);
                        beforeSwap.accept(loaded[0]);
                        Map<String, Integer> pending = new LinkedHashMap<>();
                        for (ProgramDecl p : object.template().programs()) {
                            pending.put(p.name(), loaded[0].program(p.name()).id());
                        }
                        states.writePending(attached.id(), pending);
                        return swapHooks(attached, loaded[0], ifindex[0], prefix);
                    } catch (RuntimeException e) {
                        loaded[0].close();
                        throw e;
                    }
                });
            } catch (RuntimeException e) {
                states.deletePending(attached.id()); // the hooks were put back (or never touched)
                throw e;
            }
            SpecializedEndpoint next = loaded[0];
            EndpointState old = attached.state();
            EndpointState state = stateOf(endpoint, object, ifindex[0], old.createdClsact(), newHooks, next.mapPins());
            SpecializedEndpoint previous = attached.update(state, newHooks, next);
            if (previous != null) {
                previous.close();
            }
            states.write(state);
            states.deletePending(attached.id());
        }
    }

    private List<LiveHook> swapHooks(AttachedEndpoint attached, SpecializedEndpoint next, int ifindex, String prefix) {
        List<LiveHook> current = attached.hooks();
        for (LiveHook h : current) {
            int running = h.runningProgramId();
            if (running != h.attachment().programId()) {
                throw new ProgramMismatchException(prefix + h.attachment().describe() + ": the hook "
                        + (running == 0 ? "is empty" : "runs program " + running) + ", not the program "
                        + h.attachment().programId() + " Kiln attached; something else changed it. Nothing was "
                        + "swapped; EndpointLoader.resync accepts what runs now, then a swap replaces it",
                        h.attachment().programId(), running);
            }
        }
        Map<String, LiveHook> byName = new LinkedHashMap<>();
        current.forEach(h -> byName.put(h.attachment().program(), h));
        List<LiveHook> result = new ArrayList<>();
        List<Runnable> rollback = new ArrayList<>();
        List<BpfProgram> previousPrograms = new ArrayList<>();
        TemplateDescriptor t = next.object().template();
        try {
            for (int i = 0; i < t.programs().size(); i++) {
                ProgramDecl p = t.programs().get(i);
                BpfProgram program = next.program(p.name());
                LiveHook h = byName.get(p.name());
                if (h != null && h.attachment().hook() == p.hook() && h.attachment().programId() != 0) {
                    BpfProgram before = BpfProgram.fromId(h.attachment().programId()); // kept alive for a rollback
                    previousPrograms.add(before);
                    h.replace(program);
                    rollback.add(() -> h.replace(before));
                    byName.remove(p.name());
                    result.add(h);
                } else if (h != null && h.attachment().hook() == p.hook()) {
                    byName.remove(p.name()); // empty after a resync: attach afresh
                    LiveHook fresh = LiveHook.reattach(h, program, ifindex);
                    rollback.add(fresh::detach);
                    result.add(fresh);
                } else {
                    LiveHook fresh = attachOne(program, p, i, attached.id(), ifindex, existingTcKind(current));
                    rollback.add(fresh::detach);
                    result.add(fresh);
                }
            }
        } catch (RuntimeException e) {
            for (int i = rollback.size() - 1; i >= 0; i--) {
                try {
                    rollback.get(i).run();
                } catch (RuntimeException r) {
                    e.addSuppressed(r);
                }
            }
            previousPrograms.forEach(BpfProgram::close);
            throw Errors.withContext(prefix, e);
        }
        previousPrograms.forEach(BpfProgram::close);
        for (LiveHook dropped : byName.values()) {
            dropped.detach(); // the new template no longer has this program (or moved it to another hook)
        }
        return result;
    }

    private Attachment.Kind existingTcKind(List<LiveHook> hooks) {
        for (LiveHook h : hooks) {
            if (h.attachment().kind() != Attachment.Kind.XDP_LINK) {
                return h.attachment().kind();
            }
        }
        return tcKind();
    }

    // ---- adopt, resync ----

    /**
     * Takes over an endpoint attached by another (perhaps exited) process, from its state file and
     * pins, without touching its hooks. {@link AttachedEndpoint#status()} then tells whether every
     * hook still runs what was recorded.
     */
    public AttachedEndpoint adopt(int endpointId) {
        synchronized (lock(endpointId)) {
            EndpointState s = states.read(endpointId).orElseThrow(() -> new EndpointException("endpoint " + endpointId
                    + ": not attached (no state file " + states.path(endpointId) + ")", true));
            // a deleted namespace took the interface and its hooks along; the pins can still be read anywhere
            Netns where = s.namespace().exists() ? s.namespace() : Netns.host();
            boolean gone = !s.namespace().exists();
            return where.call(() -> {
                int ifindex = gone ? 0 : Interfaces.ifindex(s.interfaceName());
                Map<String, Integer> pending = states.readPending(endpointId);
                List<LiveHook> hooks = new ArrayList<>();
                boolean finishedSwap = false;
                try {
                    for (Attachment a : s.attachments()) {
                        LiveHook hook = LiveHook.adopt(a, ifindex);
                        hooks.add(hook);
                        Integer swappedIn = pending.get(a.program());
                        if (!gone && swappedIn != null && swappedIn != a.programId()
                                && hook.runningProgramId() == swappedIn) {
                            // our own swap replaced this hook, then its process died before recording it
                            hook.acceptRunning();
                            finishedSwap = true;
                        }
                    }
                } catch (RuntimeException e) {
                    hooks.forEach(LiveHook::close);
                    throw Errors.withContext("endpoint " + endpointId + ": adopt: ", e);
                }
                List<Attachment> attachments = hooks.stream().map(LiveHook::attachment).toList();
                EndpointState adopted = new EndpointState(s.endpointId(), s.interfaceName(), s.namespace(), ifindex,
                        s.template(), s.variantKey(), s.objectDigest(), s.constantsDigest(), s.createdClsact(),
                        attachments, s.mapPins(), finishedSwap ? Instant.now() : s.updated());
                if (finishedSwap) {
                    states.write(adopted);
                }
                if (!pending.isEmpty()) {
                    states.deletePending(endpointId);
                }
                return new AttachedEndpoint(adopted, hooks, null, true);
            });
        }
    }

    /**
     * Accepts what runs on each hook now as what Kiln expects there (a hook found empty is attached
     * afresh by the next swap), records it, and returns the hooks as they were found. The way out
     * of a {@link ProgramMismatchException} once whoever changed the hook is dealt with.
     */
    public List<HookStatus> resync(AttachedEndpoint attached) {
        synchronized (lock(attached.id())) {
            List<HookStatus> found = attached.status();
            List<LiveHook> hooks = attached.hooks();
            attached.namespace().run(() -> hooks.forEach(LiveHook::acceptRunning));
            EndpointState s = attached.state();
            List<Attachment> now = hooks.stream().map(LiveHook::attachment).toList();
            EndpointState updated = new EndpointState(s.endpointId(), s.interfaceName(), s.namespace(), s.ifindex(),
                    s.template(), s.variantKey(), s.objectDigest(), s.constantsDigest(), s.createdClsact(), now,
                    s.mapPins(), Instant.now());
            attached.update(updated, hooks, null);
            states.write(updated);
            return found;
        }
    }

    // ---- detach, uninstall ----

    /**
     * Removes everything Kiln made for the endpoint: its links, its tc filters (and the clsact qdisc
     * if Kiln created it and no other filter uses it), its pins (per-endpoint maps lose their
     * entries) and its state file. Node maps stay. Goes on past a failure and reports the first,
     * with the others suppressed.
     */
    public void detach(AttachedEndpoint attached) {
        synchronized (lock(attached.id())) {
            String label = "endpoint " + attached.id();
            List<RuntimeException> failures = new ArrayList<>();
            EndpointState s = attached.state();
            Netns where = attached.namespace().exists() ? attached.namespace() : Netns.host();
            boolean gone = !attached.namespace().exists();
            try {
                where.run(() -> {
                    if (gone) {
                        attached.hooks().forEach(LiveHook::close); // defunct links: removing their pins frees them
                        return;
                    }
                    for (LiveHook h : attached.hooks()) {
                        try {
                            h.detach();
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                    if (s.createdClsact()) {
                        try {
                            removeClsactIfUnused(Interfaces.ifindex(s.interfaceName()));
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                });
            } catch (RuntimeException e) {
                failures.add(e); // e.g. the namespace is gone, and the hooks with it
            }
            attached.close();
            removePinsAndState(attached.id(), label, failures);
            throwFirst(label + ": detach: ", failures);
        }
    }

    /** Detaches an endpoint by id: adopts it from its state file, or without one removes its pins. */
    public void detach(int endpointId) {
        if (states.exists(endpointId)) {
            detach(adopt(endpointId));
            return;
        }
        synchronized (lock(endpointId)) {
            List<RuntimeException> failures = new ArrayList<>();
            removePinsAndState(endpointId, "endpoint " + endpointId, failures);
            throwFirst("endpoint " + endpointId + ": detach: ", failures);
        }
    }

    /**
     * Removes the node maps' pins, refusing while any endpoint is attached (they share them). The
     * maps go when the last program using them goes.
     */
    public void removeNodeMaps() {
        List<Integer> ids = states.endpointIds();
        if (!ids.isEmpty()) {
            throw new EndpointException("remove node maps: " + ids.size() + " endpoint(s) still use them (" + ids
                    + "); detach them first", true);
        }
        PinTree.delete(pins.nodeDir(), "remove node maps");
    }

    /** Detaches every endpoint with a state file, then removes every Kiln pin under the root (node maps too). */
    public void uninstall() {
        List<RuntimeException> failures = new ArrayList<>();
        for (int id : states.endpointIds()) {
            try {
                detach(id);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        try {
            PinTree.delete(pins.root(), "uninstall");
        } catch (RuntimeException e) {
            failures.add(e);
        }
        throwFirst("uninstall: ", failures);
    }

    private void removePinsAndState(int endpointId, String label, List<RuntimeException> failures) {
        try {
            PinTree.delete(pins.endpointDir(endpointId), label);
        } catch (RuntimeException e) {
            failures.add(e);
        }
        try {
            states.delete(endpointId);
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    /** Deletes the clsact qdisc Kiln created, unless a filter (anyone's) is still on it. */
    private static void removeClsactIfUnused(int ifindex) {
        if (ifindex == 0) {
            return; // the interface is gone, and its qdisc with it
        }
        if (TcFilter.list(ifindex, Direction.INGRESS).isEmpty() && TcFilter.list(ifindex, Direction.EGRESS).isEmpty()) {
            TcFilter.destroyClsact(ifindex);
        }
    }

    private static void throwFirst(String prefix, List<RuntimeException> failures) {
        if (failures.isEmpty()) {
            return;
        }
        RuntimeException first = failures.get(0);
        RuntimeException e = first.getMessage() != null && first.getMessage().startsWith(prefix.substring(0,
                prefix.indexOf(':') + 1)) ? first : Errors.withContext(prefix, first);
        for (RuntimeException other : failures.subList(1, failures.size())) {
            e.addSuppressed(other);
        }
        throw e;
    }

    // ---- helpers ----

    private static int requireInterface(String name, Netns ns, String prefix) {
        int ifindex = Interfaces.ifindex(name);
        if (ifindex == 0) {
            throw new EndpointException(prefix + "no interface " + name + " in network namespace " + ns, true);
        }
        return ifindex;
    }

    private static EndpointState stateOf(Endpoint endpoint, TemplateObject object, int ifindex, boolean createdClsact,
                                         List<LiveHook> hooks, Map<String, Path> mapPins) {
        return new EndpointState(endpoint.id(), endpoint.interfaceName(), endpoint.namespace(), ifindex,
                object.template().name(), object.variantKey().orElse(null), object.digest(),
                endpoint.constantsDigest(), createdClsact, hooks.stream().map(LiveHook::attachment).toList(), mapPins,
                Instant.now());
    }

    private Object lock(int endpointId) {
        return locks.computeIfAbsent(endpointId, id -> new Object());
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
