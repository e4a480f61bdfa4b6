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
import java.util.function.Consumer;

/**
 * The hook lifecycle behind {@link EndpointLoader}: attach, swap and detach of one endpoint's
 * programs. What the kernel and the state file say is assumed true here; taking over from another
 * process is {@link EndpointRecovery}'s job.
 */
final class HookLifecycle {
    private final PinLayout pins;
    private final StateFile states;
    private final Specializer specializer;
    private final AttachMode mode;
    private final int tcHandle;
    private final int tcPriority;
    private final EndpointLocks locks;

    HookLifecycle(PinLayout pins, StateFile states, Specializer specializer, AttachMode mode, int tcHandle,
                  int tcPriority, EndpointLocks locks) {
        this.pins = pins;
        this.states = states;
        this.specializer = specializer;
        this.mode = mode;
        this.tcHandle = tcHandle;
        this.tcPriority = tcPriority;
        this.locks = locks;
    }

    /** See {@link EndpointLoader#attach(TemplateObject, Endpoint, Consumer)}. */
    AttachedEndpoint attach(TemplateObject object, Endpoint endpoint, Consumer<SpecializedEndpoint> beforeAttach) {
        return attach(object, endpoint, beforeAttach, HookPlacement.LAST);
    }

    /** {@link #attach(TemplateObject, Endpoint, Consumer)} with tcx links placed by {@code placement}. */
    AttachedEndpoint attach(TemplateObject object, Endpoint endpoint, Consumer<SpecializedEndpoint> beforeAttach,
                            HookPlacement placement) {
        Objects.requireNonNull(beforeAttach, "beforeAttach");
        Objects.requireNonNull(placement, "placement");
        synchronized (locks.of(endpoint.id())) {
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
            return endpoint.namespace().call(() -> attachInside(object, endpoint, dirExisted, beforeAttach,
                    placement));
        }
    }

    /**
     * Attaches programs someone else loaded and keeps loaded (tier 0's, shared by many endpoints)
     * at the endpoint's hooks, with pins and a state file as {@link #attach} makes them: the result
     * is swapped to the endpoint's own programs by {@link #swap} like any attached endpoint.
     * {@code mapPins} are the endpoint's pinned maps, recorded in its state.
     */
    AttachedEndpoint attachShared(TemplateObject object, Endpoint endpoint, java.util.function.Function<String, BpfProgram> programs,
                                  Map<String, Path> mapPins) {
        synchronized (locks.of(endpoint.id())) {
            String prefix = endpoint.label() + ": ";
            specializer.ensureBpffs();
            if (states.exists(endpoint.id())) {
                throw new EndpointException(prefix + "already attached (state file " + states.path(endpoint.id())
                        + "); detach it first", true);
            }
            if (!PinTree.isEmpty(pins.linksDir(endpoint.id()))) {
                throw new EndpointException(prefix + "links are pinned under " + pins.linksDir(endpoint.id())
                        + " but there is no state file: an earlier attach did not finish; detach(" + endpoint.id()
                        + ") removes them", false);
            }
            return endpoint.namespace().call(() -> {
                int ifindex = requireInterface(endpoint.interfaceName(), endpoint.namespace(), prefix);
                List<LiveHook> hooks = new ArrayList<>();
                boolean[] createdClsact = {false};
                try {
                    attachAll(object.template(), programs, endpoint, ifindex, hooks, createdClsact, HookPlacement.LAST);
                    EndpointState state = stateOf(endpoint, object, ifindex, createdClsact[0], hooks, mapPins);
                    states.write(state);
                    return new AttachedEndpoint(state, hooks, null, false);
                } catch (RuntimeException e) {
                    undo(hooks, ifindex, createdClsact[0], e);
                    throw e;
                }
            });
        }
    }

    private AttachedEndpoint attachInside(TemplateObject object, Endpoint endpoint, boolean dirExisted,
                                          Consumer<SpecializedEndpoint> beforeAttach, HookPlacement placement) {
        String prefix = endpoint.label() + ": ";
        int ifindex = requireInterface(endpoint.interfaceName(), endpoint.namespace(), prefix);
        SpecializedEndpoint spec = specializer.specialize(object, endpoint);
        List<LiveHook> hooks = new ArrayList<>();
        boolean[] createdClsact = {false};
        try {
            beforeAttach.accept(spec);
            attachAll(spec.object().template(), spec::program, endpoint, ifindex, hooks, createdClsact, placement);
            spec.commitMaps(() -> programsOnOtherHooks(endpoint.id()));
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

    /**
     * The programs on every other endpoint's hooks, by their state files: what may still use a
     * node map a migration replaced (a torn or unreadable state counts as nothing: its endpoint is
     * being written now, by a swap whose own commit catches up).
     */
    java.util.Collection<Integer> programsOnOtherHooks(int self) {
        List<Integer> ids = new ArrayList<>();
        for (int id : states.endpointIds()) {
            if (id == self) {
                continue;
            }
            try {
                states.read(id).ifPresent(s -> s.attachments().forEach(a -> ids.add(a.programId())));
            } catch (RuntimeException e) {
                // see above
            }
        }
        return ids;
    }

    /** Fills {@code hooks} as it goes so that the caller can undo a partial attach. */
    private void attachAll(TemplateDescriptor t, java.util.function.Function<String, BpfProgram> programs,
                           Endpoint endpoint, int ifindex, List<LiveHook> hooks, boolean[] createdClsact,
                           HookPlacement placement) {
        Attachment.Kind tcKind = tcKind();
        try {
            if (t.programs().stream().anyMatch(p -> p.hook() != Hook.XDP)) {
                // With tcx too: creating the qdisc later (a move to legacy tc) drops what the interface sends
                // meanwhile (the kernel takes its transmit queues down while it grafts the qdisc), so it is made
                // now, when the endpoint is new (docs/agent.md, "Known loss"). tcx itself does not need it.
                try {
                    createdClsact[0] = TcFilter.createClsact(ifindex);
                } catch (RuntimeException e) {
                    if (tcKind == Attachment.Kind.TC_FILTER) {
                        throw e;
                    } // a kernel without clsact still runs tcx; a move to legacy tc reports the failure then
                }
            }
            for (int i = 0; i < t.programs().size(); i++) {
                ProgramDecl p = t.programs().get(i);
                hooks.add(attachOne(programs.apply(p.name()), p, i, endpoint.id(), ifindex, tcKind, placement));
            }
        } catch (RuntimeException e) {
            throw Errors.withContext(endpoint.label() + ": ", e);
        }
    }

    private LiveHook attachOne(BpfProgram program, ProgramDecl p, int index, int endpointId, int ifindex,
                               Attachment.Kind tcKind, HookPlacement placement) {
        Attachment.Kind kind = p.hook() == Hook.XDP ? Attachment.Kind.XDP_LINK : tcKind;
        if (kind != Attachment.Kind.TC_FILTER) {
            try {
                Files.createDirectories(pins.linksDir(endpointId));
            } catch (IOException e) {
                throw new EndpointException("create pin folder " + pins.linksDir(endpointId) + ": " + e.getMessage(),
                        false, e);
            }
        }
        int before = kind == Attachment.Kind.TCX_LINK ? placement.beforeProgram(p.hook()) : 0;
        return LiveHook.attach(program, p.name(), p.hook(), kind, ifindex, pins.link(endpointId, p.name()),
                tcHandle + index, tcPriority, before);
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

    /** See {@link EndpointLoader#swap(AttachedEndpoint, TemplateObject, Endpoint, Consumer)}. */
    void swap(AttachedEndpoint attached, TemplateObject object, Endpoint endpoint,
                     Consumer<SpecializedEndpoint> beforeSwap) {
        swap(attached, object, endpoint, beforeSwap, HookPlacement.LAST);
    }

    /** {@link #swap(AttachedEndpoint, TemplateObject, Endpoint, Consumer)}; a hook attached afresh is placed by {@code placement}. */
    void swap(AttachedEndpoint attached, TemplateObject object, Endpoint endpoint,
              Consumer<SpecializedEndpoint> beforeSwap, HookPlacement placement) {
        Objects.requireNonNull(beforeSwap, "beforeSwap");
        synchronized (locks.of(attached.id())) {
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
                        long h0 = System.nanoTime();
                        List<LiveHook> swapped = swapHooks(attached, loaded[0], ifindex[0], prefix, placement);
                        loaded[0].phase("hooks", System.nanoTime() - h0);
                        return swapped;
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
            TestHalt.at("swap-hooked"); // tests only: a process killed between the hook change and the commit
            RuntimeException commitFailure = null;
            try {
                next.commitMaps(() -> programsOnOtherHooks(attached.id())); // the new programs run: migrated maps take over their pins
            } catch (RuntimeException e) {
                commitFailure = Errors.withContext(prefix, e);
            }
            EndpointState old = attached.state();
            EndpointState state = stateOf(endpoint, object, ifindex[0], old.createdClsact(), newHooks, next.mapPins());
            SpecializedEndpoint previous = attached.update(state, newHooks, next);
            if (previous != null) {
                long c0 = System.nanoTime();
                previous.close();
                next.phase("release", System.nanoTime() - c0);
            }
            states.write(state);
            states.deletePending(attached.id());
            if (commitFailure != null) {
                throw commitFailure;
            }
        }
    }

    private List<LiveHook> swapHooks(AttachedEndpoint attached, SpecializedEndpoint next, int ifindex, String prefix,
                                     HookPlacement placement) {
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
                    LiveHook fresh = LiveHook.reattach(h, program, ifindex,
                            h.attachment().kind() == Attachment.Kind.TCX_LINK ? placement.beforeProgram(p.hook()) : 0);
                    rollback.add(fresh::detach);
                    result.add(fresh);
                } else {
                    LiveHook fresh = attachOne(program, p, i, attached.id(), ifindex, existingTcKind(current), placement);
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

    /**
     * See {@link EndpointLoader#moveTcHooks(AttachedEndpoint)}: each tc hook of another kind than this
     * loader's gets the program it runs attached the other way first, the state file records the new
     * attachments, then the old ones are taken off. While both are on a hook the tcx link runs first and
     * its program's verdict is final (a program that passes a packet on with TCX_NEXT would run twice),
     * so the move is for the dataplane's programs, which end every packet with a verdict. A clsact qdisc
     * Kiln created stays after a move to tcx (empty; detach removes it).
     */
    boolean moveTcHooks(AttachedEndpoint attached) {
        return moveTcHooks(attached, step -> { });
    }

    /**
     * {@link #moveTcHooks(AttachedEndpoint)} telling {@code atStep} where it is: {@code "attached"} once the
     * new kind holds every moved hook (the state file still records the old one), {@code "recorded"} once
     * the state file records the new kind (the old one is still on). Tests stop the process there.
     */
    boolean moveTcHooks(AttachedEndpoint attached, Consumer<String> atStep) {
        Objects.requireNonNull(atStep, "atStep");
        synchronized (locks.of(attached.id())) {
            Attachment.Kind want = tcKind();
            String prefix = "endpoint " + attached.id() + ": move hooks to " + want.label() + ": ";
            List<LiveHook> current = attached.hooks();
            if (current.stream().noneMatch(h -> h.attachment().kind() != Attachment.Kind.XDP_LINK
                    && h.attachment().kind() != want)) {
                return false;
            }
            EndpointState old = attached.state();
            return attached.namespace().call(() -> {
                int ifindex = requireInterface(attached.interfaceName(), attached.namespace(), prefix);
                for (LiveHook h : current) {
                    int running = h.runningProgramId();
                    if (running != h.attachment().programId()) {
                        throw new ProgramMismatchException(prefix + h.attachment().describe() + ": the hook "
                                + (running == 0 ? "is empty" : "runs program " + running) + ", not the program "
                                + h.attachment().programId() + " Kiln attached; nothing was moved",
                                h.attachment().programId(), running);
                    }
                }
                boolean madeClsact = false;
                List<LiveHook> added = new ArrayList<>();
                List<LiveHook> result = new ArrayList<>();
                List<LiveHook> leaving = new ArrayList<>();
                try {
                    if (want == Attachment.Kind.TC_FILTER) {
                        madeClsact = TcFilter.createClsact(ifindex);
                    }
                    for (int i = 0; i < current.size(); i++) {
                        LiveHook h = current.get(i);
                        Attachment a = h.attachment();
                        if (a.kind() == Attachment.Kind.XDP_LINK || a.kind() == want) {
                            result.add(h);
                            continue;
                        }
                        int handle = tcHandle + i;
                        removeUnrecorded(want, attached.id(), a, ifindex, handle);
                        LiveHook fresh;
                        try (BpfProgram program = BpfProgram.fromId(a.programId())) {
                            fresh = LiveHook.attach(program, a.program(), a.hook(), want, ifindex,
                                    want == Attachment.Kind.TC_FILTER ? null : pins.link(attached.id(), a.program()),
                                    handle, tcPriority);
                        }
                        added.add(fresh);
                        result.add(fresh);
                        leaving.add(h);
                    }
                } catch (RuntimeException e) {
                    undo(added, ifindex, madeClsact, e);
                    throw Errors.withContext(prefix, e);
                }
                atStep.accept("attached");
                // both kinds hold the same program now; record the new one before the old one goes
                EndpointState moved = new EndpointState(old.endpointId(), old.interfaceName(), old.namespace(), ifindex,
                        old.template(), old.variantKey(), old.objectDigest(), old.constantsDigest(),
                        old.createdClsact() || madeClsact,
                        result.stream().map(LiveHook::attachment).toList(), old.mapPins(), Instant.now());
                states.write(moved);
                attached.update(moved, result, null);
                atStep.accept("recorded");
                List<RuntimeException> failures = new ArrayList<>();
                for (LiveHook h : leaving) {
                    try {
                        h.detach();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
                // a clsact qdisc Kiln made stays (recorded, removed by detach): creating or removing the qdisc
                // while packets flow was seen to lose one now and then, the empty qdisc behind tcx costs nothing
                throwFirst(prefix, failures);
                return true;
            });
        }
    }

    /**
     * An attachment of the kind a move is about to make that the state file does not record: left by a
     * move cut short (the process died between attaching the new kind and recording it). It runs the
     * endpoint's program too; it goes so that the move can attach its own.
     */
    private void removeUnrecorded(Attachment.Kind want, int endpointId, Attachment a, int ifindex, int handle) {
        if (want == Attachment.Kind.TC_FILTER) {
            Direction d = LiveHook.direction(a.hook());
            java.util.Optional<TcFilter> there = TcFilter.find(ifindex, d, handle, tcPriority);
            if (there.isPresent() && there.get().programId() != a.programId()) {
                throw new EndpointException("the " + label(d) + " tc filter at handle 0x" + Integer.toHexString(handle)
                        + ", priority " + tcPriority + " (where Kiln attaches) runs program " + there.get().programId()
                        + ", not the endpoint's " + a.program() + " (program " + a.programId() + "): someone else's; "
                        + "nothing was moved", false);
            }
            there.ifPresent(TcFilter::detach); // our own program: a move cut short left it
        } else if (Files.exists(pins.link(endpointId, a.program()))) {
            try (io.kiln.bpf.BpfLink stale = io.kiln.bpf.BpfLink.openPinned(pins.link(endpointId, a.program()))) {
                if (stale.info().ifindex() != 0) {
                    stale.detach();
                }
            }
            try {
                Files.deleteIfExists(pins.link(endpointId, a.program()));
            } catch (IOException e) {
                throw new EndpointException("remove link pin " + pins.link(endpointId, a.program()) + ": "
                        + e.getMessage(), false, e);
            }
        } else {
            try {
                Files.createDirectories(pins.linksDir(endpointId));
            } catch (IOException e) {
                throw new EndpointException("create pin folder " + pins.linksDir(endpointId) + ": " + e.getMessage(),
                        false, e);
            }
        }
    }

    /**
     * See {@link EndpointLoader#removeStrayTcHooks(AttachedEndpoint)}: for each tc hook that runs the
     * program its state records, an attachment of the other kind running the same program (a tc filter at
     * this loader's handle and priority beside a recorded tcx link; a tcx link pinned at the hook's link pin
     * beside a recorded tc filter) is taken off; a link pin whose link is no longer on any interface goes too.
     */
    List<String> removeStrayTcHooks(AttachedEndpoint attached) {
        synchronized (locks.of(attached.id())) {
            if (!attached.namespace().exists()) {
                return List.of();
            }
            String prefix = "endpoint " + attached.id() + ": ";
            return attached.namespace().call(() -> {
                int ifindex = io.kiln.host.Interfaces.ifindex(attached.interfaceName());
                List<String> removed = new ArrayList<>();
                if (ifindex == 0) {
                    return removed;
                }
                List<LiveHook> current = attached.hooks();
                try {
                    for (int i = 0; i < current.size(); i++) {
                        LiveHook h = current.get(i);
                        Attachment a = h.attachment();
                        if (a.kind() == Attachment.Kind.XDP_LINK || a.programId() == 0
                                || h.runningProgramId() != a.programId()) {
                            continue; // not intact: what runs there is the reload's business, not this
                        }
                        if (a.kind() == Attachment.Kind.TCX_LINK) {
                            Direction d = LiveHook.direction(a.hook());
                            java.util.Optional<TcFilter> f = TcFilter.find(ifindex, d, tcHandle + i, tcPriority);
                            if (f.isPresent() && f.get().programId() == a.programId()) {
                                f.get().detach();
                                removed.add("tc filter " + label(d) + " handle 0x" + Integer.toHexString(tcHandle + i)
                                        + " priority " + tcPriority + " (program " + a.programId() + ")");
                            }
                        } else {
                            Path pin = pins.link(attached.id(), a.program());
                            if (!Files.exists(pin)) {
                                continue;
                            }
                            try (io.kiln.bpf.BpfLink stale = io.kiln.bpf.BpfLink.openPinned(pin)) {
                                io.kiln.bpf.LinkInfo info = stale.info();
                                if (info.ifindex() != 0 && info.programId() != a.programId()) {
                                    continue; // not the endpoint's program: not a move's leftover, left alone
                                }
                                if (info.ifindex() != 0) {
                                    stale.detach();
                                }
                            }
                            Files.deleteIfExists(pin);
                            removed.add("tcx link pinned at " + pin + " (program " + a.programId() + ")");
                        }
                    }
                } catch (IOException e) {
                    throw new EndpointException(prefix + "remove a link pin: " + e.getMessage(), false, e);
                } catch (RuntimeException e) {
                    throw Errors.withContext(prefix + "remove what a move cut short left: ", e);
                }
                return removed;
            });
        }
    }

    private static String label(Direction d) {
        return d.name().toLowerCase(java.util.Locale.ROOT);
    }

    private Attachment.Kind existingTcKind(List<LiveHook> hooks) {
        for (LiveHook h : hooks) {
            if (h.attachment().kind() != Attachment.Kind.XDP_LINK) {
                return h.attachment().kind();
            }
        }
        return tcKind();
    }

    /** See {@link EndpointLoader#detach(AttachedEndpoint)}. */
    void detach(AttachedEndpoint attached) {
        synchronized (locks.of(attached.id())) {
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

    void removePinsAndState(int endpointId, String label, List<RuntimeException> failures) {
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
        try {
            new io.kiln.runtime.internal.LayoutRecords(states.dir().resolve(EndpointLoader.LAYOUTS))
                    .deleteEndpoint(endpointId);
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

    static void throwFirst(String prefix, List<RuntimeException> failures) {
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
}
