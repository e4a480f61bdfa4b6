package io.kiln.runtime;

import io.kiln.runtime.internal.Errors;
import io.kiln.template.Hook;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Programs of other templates that run on an endpoint's hooks <em>before</em> its dataplane, in a
 * stated order: a guard, a rate limit, a tracer. Each chained template is specialized with its own
 * constants and kept like the dataplane's programs: swapped atomically, adopted by a new process,
 * removed on detach. A chained program passes a packet on by returning {@code TCX_NEXT} /
 * {@code TC_ACT_UNSPEC} (both -1) and ends it with a drop; any other verdict is final too.
 *
 * <p>Ordering: with tcx, a new link is created with {@code BPF_F_BEFORE} relative to the program
 * that must follow it (the next chained program on that hook, else the dataplane's); with legacy
 * tc, position {@code p} is a filter at priority {@code p + 1}, below the dataplane's (default
 * {@link EndpointLoader#DEFAULT_TC_PRIORITY}). A link update keeps a link's place, so a swap never
 * reorders.
 *
 * <p>Each position is kept as an endpoint of its own loader: pins under
 * {@code ROOT/chain/POSITION/endpoints/ID/}, state in {@code STATE/chain/POSITION/ID.json}. A
 * chained template's node-scoped maps are shared by the endpoints chaining it at that position.
 */
public final class PolicyChain {
    /** Positions 0..7. */
    public static final int MAX_LENGTH = 8;
    private static final int TC_HANDLE = 0x4c0;

    private final EndpointLoader dataplane;

    public PolicyChain(EndpointLoader dataplane) {
        this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    }

    /**
     * One chained template for one endpoint.
     *
     * @param object    the chained template's object
     * @param constants its endpoint constants, encoded (see {@link Endpoint#constants()})
     */
    public record Member(TemplateObject object, Map<String, byte[]> constants) {
        public Member {
            Objects.requireNonNull(object, "object");
            constants = Map.copyOf(constants);
        }
    }

    /**
     * Brings the chain of {@code dataplaneEndpoint} to {@code members}, in order, before its
     * dataplane programs: a member at a position that runs the same template is swapped atomically
     * (nothing happens if object and constants are unchanged); another template at a position is
     * detached and the new one attached; positions past the end are detached. Goes on past a failed
     * position (that position keeps what ran there, or stays empty) and throws the first failure at
     * the end; the dataplane is never touched.
     *
     * @param beforeAttach gets each member's loaded programs and maps before its hooks are touched
     * @return the chain as it runs now, one handle per position (the caller closes them)
     */
    public List<AttachedEndpoint> apply(AttachedEndpoint dataplaneEndpoint, List<Member> members,
                                        Consumer<SpecializedEndpoint> beforeAttach) {
        String prefix = "endpoint " + dataplaneEndpoint.id() + ": chain: ";
        if (members.size() > MAX_LENGTH) {
            throw new EndpointException(prefix + members.size() + " templates; at most " + MAX_LENGTH, true);
        }
        Attachment.Kind kind = tcKind(dataplaneEndpoint);
        int dpPriority = dataplaneEndpoint.attachments().stream().filter(a -> a.kind() == Attachment.Kind.TC_FILTER)
                .mapToInt(Attachment::tcPriority).min().orElse(Integer.MAX_VALUE);
        if (kind == Attachment.Kind.TC_FILTER && dpPriority <= members.size()) {
            throw new EndpointException(prefix + "the dataplane's tc filters run at priority " + dpPriority
                    + "; " + members.size() + " chained template(s) need priorities 1.." + members.size()
                    + " below it. Attach the dataplane at a higher priority (default "
                    + EndpointLoader.DEFAULT_TC_PRIORITY + ")", true);
        }
        int id = dataplaneEndpoint.id();
        AttachedEndpoint[] live = new AttachedEndpoint[MAX_LENGTH];
        List<RuntimeException> failures = new ArrayList<>();
        for (int p = 0; p < MAX_LENGTH; p++) {
            EndpointLoader at = loaderAt(p, kind);
            if (!at.endpointIds().contains(id)) {
                continue;
            }
            try {
                AttachedEndpoint a = at.adopt(id);
                if (p >= members.size() || a.attachments().stream().anyMatch(x -> x.kind() != kind && x.hook() != Hook.XDP)) {
                    at.detach(a); // dropped from the spec, or attached the other way (the attach mode changed)
                } else {
                    live[p] = a;
                }
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        // last to first: each new link goes right before the program that must follow it
        for (int p = members.size() - 1; p >= 0; p--) {
            Member m = members.get(p);
            EndpointLoader at = loaderAt(p, kind);
            Endpoint endpoint = new Endpoint(id, dataplaneEndpoint.interfaceName(), m.constants(),
                    dataplaneEndpoint.namespace());
            int position = p;
            HookPlacement placement = hook -> nextProgram(live, position, dataplaneEndpoint, hook);
            try {
                AttachedEndpoint a = live[p];
                if (a != null && a.template().equals(m.object().template().name())) {
                    if (!a.objectDigest().equals(m.object().digest())
                            || !a.constantsDigest().equals(endpoint.constantsDigest()) || !a.isIntact()) {
                        if (!a.isIntact()) {
                            at.resync(a); // a hook lost (interface re-created): the swap attaches it again
                        }
                        at.hooks().swap(a, m.object(), endpoint, beforeAttach, placement);
                    }
                    continue;
                }
                if (a != null) {
                    live[p] = null;
                    at.detach(a);
                }
                live[p] = at.hooks().attach(m.object(), endpoint, beforeAttach, placement);
            } catch (RuntimeException e) {
                failures.add(at(id, p, m.object().template().name(), e));
            }
        }
        List<AttachedEndpoint> out = new ArrayList<>();
        Arrays.stream(live).filter(Objects::nonNull).forEach(out::add);
        if (!failures.isEmpty()) {
            out.forEach(AttachedEndpoint::close);
            HookLifecycle.throwFirst(prefix, failures);
        }
        return out;
    }

    /** {@code endpoint 12: chain[1] (template syn_guard): REST OF THE MESSAGE}, of the same exception type. */
    private static RuntimeException at(int id, int position, String template, RuntimeException e) {
        String endpoint = "endpoint " + id + ": ";
        String m = String.valueOf(e.getMessage());
        return Errors.withMessage(endpoint + "chain[" + position + "] (template " + template + "): "
                + (m.startsWith(endpoint) ? m.substring(endpoint.length()) : m), e);
    }

    /** {@link #apply(AttachedEndpoint, List, Consumer)} with nothing to do between load and attach. */
    public List<AttachedEndpoint> apply(AttachedEndpoint dataplaneEndpoint, List<Member> members) {
        return apply(dataplaneEndpoint, members, loaded -> { });
    }

    /** The chain a process left for endpoint {@code endpointId}, in order (the caller closes the handles). */
    public List<AttachedEndpoint> adopt(int endpointId) {
        return new ArrayList<>(adoptByPosition(endpointId).values());
    }

    /** {@link #adopt(int)} by chain position. */
    public java.util.SortedMap<Integer, AttachedEndpoint> adoptByPosition(int endpointId) {
        java.util.SortedMap<Integer, AttachedEndpoint> out = new java.util.TreeMap<>();
        for (int p = 0; p < MAX_LENGTH; p++) {
            EndpointLoader at = loaderAt(p, Attachment.Kind.TCX_LINK); // adopt and detach read the kind from state
            if (at.endpointIds().contains(endpointId)) {
                out.put(p, at.adopt(endpointId));
            }
        }
        return out;
    }

    /** Removes the endpoint's whole chain (links, tc filters, pins, state); what is gone already is fine. */
    public void detach(int endpointId) {
        List<RuntimeException> failures = new ArrayList<>();
        for (int p = 0; p < MAX_LENGTH; p++) {
            EndpointLoader at = loaderAt(p, Attachment.Kind.TCX_LINK);
            if (at.endpointIds().contains(endpointId) || java.nio.file.Files.exists(at.pins().endpointDir(endpointId))) {
                try {
                    at.detach(endpointId);
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
        }
        HookLifecycle.throwFirst("endpoint " + endpointId + ": chain: detach: ", failures);
    }

    /** Detaches every endpoint's chain (before {@link EndpointLoader#uninstall()}: a chain's tc filters are not pins). */
    public void uninstall() {
        List<RuntimeException> failures = new ArrayList<>();
        for (int p = 0; p < MAX_LENGTH; p++) {
            EndpointLoader at = loaderAt(p, Attachment.Kind.TCX_LINK);
            for (int id : at.endpointIds()) {
                try {
                    at.detach(id);
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
        }
        HookLifecycle.throwFirst("chain: uninstall: ", failures);
    }

    /** The loader keeping position {@code p} of every endpoint's chain. */
    public EndpointLoader loaderAt(int p, Attachment.Kind kind) {
        if (p < 0 || p >= MAX_LENGTH) {
            throw new IllegalArgumentException("chain position " + p + ": 0.." + (MAX_LENGTH - 1));
        }
        return EndpointLoader.builder()
                .pinRoot(dataplane.pins().root().resolve("chain").resolve(Integer.toString(p)))
                .stateDir(chainStateDir(p))
                .attachMode(kind == Attachment.Kind.TC_FILTER ? AttachMode.LEGACY_TC : AttachMode.TCX)
                .tcFilter(TC_HANDLE + 16 * p, p + 1)
                .build();
    }

    private Path chainStateDir(int p) {
        return dataplane.stateDir().resolve("chain").resolve(Integer.toString(p));
    }

    private static Attachment.Kind tcKind(AttachedEndpoint dp) {
        for (Attachment a : dp.attachments()) {
            if (a.kind() != Attachment.Kind.XDP_LINK) {
                return a.kind();
            }
        }
        return Attachment.Kind.TCX_LINK;
    }

    /** The program that must run right after position {@code p} at {@code hook}: a later member's, else the dataplane's. */
    private static int nextProgram(AttachedEndpoint[] live, int p, AttachedEndpoint dp, Hook hook) {
        for (int q = p + 1; q < live.length; q++) {
            if (live[q] != null) {
                for (Attachment a : live[q].attachments()) {
                    if (a.hook() == hook && a.programId() != 0) {
                        return a.programId();
                    }
                }
            }
        }
        for (Attachment a : dp.attachments()) {
            if (a.hook() == hook && a.programId() != 0) {
                return a.programId();
            }
        }
        return 0;
    }
}
