package io.kiln.runtime;

import io.kiln.host.Netns;

import io.kiln.bpf.BpfMap;
import io.kiln.runtime.internal.EndpointState;
import io.kiln.runtime.internal.LiveHook;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An endpoint whose programs run on its interface, attached by this process or adopted from the
 * pins and state file another one left. Change it through {@link EndpointLoader} ({@code swap},
 * {@code resync}, {@code detach}). {@link #close()} lets go of this process's handles only: the
 * programs stay attached (their links are pinned, tc filters need no holder).
 */
public final class AttachedEndpoint implements AutoCloseable {
    private EndpointState state;
    private List<LiveHook> hooks;
    private SpecializedEndpoint current; // null when adopted, until the first swap
    private final boolean adopted;

    AttachedEndpoint(EndpointState state, List<LiveHook> hooks, SpecializedEndpoint current, boolean adopted) {
        this.state = state;
        this.hooks = List.copyOf(hooks);
        this.current = current;
        this.adopted = adopted;
    }

    public int id() {
        return state.endpointId();
    }

    public String interfaceName() {
        return state.interfaceName();
    }

    public Netns namespace() {
        return state.namespace();
    }

    /** The interface's ifindex when it was attached or adopted; 0 if the interface was gone at adoption. */
    public int ifindex() {
        return state.ifindex();
    }

    public String template() {
        return state.template();
    }

    public Optional<String> variantKey() {
        return Optional.ofNullable(state.variantKey());
    }

    /** SHA-256 of the object the running programs were loaded from. */
    public String objectDigest() {
        return state.objectDigest();
    }

    /** {@link Endpoint#constantsDigest()} of the constants the running programs were loaded with. */
    public String constantsDigest() {
        return state.constantsDigest();
    }

    /** True if this handle was made by {@link EndpointLoader#adopt}. */
    public boolean isAdopted() {
        return adopted;
    }

    /** Each program on its hook, as Kiln attached it last. */
    public synchronized List<Attachment> attachments() {
        return state.attachments();
    }

    /** Program name to the id of the program Kiln attached last. */
    public synchronized Map<String, Integer> programIds() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (Attachment a : state.attachments()) {
            ids.put(a.program(), a.programId());
        }
        return ids;
    }

    /** The pinned maps, by name. */
    public synchronized Map<String, Path> mapPins() {
        return state.mapPins();
    }

    /** The loaded object of the running programs, if this process loaded them. */
    public synchronized Optional<SpecializedEndpoint> specialized() {
        return Optional.ofNullable(current);
    }

    /** Each hook as the kernel shows it now (asks it, inside the endpoint's namespace). */
    public synchronized List<HookStatus> status() {
        return namespace().call(() -> {
            List<HookStatus> out = new ArrayList<>();
            for (LiveHook h : hooks) {
                out.add(new HookStatus(h.attachment(), h.runningProgramId()));
            }
            return out;
        });
    }

    /** True when every hook runs the program Kiln attached last. */
    public boolean isIntact() {
        return status().stream().allMatch(HookStatus::isIntact);
    }

    /**
     * A handle on one of the endpoint's maps: a pinned map opened from its pin (close it after
     * use), or an unpinned map of the object this process loaded (closing it is a no-op).
     */
    public synchronized BpfMap openMap(String name) {
        Path pin = state.mapPins().get(name);
        if (pin != null) {
            return BpfMap.openPinned(pin);
        }
        if (current != null) {
            return current.map(name);
        }
        throw new EndpointException("endpoint " + id() + ": map " + name + ": not pinned (pinned maps: "
                + String.join(", ", state.mapPins().keySet()) + "); only the process that loaded it can reach it", true);
    }

    // ---- for EndpointLoader (HookLifecycle, EndpointRecovery) ----

    synchronized EndpointState state() {
        return state;
    }

    synchronized List<LiveHook> hooks() {
        return hooks;
    }

    synchronized SpecializedEndpoint current() {
        return current;
    }

    /** Records a new state and hooks; returns the object that ran before (the caller closes it). */
    synchronized SpecializedEndpoint update(EndpointState newState, List<LiveHook> newHooks, SpecializedEndpoint next) {
        SpecializedEndpoint old = current;
        this.state = newState;
        this.hooks = List.copyOf(newHooks);
        if (next != null) {
            this.current = next;
        }
        return next != null ? old : null;
    }

    /** Releases this process's fds (link handles, the loaded object); the endpoint keeps running. */
    @Override
    public synchronized void close() {
        for (LiveHook h : hooks) {
            h.close();
        }
        if (current != null) {
            current.close();
            current = null;
        }
    }

    @Override
    public String toString() {
        return "endpoint " + id() + " (" + interfaceName() + ", template " + template() + ", programs " + programIds() + ")";
    }
}
