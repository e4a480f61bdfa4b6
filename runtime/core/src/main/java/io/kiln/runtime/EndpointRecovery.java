package io.kiln.runtime;

import io.kiln.host.Interfaces;
import io.kiln.host.Netns;
import io.kiln.runtime.internal.EndpointState;
import io.kiln.runtime.internal.Errors;
import io.kiln.runtime.internal.LiveHook;
import io.kiln.runtime.internal.PinTree;
import io.kiln.runtime.internal.StateFile;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recovery and cleanup behind {@link EndpointLoader}: adopt what another process attached, resync
 * after someone else changed a hook, and remove what is left (detach by id, node maps, uninstall).
 * It trusts the kernel over the state file and never touches a running hook except to detach it.
 */
final class EndpointRecovery {
    private final PinLayout pins;
    private final StateFile states;
    private final HookLifecycle hooks;
    private final EndpointLocks locks;

    EndpointRecovery(PinLayout pins, StateFile states, HookLifecycle hooks, EndpointLocks locks) {
        this.pins = pins;
        this.states = states;
        this.hooks = hooks;
        this.locks = locks;
    }


    /** See {@link EndpointLoader#adopt(int)}. */
    AttachedEndpoint adopt(int endpointId) {
        synchronized (locks.of(endpointId)) {
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

    /** See {@link EndpointLoader#resync(AttachedEndpoint)}. */
    List<HookStatus> resync(AttachedEndpoint attached) {
        synchronized (locks.of(attached.id())) {
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

    /** See {@link EndpointLoader#detach(int)}. */
    void detach(int endpointId) {
        if (states.exists(endpointId)) {
            hooks.detach(adopt(endpointId));
            return;
        }
        synchronized (locks.of(endpointId)) {
            List<RuntimeException> failures = new ArrayList<>();
            hooks.removePinsAndState(endpointId, "endpoint " + endpointId, failures);
            HookLifecycle.throwFirst("endpoint " + endpointId + ": detach: ", failures);
        }
    }

    /** See {@link EndpointLoader#removeNodeMaps()}. */
    void removeNodeMaps() {
        List<Integer> ids = states.endpointIds();
        if (!ids.isEmpty()) {
            throw new EndpointException("remove node maps: " + ids.size() + " endpoint(s) still use them (" + ids
                    + "); detach them first", true);
        }
        io.kiln.runtime.internal.RetiredNodeMaps.releaseUnder(pins.nodeDir()); // no endpoint left to catch up
        PinTree.delete(pins.retiredDir(), "remove node maps");
        PinTree.delete(pins.nodeDir(), "remove node maps");
        new io.kiln.runtime.internal.LayoutRecords(states.dir().resolve(EndpointLoader.LAYOUTS)).deleteAll();
    }

    /** See {@link EndpointLoader#uninstall()}. */
    void uninstall() {
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
            new io.kiln.runtime.internal.LayoutRecords(states.dir().resolve(EndpointLoader.LAYOUTS)).deleteAll();
        } catch (RuntimeException e) {
            failures.add(e);
        }
        HookLifecycle.throwFirst("uninstall: ", failures);
    }
}
